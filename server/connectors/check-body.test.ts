import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { assertCsvBody } from "./check-body";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-body-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function check(
  content: string | Buffer,
  options: Partial<Parameters<typeof assertCsvBody>[0]> = {},
) {
  const file = path.join(dir, `${Math.random()}.csv`);
  const bytes = Buffer.from(content);
  fs.writeFileSync(file, bytes);
  return assertCsvBody({
    path: file,
    firstBytes: bytes.subarray(0, 64),
    system: "Host",
    ...options,
  });
}

describe("assertCsvBody", () => {
  it("passes CSV text, a first cell starting with a brace and UTF-16 with its zero bytes", async () => {
    await expect(check("a,b\r\n1,2\r\n")).resolves.toBeUndefined();
    await expect(check("{id},name\r\n1,x\r\n")).resolves.toBeUndefined();
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("a,b\r\n", "utf16le")]);
    await expect(check(utf16)).resolves.toBeUndefined();
  });

  it("refuses an HTML page and binary data, naming what it is", async () => {
    await expect(check("<!DOCTYPE html><html>")).rejects.toThrow(
      "Host answered with an HTML page instead of a CSV (a login page?)",
    );
    await expect(check(zlib.gzipSync("a,b\r\n"))).rejects.toThrow(
      "Host answered with application/gzip instead of a CSV",
    );
    await expect(check(Buffer.from([0x61, 0x00, 0x62]))).rejects.toThrow(
      "Host answered with binary data instead of a CSV",
    );
  });

  it("refuses a JSON document of any size, with its message, retryable as the caller judges", async () => {
    const trace = Array.from({ length: 8000 }, (_, i) => `frame ${i}`);
    const big = JSON.stringify({ error_type: "db", message: "warehouse away", stacktrace: trace });
    expect(big.length).toBeGreaterThan(64 * 1024);
    const refusal = check(big, { isRetryableError: (fields) => fields.error_type === "db" });
    await expect(refusal).rejects.toThrow(
      "Host reported an error instead of the CSV: warehouse away",
    );
    await expect(refusal).rejects.toMatchObject({ isRetryable: true });
    await expect(check('{"error_type":"invalid-query","error":"bad"}')).rejects.toMatchObject({
      isRetryable: false,
    });
    await expect(check('{"rows":[]}')).rejects.toThrow(
      "Host answered with a JSON document instead of a CSV",
    );
  });
});
