import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readJsonFile } from "./json-file";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-json-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function read(content: string | Buffer) {
  const file = path.join(dir, `${Math.random()}.json`);
  fs.writeFileSync(file, content);
  return readJsonFile(file);
}

describe("readJsonFile", () => {
  it("counts the elements of a top-level array, nested arrays not included", async () => {
    expect(await read('[{"a":[1,2,{"b":[]}]},{"c":{}},3,"x",[4,5],true,null,-0.5e+3]')).toEqual({
      shape: "array",
      rows: 8,
      fields: {},
    });
    expect(await read(" [ ] ")).toEqual({ shape: "array", rows: 0, fields: {} });
    expect(await read("\uFEFF[1]")).toMatchObject({ rows: 1 });
  });

  it("keeps an error document's top-level messages, decoding escapes", async () => {
    const summary = await read(
      JSON.stringify({
        status: "failed",
        error: 'relation "x" does not exist\n\u00e9',
        error_type: "invalid-query",
        data: { message: "not top-level" },
        stacktrace: ["a", "b"],
        message: { nested: true },
      }),
    );
    expect(summary).toEqual({
      shape: "object",
      rows: null,
      fields: {
        status: "failed",
        error: 'relation "x" does not exist\né',
        error_type: "invalid-query",
        message: true,
      },
    });
  });

  it("agrees with JSON.parse on what is JSON", async () => {
    const samples = [
      "1",
      '"text"',
      "true",
      "null",
      '{"a":1,"b":[true,false,null],"c":"\\u20ac\\"\\\\"}',
      "[1e5, 2E-3, 0, -0, 0.25]",
      // not JSON
      "",
      "[1,2",
      "[1,]",
      "{,}",
      '{"a" 1}',
      '{"a":1,}',
      "[01]",
      "[1.]",
      "[.5]",
      "[1e]",
      "[-]",
      "[tru]",
      "[nul",
      '["a\tb"]',
      '["\\x"]',
      '["\\u12g4"]',
      "[1] [2]",
      "{id},name\r\n1,2",
      "[1}",
      '{"a":1]',
    ];
    for (const text of samples) {
      let isJson = true;
      try {
        JSON.parse(text);
      } catch {
        isJson = false;
      }
      expect({ text, isJson: (await read(text)) !== null }).toEqual({ text, isJson });
    }
  });

  it("reads a document split at every byte across read blocks the same way", async () => {
    // 256 KiB blocks: a string, an escape and a number straddle the block boundary
    const pad = "x".repeat(256 * 1024 - 12);
    const text = `[{"k":"${pad}\\u00e9"},12345.678e-2,{"error":"late"}]`;
    expect(await read(text)).toMatchObject({ shape: "array", rows: 3 });
  });
});
