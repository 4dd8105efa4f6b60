import { createHash } from "node:crypto";
import { crc32, deflateSync } from "node:zlib";

export type FakeImageType = "png" | "jpg" | "webp" | "avif" | "gif";

export const FAKE_IMAGE_MIME: Record<FakeImageType, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  webp: "image/webp",
  avif: "image/avif",
  gif: "image/gif",
};

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out;
}

function u16(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value);
  return out;
}

function u32le(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value >>> 0);
  return out;
}

// Deterministic so the same URL always serves the same bytes (tests compare hashes
// across server restarts), yet incompressible like real image data.
export function deterministicBytes(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  let offset = 0;
  for (let counter = 0; offset < length; counter++) {
    const block = createHash("sha256").update(`${seed}:${counter}`).digest();
    offset += block.copy(out, offset);
  }
  return out;
}

function colourOf(name: string): [number, number, number] {
  const digest = createHash("sha256").update(name).digest();
  return [digest[0]!, digest[1]!, digest[2]!];
}

function pngChunk(type: string, data: Buffer): Buffer {
  const typeBytes = Buffer.from(type, "latin1");
  return Buffer.concat([u32(data.length), typeBytes, data, u32(crc32(data, crc32(typeBytes)))]);
}

// A real, decodable 4x4 RGB PNG in the name's colour; padding goes into a private
// ancillary chunk ("prVt") that decoders must skip.
export function buildPng(name: string, targetBytes = 0): Buffer {
  const size = 4;
  const [r, g, b] = colourOf(name);
  const rows: number[] = [];
  for (let y = 0; y < size; y++) {
    rows.push(0);
    for (let x = 0; x < size; x++) rows.push(r, g, b);
  }
  const header = Buffer.concat([u32(size), u32(size), Buffer.from([8, 2, 0, 0, 0])]);
  const parts = [
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("tEXt", Buffer.from(`Title\0${name}`, "latin1")),
    pngChunk("IDAT", deflateSync(Buffer.from(rows))),
  ];
  const end = pngChunk("IEND", Buffer.alloc(0));
  const used = parts.reduce((sum, part) => sum + part.length, 0) + end.length;
  const chunkOverhead = 12;
  if (targetBytes > used + chunkOverhead) {
    parts.push(pngChunk("prVt", deterministicBytes(name, targetBytes - used - chunkOverhead)));
  }
  parts.push(end);
  return Buffer.concat(parts);
}

function jpegSegment(marker: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xff, marker]), u16(data.length + 2), data]);
}

// A real baseline JPEG: one 8x8 mid-grey block coded with single-symbol Huffman
// tables, so the scan is just "DC diff 0, end of block". The name rides in a COM segment.
export function buildJpeg(name: string, targetBytes = 0): Buffer {
  const oneCodeTable = (tableClass: number) =>
    jpegSegment(
      0xc4,
      Buffer.concat([
        Buffer.from([tableClass << 4]),
        Buffer.from([1, ...Array(15).fill(0)]),
        Buffer.from([0]),
      ]),
    );
  const head = [
    Buffer.from([0xff, 0xd8]),
    jpegSegment(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0x00, 1, 1, 0, 0, 1, 0, 1, 0, 0])),
    jpegSegment(0xfe, Buffer.from(name, "utf8")),
    jpegSegment(0xdb, Buffer.concat([Buffer.from([0]), Buffer.alloc(64, 1)])),
    jpegSegment(0xc0, Buffer.from([8, 0, 8, 0, 8, 1, 1, 0x11, 0])),
    oneCodeTable(0),
    oneCodeTable(1),
  ];
  const tail = [
    jpegSegment(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0])),
    Buffer.from([0x3f, 0xff, 0xd9]),
  ];
  const used = [...head, ...tail].reduce((sum, part) => sum + part.length, 0);
  const padding: Buffer[] = [];
  let missing = targetBytes - used;
  for (let index = 0; missing > 4; index++) {
    const length = Math.min(65_533, missing - 4);
    padding.push(jpegSegment(0xef, deterministicBytes(`${name}:${index}`, length)));
    missing -= length + 4;
  }
  return Buffer.concat([...head, ...padding, ...tail]);
}

function riffChunk(type: string, data: Buffer): Buffer {
  const pad = data.length % 2 === 1 ? Buffer.alloc(1) : Buffer.alloc(0);
  return Buffer.concat([Buffer.from(type, "latin1"), u32le(data.length), data, pad]);
}

/** Writes bit fields least significant bit first, as VP8L reads them. */
function packBits(fields: [value: number, bits: number][]): Buffer {
  const bytes: number[] = [];
  let current = 0;
  let used = 0;
  for (const [value, bits] of fields) {
    for (let bit = 0; bit < bits; bit++) {
      current |= ((value >> bit) & 1) << used;
      if (++used === 8) {
        bytes.push(current);
        current = 0;
        used = 0;
      }
    }
  }
  if (used > 0) bytes.push(current);
  return Buffer.from(bytes);
}

