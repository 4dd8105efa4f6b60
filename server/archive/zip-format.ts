// Byte layout of a STORE-only ZIP (APPNOTE 6.3.x). Every length used by computeZipSize comes from
// planEntry/planEnd, and every encoder asserts it wrote exactly the planned length, so the
// announced Content-Length and the streamed bytes cannot drift apart.

/** Any size or offset at or above this value must be stored in a ZIP64 field. */
export const ZIP64_VALUE_THRESHOLD = 0xffffffff;
/** Entry counts at or above this value must be stored in the ZIP64 end record. */
export const ZIP64_COUNT_THRESHOLD = 0xffff;

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_SIGNATURE = 0x06054b50;
const ZIP64_END_SIGNATURE = 0x06064b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;

const LOCAL_HEADER_FIXED_LENGTH = 30;
const CENTRAL_HEADER_FIXED_LENGTH = 46;
const END_LENGTH = 22;
const ZIP64_END_LENGTH = 56;
const ZIP64_LOCATOR_LENGTH = 20;

const ZIP64_EXTRA_ID = 0x0001;
const EXTENDED_TIMESTAMP_EXTRA_ID = 0x5455;
const EXTENDED_TIMESTAMP_EXTRA_LENGTH = 4 + 5;

// Bit 11 tells readers the names are UTF-8 instead of CP437.
const FLAG_UTF8 = 0x0800;
const METHOD_STORE = 0;
// High byte 3 = Unix, so unzip honours the permission bits in the external attributes.
const VERSION_MADE_BY = (3 << 8) | 45;
const VERSION_NEEDED_DEFAULT = 20;
const VERSION_NEEDED_ZIP64 = 45;
// Regular file, rw-r--r--: without it unzip would restore files with mode 0000.
const EXTERNAL_ATTRIBUTES = (0o100644 << 16) >>> 0;

const NO_COMMENT = 0;
const SINGLE_DISK = 0;
const DISK_COUNT = 1;
const NO_INTERNAL_ATTRIBUTES = 0;
// Only mtime is recorded: the central copy of this field can hold nothing else anyway.
const TIMESTAMP_HAS_MTIME = 1;

const MAX_NAME_BYTES = 0xffff;
// Info-ZIP reads the extended timestamp as a signed 32-bit value.
const MAX_UNIX_SECONDS = 0x7fffffff;

export type EntryPlan = {
  nameBytes: Uint8Array;
  size: number;
  offset: number;
  dosTime: number;
  dosDate: number;
  unixSeconds: number | null;
  zip64Size: boolean;
  zip64Offset: boolean;
  localHeaderLength: number;
  centralHeaderLength: number;
};

export type EndPlan = {
  entryCount: number;
  centralDirectoryOffset: number;
  centralDirectorySize: number;
  zip64: boolean;
  length: number;
};

export function planEntry(args: {
  nameBytes: Uint8Array;
  size: number;
  offset: number;
  modifiedAt: Date;
}): EntryPlan {
  const { nameBytes, size, offset, modifiedAt } = args;
  if (nameBytes.length === 0 || nameBytes.length > MAX_NAME_BYTES) {
    throw new RangeError(`ZIP entry name must be 1..${MAX_NAME_BYTES} bytes`);
  }
  assertByteCount(size, "entry size");
  assertByteCount(offset, "entry offset");
  const { dosTime, dosDate } = toDosDateTime(modifiedAt);
  const unixSeconds = toExtendedTimestamp(modifiedAt);
  const zip64Size = size >= ZIP64_VALUE_THRESHOLD;
  const zip64Offset = offset >= ZIP64_VALUE_THRESHOLD;
  const timestampLength = unixSeconds === null ? 0 : EXTENDED_TIMESTAMP_EXTRA_LENGTH;
  // The local ZIP64 field must carry both sizes whenever present (APPNOTE 4.5.3).
  const localZip64Length = zip64Size ? 4 + 16 : 0;
  const centralZip64Fields = (zip64Size ? 2 : 0) + (zip64Offset ? 1 : 0);
  const centralZip64Length = centralZip64Fields > 0 ? 4 + 8 * centralZip64Fields : 0;
  return {
    nameBytes,
    size,
    offset,
    dosTime,
    dosDate,
    unixSeconds,
    zip64Size,
    zip64Offset,
    localHeaderLength:
      LOCAL_HEADER_FIXED_LENGTH + nameBytes.length + localZip64Length + timestampLength,
    centralHeaderLength:
      CENTRAL_HEADER_FIXED_LENGTH + nameBytes.length + centralZip64Length + timestampLength,
  };
}

