import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import JSZip from "jszip";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConnectorError } from "./connector-error";
import { unzipToTempFiles } from "./unzip-report";

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-unzip-"));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function zipOf(entries: Record<string, string>): Promise<string> {
  const zip = new JSZip();
  for (const [name, text] of Object.entries(entries)) zip.file(name, text);
  const file = path.join(dir, "answer.zip");
  fs.writeFileSync(file, await zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" }));
  return file;
}

const temp = () => path.join(dir, "temp");
const leftInTemp = () => fs.readdirSync(temp());

describe("unzipToTempFiles", () => {
  beforeEach(() => fs.mkdirSync(temp()));

  it("writes each entry to its own temp file, labelled, in natural order", async () => {
    const zipPath = await zipOf({
      "query_10.csv": "ten\n",
      "query_2.csv": "two\n",
      "query_1.csv": "one\n",
      "folder/": "",
    });
    const files = await unzipToTempFiles(zipPath, temp(), { maxBytes: 1000, system: "Superset" });
    expect(files.map((f) => f.label)).toEqual(["query_1", "query_2", "query_10"]);
    expect(files.map((f) => fs.readFileSync(f.path, "utf8"))).toEqual(["one\n", "two\n", "ten\n"]);
    for (const file of files) expect(path.dirname(file.path)).toBe(temp());
  });

  it("stops an archive that unpacks beyond the limit and leaves nothing behind", async () => {
    // 2 MB of zeros compress to a few KB
    const zipPath = await zipOf({ "query_1.csv": "a\n", "query_2.csv": "0".repeat(2 << 20) });
    const error = await unzipToTempFiles(zipPath, temp(), {
      maxBytes: 1 << 20,
      system: "Superset",
    }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as Error).message).toMatch(
      /^the report is too large \(its ZIP unpacks to more than/,
    );
    expect(leftInTemp()).toEqual([]);
  });

  it("says so when the answer is not a readable ZIP, or holds no file", async () => {
    const broken = path.join(dir, "broken.zip");
    fs.writeFileSync(broken, "PK\u0003\u0004 but then nothing a ZIP reader can use");
    await expect(
      unzipToTempFiles(broken, temp(), { maxBytes: 1000, system: "Superset" }),
    ).rejects.toThrow(/^Superset sent a ZIP that cannot be read/);
    const empty = await zipOf({ "folder/": "" });
    await expect(
      unzipToTempFiles(empty, temp(), { maxBytes: 1000, system: "Superset" }),
    ).rejects.toThrow("Superset sent an empty ZIP");
  });
});
