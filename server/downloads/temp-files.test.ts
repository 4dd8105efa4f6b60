import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sweepTempFiles, TEMP_FILE_GRACE_MS } from "./temp-files";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function folderWith(files: Record<string, number>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-sweep-"));
  dirs.push(dir);
  for (const [name, ageMs] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, "x");
    const when = new Date(Date.now() - ageMs);
    fs.utimesSync(file, when, when);
  }
  return dir;
}

describe("sweepTempFiles", () => {
  it("removes download leftovers idle past the grace period and nothing else", async () => {
    const old = TEMP_FILE_GRACE_MS + 60_000;
    const dir = folderWith({
      "dl-1.part": old,
      "report-2.part": old,
      "report-3.part.final": old,
      "salesforce-4.part": old,
      "report-5.part": 1_000, // a download another process may still be writing
      "manifest-6.csv": old, // not a download
      "probe-7": old,
    });
    expect(await sweepTempFiles(dir)).toBe(4);
    expect(fs.readdirSync(dir).sort()).toEqual(["manifest-6.csv", "probe-7", "report-5.part"]);
  });

  it("is quiet about a folder that does not exist", async () => {
    expect(await sweepTempFiles(path.join(os.tmpdir(), "datahaul-no-such-folder"))).toBe(0);
  });
});
