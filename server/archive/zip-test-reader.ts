// Test-only ZIP reader: an independent, strict reading of the bytes, so unit tests can check the
// structure (ZIP64 fields, offsets, contiguity, CRCs) without spawning unzip.
import { crc32 } from "node:zlib";

export type ParsedZipEntry = {
  name: string;
  flags: number;
  versionNeeded: number;
  crc32: number;
  size: number;
  offset: number;
  dosTime: number;
  dosDate: number;
  unixSeconds: number | null;
  localZip64: boolean;
  centralZip64: boolean;
  data: Buffer;
};

export type ParsedZip = {
  entries: ParsedZipEntry[];
  zip64End: boolean;
  centralDirectoryOffset: number;
  centralDirectorySize: number;
};

const MAX32 = 0xffffffff;

export function parseZip(zip: Buffer): ParsedZip {
  const endAt = zip.length - 22;
  expect32(zip, endAt, 0x06054b50, "end of central directory");
  let entryCount = zip.readUInt16LE(endAt + 10);
  let centralDirectorySize = zip.readUInt32LE(endAt + 12);
  let centralDirectoryOffset = zip.readUInt32LE(endAt + 16);
  let centralDirectoryEnd = endAt;
  const zip64End = zip.length >= 22 + 20 && zip.readUInt32LE(endAt - 20) === 0x07064b50;
  if (zip64End) {
    const recordAt = readUInt64(zip, endAt - 20 + 8);
    expect32(zip, recordAt, 0x06064b50, "zip64 end record");
    if (recordAt + 56 !== endAt - 20)
      throw new Error("zip64 end record is not followed by its locator");
    entryCount = readUInt64(zip, recordAt + 32);
    centralDirectorySize = readUInt64(zip, recordAt + 40);
    centralDirectoryOffset = readUInt64(zip, recordAt + 48);
    centralDirectoryEnd = recordAt;
  } else if (
    entryCount === 0xffff ||
    centralDirectorySize === MAX32 ||
    centralDirectoryOffset === MAX32
  ) {
    throw new Error("ZIP64 sentinel without ZIP64 end record");
  }
  if (centralDirectoryOffset + centralDirectorySize !== centralDirectoryEnd) {
    throw new Error("central directory does not end where the end records start");
  }

  const entries: ParsedZipEntry[] = [];
  let at = centralDirectoryOffset;
  let expectedLocalOffset = 0;
  for (let index = 0; index < entryCount; index++) {
    expect32(zip, at, 0x02014b50, `central header #${index}`);
    const versionNeeded = zip.readUInt16LE(at + 6);
    const flags = zip.readUInt16LE(at + 8);
    if (zip.readUInt16LE(at + 10) !== 0) throw new Error("method is not STORE");
    const dosTime = zip.readUInt16LE(at + 12);
    const dosDate = zip.readUInt16LE(at + 14);
    const checksum = zip.readUInt32LE(at + 16);
    let compressed = zip.readUInt32LE(at + 20);
    let size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    let offset = zip.readUInt32LE(at + 42);
    const name = zip.toString("utf8", at + 46, at + 46 + nameLength);
    const extras = readExtras(
      zip.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength),
    );
    const centralZip64 = extras.has(0x0001);
    if (centralZip64) {
      const field = extras.get(0x0001) as Buffer;
      let cursor = 0;
      if (size === MAX32) size = readUInt64(field, (cursor += 8) - 8);
      if (compressed === MAX32) compressed = readUInt64(field, (cursor += 8) - 8);
      if (offset === MAX32) offset = readUInt64(field, (cursor += 8) - 8);
      if (cursor !== field.length) throw new Error(`${name}: zip64 extra has unexpected length`);
    }
    if (compressed !== size) throw new Error(`${name}: STORE sizes differ`);
    const centralUnix = extras.get(0x5455);
    at += 46 + nameLength + extraLength + commentLength;

    if (offset !== expectedLocalOffset) throw new Error(`${name}: local header not contiguous`);
    expect32(zip, offset, 0x04034b50, `local header of ${name}`);
    if (zip.readUInt16LE(offset + 6) !== flags) throw new Error(`${name}: local flags differ`);
    if (zip.readUInt16LE(offset + 4) !== versionNeeded) throw new Error(`${name}: version differs`);
    if (zip.readUInt32LE(offset + 14) !== checksum) throw new Error(`${name}: local CRC differs`);
    const localNameLength = zip.readUInt16LE(offset + 26);
    const localExtraLength = zip.readUInt16LE(offset + 28);
    const localName = zip.toString("utf8", offset + 30, offset + 30 + localNameLength);
    if (localName !== name) throw new Error(`${name}: local name differs (${localName})`);
    const localExtras = readExtras(
      zip.subarray(offset + 30 + localNameLength, offset + 30 + localNameLength + localExtraLength),
    );
    const localZip64 = localExtras.has(0x0001);
    const localSize = localZip64
      ? readUInt64(localExtras.get(0x0001) as Buffer, 0)
      : zip.readUInt32LE(offset + 22);
    if (localSize !== size)
      throw new Error(`${name}: local size ${localSize} differs from ${size}`);
    const dataAt = offset + 30 + localNameLength + localExtraLength;
    const data = zip.subarray(dataAt, dataAt + size);
    if (crc32(data) !== checksum) throw new Error(`${name}: CRC mismatch`);
    expectedLocalOffset = dataAt + size;
    entries.push({
      name,
      flags,
      versionNeeded,
      crc32: checksum,
      size,
      offset,
      dosTime,
      dosDate,
      unixSeconds: centralUnix ? centralUnix.readUInt32LE(1) : null,
      localZip64,
      centralZip64,
      data,
    });
  }
  if (at !== centralDirectoryOffset + centralDirectorySize) throw new Error("central size wrong");
  if (expectedLocalOffset !== centralDirectoryOffset)
    throw new Error("gap before central directory");
  return { entries, zip64End, centralDirectoryOffset, centralDirectorySize };
}

function readExtras(extra: Buffer): Map<number, Buffer> {
  const fields = new Map<number, Buffer>();
  let at = 0;
  while (at < extra.length) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    fields.set(id, extra.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (at !== extra.length) throw new Error("malformed extra field");
  return fields;
}

function readUInt64(buffer: Buffer, at: number): number {
  return buffer.readUInt32LE(at) + buffer.readUInt32LE(at + 4) * 0x1_0000_0000;
}

function expect32(buffer: Buffer, at: number, signature: number, label: string): void {
  if (at < 0 || at + 4 > buffer.length || buffer.readUInt32LE(at) !== signature) {
    throw new Error(`missing ${label} signature at ${at}`);
  }
}