export function planEnd(args: {
  entryCount: number;
  centralDirectoryOffset: number;
  centralDirectorySize: number;
}): EndPlan {
  const zip64 =
    args.entryCount >= ZIP64_COUNT_THRESHOLD ||
    args.centralDirectoryOffset >= ZIP64_VALUE_THRESHOLD ||
    args.centralDirectorySize >= ZIP64_VALUE_THRESHOLD;
  return {
    ...args,
    zip64,
    length: END_LENGTH + (zip64 ? ZIP64_END_LENGTH + ZIP64_LOCATOR_LENGTH : 0),
  };
}

function versionNeeded(plan: EntryPlan): number {
  return plan.zip64Size || plan.zip64Offset ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED_DEFAULT;
}

function clamp32(value: number): number {
  return value >= ZIP64_VALUE_THRESHOLD ? ZIP64_VALUE_THRESHOLD : value;
}

export function encodeLocalHeader(plan: EntryPlan, crc32: number): Buffer {
  const buffer = Buffer.allocUnsafe(plan.localHeaderLength);
  writeLocalHeader(plan, crc32, buffer, 0);
  return buffer;
}

// Writing in place lets file bytes share one output chunk with their header: fewer, larger writes.
export function writeLocalHeader(
  plan: EntryPlan,
  crc32: number,
  target: Buffer,
  start: number,
): number {
  let at = target.writeUInt32LE(LOCAL_HEADER_SIGNATURE, start);
  at = target.writeUInt16LE(versionNeeded(plan), at);
  at = target.writeUInt16LE(FLAG_UTF8, at);
  at = target.writeUInt16LE(METHOD_STORE, at);
  at = target.writeUInt16LE(plan.dosTime, at);
  at = target.writeUInt16LE(plan.dosDate, at);
  at = target.writeUInt32LE(crc32 >>> 0, at);
  at = target.writeUInt32LE(clamp32(plan.size), at);
  at = target.writeUInt32LE(clamp32(plan.size), at);
  at = target.writeUInt16LE(plan.nameBytes.length, at);
  at = target.writeUInt16LE(
    plan.localHeaderLength - LOCAL_HEADER_FIXED_LENGTH - plan.nameBytes.length,
    at,
  );
  target.set(plan.nameBytes, at);
  at += plan.nameBytes.length;
  if (plan.zip64Size) {
    at = target.writeUInt16LE(ZIP64_EXTRA_ID, at);
    at = target.writeUInt16LE(16, at);
    at = writeUInt64LE(target, plan.size, at);
    at = writeUInt64LE(target, plan.size, at);
  }
  if (plan.unixSeconds !== null) {
    at = target.writeUInt16LE(EXTENDED_TIMESTAMP_EXTRA_ID, at);
    at = target.writeUInt16LE(5, at);
    at = target.writeUInt8(TIMESTAMP_HAS_MTIME, at);
    at = target.writeUInt32LE(plan.unixSeconds, at);
  }
  assertWritten(at - start, plan.localHeaderLength, "local header");
  return at;
}

// Writes into a caller-owned block so O(entries) metadata stays one compact byte run, not objects.
export function writeCentralHeader(
  plan: EntryPlan,
  crc32: number,
  target: Buffer,
  start: number,
): number {
  let at = target.writeUInt32LE(CENTRAL_HEADER_SIGNATURE, start);
  at = target.writeUInt16LE(VERSION_MADE_BY, at);
  at = target.writeUInt16LE(versionNeeded(plan), at);
  at = target.writeUInt16LE(FLAG_UTF8, at);
  at = target.writeUInt16LE(METHOD_STORE, at);
  at = target.writeUInt16LE(plan.dosTime, at);
  at = target.writeUInt16LE(plan.dosDate, at);
  at = target.writeUInt32LE(crc32 >>> 0, at);
  at = target.writeUInt32LE(clamp32(plan.size), at);
  at = target.writeUInt32LE(clamp32(plan.size), at);
  at = target.writeUInt16LE(plan.nameBytes.length, at);
  at = target.writeUInt16LE(
    plan.centralHeaderLength - CENTRAL_HEADER_FIXED_LENGTH - plan.nameBytes.length,
    at,
  );
  at = target.writeUInt16LE(NO_COMMENT, at);
  at = target.writeUInt16LE(SINGLE_DISK, at);
  at = target.writeUInt16LE(NO_INTERNAL_ATTRIBUTES, at);
  at = target.writeUInt32LE(EXTERNAL_ATTRIBUTES, at);
  at = target.writeUInt32LE(clamp32(plan.offset), at);
  target.set(plan.nameBytes, at);
  at += plan.nameBytes.length;
  if (plan.zip64Size || plan.zip64Offset) {
    // Only the fields that overflowed appear, in this fixed order (APPNOTE 4.5.3).
    const fields = (plan.zip64Size ? 2 : 0) + (plan.zip64Offset ? 1 : 0);
    at = target.writeUInt16LE(ZIP64_EXTRA_ID, at);
    at = target.writeUInt16LE(8 * fields, at);
    if (plan.zip64Size) {
      at = writeUInt64LE(target, plan.size, at);
      at = writeUInt64LE(target, plan.size, at);
    }
    if (plan.zip64Offset) at = writeUInt64LE(target, plan.offset, at);
  }
  if (plan.unixSeconds !== null) {
    at = target.writeUInt16LE(EXTENDED_TIMESTAMP_EXTRA_ID, at);
    at = target.writeUInt16LE(5, at);
    at = target.writeUInt8(TIMESTAMP_HAS_MTIME, at);
    at = target.writeUInt32LE(plan.unixSeconds, at);
  }
  assertWritten(at - start, plan.centralHeaderLength, "central header");
  return at;
}

