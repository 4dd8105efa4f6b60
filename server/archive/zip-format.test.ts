import { describe, expect, it } from "vitest";

import {
  encodeEnd,
  encodeLocalHeader,
  planEnd,
  planEntry,
  toDosDateTime,
  writeCentralHeader,
  ZIP64_COUNT_THRESHOLD,
  ZIP64_VALUE_THRESHOLD,
} from "./zip-format";

const name = new TextEncoder().encode("SKU-1/SKU-1_001.jpg");
const modifiedAt = new Date(2024, 0, 15, 13, 45, 31);
const readUInt64 = (buffer: Buffer, at: number) =>
  buffer.readUInt32LE(at) + buffer.readUInt32LE(at + 4) * 2 ** 32;

function encodeCentral(plan: ReturnType<typeof planEntry>, crc: number): Buffer {
  const target = Buffer.alloc(plan.centralHeaderLength);
  expect(writeCentralHeader(plan, crc, target, 0)).toBe(plan.centralHeaderLength);
  return target;
}

describe("toDosDateTime", () => {
  it("packs local wall-clock time with 2-second resolution", () => {
    const { dosTime, dosDate } = toDosDateTime(modifiedAt);
    expect(dosTime).toBe((13 << 11) | (45 << 5) | 15);
    expect(dosDate).toBe((44 << 9) | (1 << 5) | 15);
  });

  it("clamps dates outside the DOS range instead of wrapping", () => {
    expect(toDosDateTime(new Date(1970, 5, 1))).toEqual({ dosTime: 0, dosDate: (1 << 5) | 1 });
    expect(toDosDateTime(new Date(2200, 0, 1)).dosDate).toBe((127 << 9) | (12 << 5) | 31);
  });

  it("rejects an invalid date", () => {
    expect(() => toDosDateTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe("planEntry and headers", () => {
  it("writes a plain local header with UTF-8 flag, STORE and the real CRC and sizes", () => {
    const plan = planEntry({ nameBytes: name, size: 1234, offset: 0, modifiedAt });
    const header = encodeLocalHeader(plan, 0xdeadbeef);
    expect(header).toHaveLength(plan.localHeaderLength);
    expect(plan.localHeaderLength).toBe(30 + name.length + 9);
    expect(header.readUInt32LE(0)).toBe(0x04034b50);
    expect(header.readUInt16LE(4)).toBe(20);
    expect(header.readUInt16LE(6)).toBe(0x0800);
    expect(header.readUInt16LE(8)).toBe(0);
    expect(header.readUInt32LE(14)).toBe(0xdeadbeef);
    expect(header.readUInt32LE(18)).toBe(1234);
    expect(header.readUInt32LE(22)).toBe(1234);
    expect(header.subarray(30, 30 + name.length).toString()).toBe("SKU-1/SKU-1_001.jpg");
    expect(header.readUInt16LE(30 + name.length)).toBe(0x5455);
    expect(header.readUInt32LE(30 + name.length + 5)).toBe(Math.floor(modifiedAt.getTime() / 1000));
  });

  it("moves sizes of 4 GiB and more into ZIP64 fields, locally and centrally", () => {
    const size = 5 * 2 ** 30;
    const plan = planEntry({ nameBytes: name, size, offset: 0, modifiedAt });
    expect(plan.zip64Size).toBe(true);
    const local = encodeLocalHeader(plan, 1);
    expect(local.readUInt16LE(4)).toBe(45);
    expect(local.readUInt32LE(18)).toBe(0xffffffff);
    expect(local.readUInt32LE(22)).toBe(0xffffffff);
    const extraAt = 30 + name.length;
    expect(local.readUInt16LE(extraAt)).toBe(0x0001);
    expect(local.readUInt16LE(extraAt + 2)).toBe(16);
    expect(readUInt64(local, extraAt + 4)).toBe(size);
    expect(readUInt64(local, extraAt + 12)).toBe(size);

    const central = encodeCentral(plan, 1);
    expect(central.readUInt32LE(20)).toBe(0xffffffff);
    expect(central.readUInt32LE(24)).toBe(0xffffffff);
    expect(central.readUInt32LE(42)).toBe(0);
    const centralExtraAt = 46 + name.length;
    expect(central.readUInt16LE(centralExtraAt + 2)).toBe(16);
    expect(readUInt64(central, centralExtraAt + 4)).toBe(size);
  });

  it("treats exactly 0xFFFFFFFF as needing ZIP64, since that value is the sentinel", () => {
    const plan = planEntry({ nameBytes: name, size: ZIP64_VALUE_THRESHOLD, offset: 0, modifiedAt });
    expect(plan.zip64Size).toBe(true);
    const below = planEntry({
      nameBytes: name,
      size: ZIP64_VALUE_THRESHOLD - 1,
      offset: 0,
      modifiedAt,
    });
    expect(below.zip64Size).toBe(false);
  });

  it("puts only the overflowing offset into the central ZIP64 field", () => {
    const offset = 6 * 2 ** 30 + 7;
    const plan = planEntry({ nameBytes: name, size: 10, offset, modifiedAt });
    expect(plan.localHeaderLength).toBe(30 + name.length + 9);
    const local = encodeLocalHeader(plan, 1);
    expect(local.readUInt16LE(4)).toBe(45);
    expect(local.readUInt32LE(18)).toBe(10);

    const central = encodeCentral(plan, 1);
    expect(central.readUInt32LE(24)).toBe(10);
    expect(central.readUInt32LE(42)).toBe(0xffffffff);
    const extraAt = 46 + name.length;
    expect(central.readUInt16LE(extraAt)).toBe(0x0001);
    expect(central.readUInt16LE(extraAt + 2)).toBe(8);
    expect(readUInt64(central, extraAt + 4)).toBe(offset);
  });

  it("omits the UTC timestamp when it does not fit Info-ZIP's signed 32-bit field", () => {
    const plan = planEntry({
      nameBytes: name,
      size: 1,
      offset: 0,
      modifiedAt: new Date(2040, 0, 1),
    });
    expect(plan.unixSeconds).toBeNull();
    expect(plan.localHeaderLength).toBe(30 + name.length);
    expect(encodeLocalHeader(plan, 1)).toHaveLength(30 + name.length);
  });

  it("rejects empty or oversized names and invalid sizes", () => {
    const base = { size: 1, offset: 0, modifiedAt };
    expect(() => planEntry({ ...base, nameBytes: new Uint8Array() })).toThrow(RangeError);
    expect(() => planEntry({ ...base, nameBytes: new Uint8Array(0x10000) })).toThrow(RangeError);
    expect(() => planEntry({ ...base, nameBytes: name, size: -1 })).toThrow(RangeError);
    expect(() => planEntry({ ...base, nameBytes: name, size: 1.5 })).toThrow(RangeError);
  });
});

describe("planEnd and encodeEnd", () => {
  it("writes a classic end record below every threshold", () => {
    const plan = planEnd({
      entryCount: ZIP64_COUNT_THRESHOLD - 1,
      centralDirectoryOffset: 100,
      centralDirectorySize: 50,
    });
    expect(plan.zip64).toBe(false);
    const end = encodeEnd(plan);
    expect(end).toHaveLength(22);
    expect(end.readUInt32LE(0)).toBe(0x06054b50);
    expect(end.readUInt16LE(10)).toBe(0xfffe);
    expect(end.readUInt32LE(12)).toBe(50);
    expect(end.readUInt32LE(16)).toBe(100);
  });

  it.each([
    { entryCount: ZIP64_COUNT_THRESHOLD, centralDirectoryOffset: 100, centralDirectorySize: 50 },
    { entryCount: 3, centralDirectoryOffset: ZIP64_VALUE_THRESHOLD, centralDirectorySize: 50 },
    { entryCount: 3, centralDirectoryOffset: 100, centralDirectorySize: ZIP64_VALUE_THRESHOLD },
  ])("adds the ZIP64 end record and locator for %o", (args) => {
    const plan = planEnd(args);
    expect(plan.zip64).toBe(true);
    const end = encodeEnd(plan);
    expect(end).toHaveLength(56 + 20 + 22);
    expect(end.readUInt32LE(0)).toBe(0x06064b50);
    expect(readUInt64(end, 4)).toBe(44);
    expect(readUInt64(end, 24)).toBe(args.entryCount);
    expect(readUInt64(end, 32)).toBe(args.entryCount);
    expect(readUInt64(end, 40)).toBe(args.centralDirectorySize);
    expect(readUInt64(end, 48)).toBe(args.centralDirectoryOffset);
    expect(end.readUInt32LE(56)).toBe(0x07064b50);
    expect(readUInt64(end, 64)).toBe(args.centralDirectoryOffset + args.centralDirectorySize);
    expect(end.readUInt32LE(72)).toBe(1);
    expect(end.readUInt32LE(76)).toBe(0x06054b50);
    expect(end.readUInt16LE(76 + 10)).toBe(Math.min(args.entryCount, 0xffff));
  });
});
