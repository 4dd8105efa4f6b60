import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { updateCrc32 } from "./crc32";

describe("updateCrc32", () => {
  it("keeps the running value across empty chunks, whatever buffer they view", () => {
    const whole = crc32(Buffer.from("hello world"));
    let running = updateCrc32(Buffer.from("hello "));
    running = updateCrc32(new Uint8Array(new ArrayBuffer(0)), running);
    running = updateCrc32(Buffer.alloc(0), running);
    running = updateCrc32(Buffer.from("world"), running);
    expect(running).toBe(whole);
  });
});