export function encodeEnd(plan: EndPlan): Buffer {
  const buffer = Buffer.alloc(plan.length);
  let at = 0;
  if (plan.zip64) {
    const zip64EndOffset = plan.centralDirectoryOffset + plan.centralDirectorySize;
    at = buffer.writeUInt32LE(ZIP64_END_SIGNATURE, at);
    // The record size excludes the signature and this size field itself.
    at = writeUInt64LE(buffer, ZIP64_END_LENGTH - 12, at);
    at = buffer.writeUInt16LE(VERSION_MADE_BY, at);
    at = buffer.writeUInt16LE(VERSION_NEEDED_ZIP64, at);
    at = buffer.writeUInt32LE(SINGLE_DISK, at);
    at = buffer.writeUInt32LE(SINGLE_DISK, at);
    at = writeUInt64LE(buffer, plan.entryCount, at);
    at = writeUInt64LE(buffer, plan.entryCount, at);
    at = writeUInt64LE(buffer, plan.centralDirectorySize, at);
    at = writeUInt64LE(buffer, plan.centralDirectoryOffset, at);

    at = buffer.writeUInt32LE(ZIP64_LOCATOR_SIGNATURE, at);
    at = buffer.writeUInt32LE(SINGLE_DISK, at);
    at = writeUInt64LE(buffer, zip64EndOffset, at);
    at = buffer.writeUInt32LE(DISK_COUNT, at);
  }
  const count16 = Math.min(plan.entryCount, ZIP64_COUNT_THRESHOLD);
  at = buffer.writeUInt32LE(END_SIGNATURE, at);
  at = buffer.writeUInt16LE(SINGLE_DISK, at);
  at = buffer.writeUInt16LE(SINGLE_DISK, at);
  at = buffer.writeUInt16LE(count16, at);
  at = buffer.writeUInt16LE(count16, at);
  at = buffer.writeUInt32LE(clamp32(plan.centralDirectorySize), at);
  at = buffer.writeUInt32LE(clamp32(plan.centralDirectoryOffset), at);
  at = buffer.writeUInt16LE(NO_COMMENT, at);
  assertWritten(at, plan.length, "end of central directory");
  return buffer;
}

/**
 * MS-DOS timestamps are local wall-clock time with 2-second resolution and a 1980..2107 range;
 * out-of-range dates are clamped because readers reject impossible fields.
 */
export function toDosDateTime(date: Date): { dosTime: number; dosDate: number } {
  if (Number.isNaN(date.getTime())) throw new RangeError("modifiedAt is an invalid Date");
  const year = date.getFullYear();
  if (year < 1980) return { dosTime: 0, dosDate: (1 << 5) | 1 };
  if (year > 2107) {
    return { dosTime: (23 << 11) | (59 << 5) | 29, dosDate: (127 << 9) | (12 << 5) | 31 };
  }
  return {
    dosTime: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
    dosDate: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

// The DOS fields carry no time zone; the UTC "UT" extra lets unzip restore the exact mtime.
function toExtendedTimestamp(date: Date): number | null {
  const seconds = Math.floor(date.getTime() / 1000);
  return seconds >= 0 && seconds <= MAX_UNIX_SECONDS ? seconds : null;
}

function writeUInt64LE(buffer: Buffer, value: number, at: number): number {
  const low = value % 0x1_0000_0000;
  buffer.writeUInt32LE(low, at);
  buffer.writeUInt32LE((value - low) / 0x1_0000_0000, at + 4);
  return at + 8;
}

function assertByteCount(value: number, label: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${label} must be a non-negative safe integer, got ${value}`);
  }
}

function assertWritten(actual: number, expected: number, label: string): void {
  if (actual !== expected) {
    throw new Error(`ZIP ${label} length mismatch: wrote ${actual}, planned ${expected}`);
  }
}
