/**
 * Reads a ZIP file's central directory (the list at its end) without unpacking anything, so an
 * upload is judged by what it declares before a byte is inflated: how many entries, how large
 * each unpacks, whether one is encrypted. Pure (Uint8Array and DataView), so it runs in the
 * browser's worker as on the server. ZIP64 archives are read too.
 */

export type TZipDirectoryEntry = {
  name: string;
  isDirectory: boolean;
  isEncrypted: boolean;
  /** 0 stored, 8 deflate; anything else (bzip2, LZMA, AES's 99) cannot be unpacked here */
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
};

/** Why a directory could not be read; `entries` carries the declared count for "too many". */
export class ZipDirectoryError extends Error {
  constructor(
    readonly kind: "damaged" | "too_many_entries",
    message: string,
    readonly entries?: number,
  ) {
    super(message);
  }
}

const END_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_END_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const END_LENGTH = 22;
const MAX_COMMENT = 0xffff;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;
// general purpose flags: bit 0 encrypted, bit 6 strong encryption, bit 11 UTF-8 names
const FLAG_ENCRYPTED = 0x0001;
const FLAG_STRONG_ENCRYPTION = 0x0040;

export function readZipDirectory(
  bytes: Uint8Array,
  options: { maxEntries: number },
): TZipDirectoryEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const endAt = findEndRecord(view);
  if (endAt === -1) throw damaged("its end record is missing (is it cut short?)");
  if (view.getUint16(endAt + 4, true) !== 0 || view.getUint16(endAt + 6, true) !== 0)
    throw damaged("it is one part of a split archive");

  let count = view.getUint16(endAt + 10, true);
  let size = view.getUint32(endAt + 12, true);
  let directoryEnd = endAt;
  if (count === MAX16 || size === MAX32 || view.getUint32(endAt + 16, true) === MAX32) {
    const locatorAt = endAt - 20;
    if (locatorAt < 0 || view.getUint32(locatorAt, true) !== ZIP64_LOCATOR_SIGNATURE)
      throw damaged("its ZIP64 end record is missing");
    const recordAt = readUint64(view, locatorAt + 8);
    if (recordAt + 56 > locatorAt || view.getUint32(recordAt, true) !== ZIP64_END_SIGNATURE)
      throw damaged("its ZIP64 end record is missing");
    count = readUint64(view, recordAt + 32);
    size = readUint64(view, recordAt + 40);
    directoryEnd = recordAt;
  }
  // before the list is walked: a directory of millions of entries is refused by its count
  if (count > options.maxEntries)
    throw new ZipDirectoryError("too_many_entries", `it lists ${count} entries`, count);

  // measured back from the end record, so data before the archive (a self-extractor) is fine
  let at = directoryEnd - size;
  if (at < 0) throw damaged("its directory lies outside the file");
  const entries: TZipDirectoryEntry[] = [];
  for (let index = 0; index < count; index++) {
    if (at + 46 > directoryEnd || view.getUint32(at, true) !== CENTRAL_SIGNATURE)
      throw damaged(`entry ${index + 1} of its directory is broken`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc32 = view.getUint32(at + 16, true);
    let compressedSize = view.getUint32(at + 20, true);
    let uncompressedSize = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const nameAt = at + 46;
    const extraAt = nameAt + nameLength;
    const next = extraAt + extraLength + commentLength;
    if (next > directoryEnd) throw damaged(`entry ${index + 1} of its directory is broken`);
    // JSZip reads every name as UTF-8 too; a stray byte becomes U+FFFD, shown, never used as a path
    const name = new TextDecoder("utf-8").decode(bytes.subarray(nameAt, extraAt));
    if (uncompressedSize === MAX32 || compressedSize === MAX32) {
      const zip64 = findExtraField(view, extraAt, extraLength, 0x0001);
      if (!zip64) throw damaged(`entry “${name}” lacks its ZIP64 sizes`);
      let field = zip64.at;
      const fieldEnd = zip64.at + zip64.length;
      if (uncompressedSize === MAX32) {
        if (field + 8 > fieldEnd) throw damaged(`entry “${name}” lacks its ZIP64 sizes`);
        uncompressedSize = readUint64(view, field);
        field += 8;
      }
      if (compressedSize === MAX32) {
        if (field + 8 > fieldEnd) throw damaged(`entry “${name}” lacks its ZIP64 sizes`);
        compressedSize = readUint64(view, field);
      }
    }
    entries.push({
      name,
      isDirectory: name.endsWith("/"),
      isEncrypted: (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0,
      method,
      crc32,
      compressedSize,
      uncompressedSize,
    });
    at = next;
  }
  return entries;
}

/** Whether the bytes start like a ZIP archive (a first entry, or the end record of an empty one). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    ((bytes[2] === 0x03 && bytes[3] === 0x04) || (bytes[2] === 0x05 && bytes[3] === 0x06))
  );
}

function findEndRecord(view: DataView): number {
  const last = view.byteLength - END_LENGTH;
  const first = Math.max(0, last - MAX_COMMENT);
  for (let at = last; at >= first; at--) {
    if (view.getUint32(at, true) !== END_SIGNATURE) continue;
    // the comment must reach exactly to the end, or this is a signature inside the comment
    if (at + END_LENGTH + view.getUint16(at + 20, true) === view.byteLength) return at;
  }
  return -1;
}

function findExtraField(
  view: DataView,
  start: number,
  length: number,
  id: number,
): { at: number; length: number } | null {
  for (let at = start; at + 4 <= start + length;) {
    const fieldLength = view.getUint16(at + 2, true);
    if (at + 4 + fieldLength > start + length) return null;
    if (view.getUint16(at, true) === id) return { at: at + 4, length: fieldLength };
    at += 4 + fieldLength;
  }
  return null;
}

function readUint64(view: DataView, at: number): number {
  if (at < 0 || at + 8 > view.byteLength) throw damaged("a ZIP64 field lies outside the file");
  // beyond 2^53 no real upload goes; the number only has to be too large, not exact
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
}

function damaged(reason: string): ZipDirectoryError {
  return new ZipDirectoryError("damaged", reason);
}