/**
 * A real, decodable 1x1 lossless WebP in the name's colour: every prefix code has a single symbol,
 * so the pixel itself takes no bits. Extended format (VP8X) so unknown chunks can carry the name
 * and the padding.
 */
export function buildWebp(name: string, targetBytes = 0): Buffer {
  const [r, g, b] = colourOf(name);
  const singleSymbol = (symbol: number): [number, number][] => [
    [1, 1], // simple prefix code
    [0, 1], // one symbol
    [1, 1], // of 8 bits
    [symbol, 8],
  ];
  const vp8l = Buffer.concat([
    Buffer.from([0x2f]),
    packBits([
      [0, 14], // width - 1
      [0, 14], // height - 1
      [0, 1], // no alpha
      [0, 3], // version
      [0, 1], // no transform
      [0, 1], // no colour cache
      [0, 1], // no meta prefix codes
      ...singleSymbol(g),
      ...singleSymbol(r),
      ...singleSymbol(b),
      ...singleSymbol(255),
      [1, 1], // distance code: simple, one symbol of 1 bit, symbol 0
      [0, 1],
      [0, 1],
      [0, 1],
    ]),
  ]);
  const vp8x = Buffer.alloc(10); // no feature flags; canvas 1x1 (width - 1 and height - 1 are 0)
  const chunks = [
    riffChunk("VP8X", vp8x),
    riffChunk("VP8L", vp8l),
    riffChunk("NAME", Buffer.from(name, "utf8")),
  ];
  const used = 12 + chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  if (targetBytes > used + 8)
    chunks.push(riffChunk("PADD", deterministicBytes(name, targetBytes - used - 8)));
  const body = Buffer.concat([Buffer.from("WEBP", "latin1"), ...chunks]);
  return Buffer.concat([Buffer.from("RIFF", "latin1"), u32le(body.length), body]);
}

function isoBox(type: string, data: Buffer): Buffer {
  return Buffer.concat([u32(data.length + 8), Buffer.from(type, "latin1"), data]);
}

// An ISO-BMFF file that starts exactly like an AVIF (ftyp avif/mif1/miaf); the
// rest is a "free" box with the name, enough for sniffing but not for decoding.
export function buildAvif(
  name: string,
  targetBytes = 0,
  majorBrand: "avif" | "mif1" = "avif",
): Buffer {
  const ftyp = isoBox("ftyp", Buffer.from(`${majorBrand}\0\0\0\0avifmif1miaf`, "latin1"));
  const free = isoBox("free", Buffer.from(name, "utf8"));
  const used = ftyp.length + free.length;
  const parts = [ftyp, free];
  if (targetBytes > used + 8)
    parts.push(isoBox("free", deterministicBytes(name, targetBytes - used - 8)));
  return Buffer.concat(parts);
}

// A real 1x1 GIF89a whose palette colour comes from the name, plus a comment extension with the name.
export function buildGif(name: string, targetBytes = 0): Buffer {
  const [r, g, b] = colourOf(name);
  const comment = (text: Buffer): Buffer[] => {
    const blocks: Buffer[] = [Buffer.from([0x21, 0xfe])];
    for (let offset = 0; offset < text.length; offset += 255) {
      const piece = text.subarray(offset, offset + 255);
      blocks.push(Buffer.from([piece.length]), piece);
    }
    blocks.push(Buffer.from([0]));
    return blocks;
  };
  const head = [
    Buffer.from("GIF89a", "latin1"),
    Buffer.from([1, 0, 1, 0, 0x80, 0, 0]),
    Buffer.from([r, g, b, 0, 0, 0]),
    ...comment(Buffer.from(name, "utf8")),
  ];
  const image = [
    Buffer.from([0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0]),
    Buffer.from([2, 2, 0x44, 0x01, 0]),
    Buffer.from([0x3b]),
  ];
  const used = [...head, ...image].reduce((sum, part) => sum + part.length, 0);
  const extra =
    targetBytes > used + 4
      ? comment(deterministicBytes(name, Math.floor(((targetBytes - used) * 255) / 256) - 2))
      : [];
  return Buffer.concat([...head, ...extra, ...image]);
}

export function buildImage(type: FakeImageType, name: string, targetBytes = 0): Buffer {
  switch (type) {
    case "png":
      return buildPng(name, targetBytes);
    case "jpg":
      return buildJpeg(name, targetBytes);
    case "webp":
      return buildWebp(name, targetBytes);
    case "avif":
      return buildAvif(name, targetBytes);
    case "gif":
      return buildGif(name, targetBytes);
  }
}
