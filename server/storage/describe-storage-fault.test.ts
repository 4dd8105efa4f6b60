import { describe, expect, it } from "vitest";
import { describeFileError, describeStorageFault } from "./describe-storage-fault";

const systemError = (code: string) =>
  Object.assign(new Error(`${code}: something, open '/data/tmp/x'`), { code });

describe("describeStorageFault", () => {
  it.each([
    [systemError("ENOSPC"), "storage is not writable (no space left on the disk, ENOSPC)"],
    [systemError("EROFS"), "storage is not writable (the volume is read-only, EROFS)"],
    [systemError("EACCES"), "storage is not writable (permission denied, EACCES)"],
    [systemError("EIO"), "storage is not writable (the disk reported an input/output error, EIO)"],
    [
      new Error("Invalid `prisma.$executeRaw()` invocation:\n\ndatabase or disk is full"),
      "the database could not be written (the disk is full)",
    ],
    [
      new Error("attempt to write a readonly database"),
      "the database could not be written (it is read-only)",
    ],
    [
      new Error(
        'Invalid `prisma.$executeRaw()` invocation:\n\nRaw query failed. Code: `53100`. Message: `could not extend file "base/16384/16500": No space left on device`',
      ),
      "the database could not be written (the disk is full)",
    ],
    [
      new Error(
        "Raw query failed. Code: `25006`. Message: `cannot execute UPDATE in a read-only transaction`",
      ),
      "the database could not be written (it is read-only)",
    ],
    [new Error("something else\nwith a second line"), "our side failed: something else"],
  ])("says %s in plain words", (error, expected) => {
    expect(describeStorageFault(error)).toBe(expected);
  });

  it("keeps an unknown file error's own message, without inventing words for it", () => {
    expect(describeFileError(systemError("EXYZ"))).toBe("EXYZ: something, open '/data/tmp/x'");
  });
});
