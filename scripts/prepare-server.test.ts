import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error -- a plain .mjs script shared with `npm start`
import { withFileLock } from "./prepare-server.mjs";

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

function lockFile(): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-build-lock-"));
  folders.push(folder);
  return path.join(folder, ".build.lock");
}

describe("the build lock", () => {
  it("lets one holder in at a time: another gives up after its wait while the lock is held", () => {
    const file = lockFile();
    const inner = withFileLock(file, 0, () => {
      expect(() => withFileLock(file, 50, () => "second")).toThrow(/locked|busy/i);
      return "first";
    });
    expect(inner).toBe("first");
    // released once the work is done
    expect(withFileLock(file, 0, () => "after")).toBe("after");
  });

  it("is released when the work throws", () => {
    const file = lockFile();
    expect(() =>
      withFileLock(file, 0, () => {
        throw new Error("the build failed");
      }),
    ).toThrow("the build failed");
    expect(withFileLock(file, 0, () => "free")).toBe("free");
  });
});
