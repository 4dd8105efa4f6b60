import { describe, expect, it } from "vitest";
import { crc32, inflateSync } from "node:zlib";
import { buildImage, buildPng, type FakeImageType } from "./images";

function readPngChunks(png: Buffer) {
  const chunks: { type: string; data: Buffer }[] = [];
  for (let offset = 8; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    expect(png.readUInt32BE(offset + 8 + length)).toBe(
      crc32(data, crc32(Buffer.from(type, "latin1"))),
    );
    chunks.push({ type, data });
    offset += 12 + length;
  }
  return chunks;
}

describe("fake images", () => {
  it("builds a structurally valid PNG with correct CRCs and pixel data", () => {
    const chunks = readPngChunks(buildPng("one"));
    expect(chunks.map((c) => c.type)).toEqual(["IHDR", "tEXt", "IDAT", "IEND"]);
    expect(inflateSync(chunks[2]!.data)).toHaveLength(4 * (1 + 4 * 3));
  });

  it("pads a PNG to about the requested size in a skippable chunk", () => {
    const png = buildPng("padded", 60 * 1024);
    expect(png.length).toBe(60 * 1024);
    expect(readPngChunks(png).map((c) => c.type)).toContain("prVt");
  });

  it.each(["png", "jpg", "webp", "avif", "gif"] as FakeImageType[])(
    "gives %s different bytes per name and the same bytes per call",
    (type) => {
      expect(buildImage(type, "a").equals(buildImage(type, "a"))).toBe(true);
      expect(buildImage(type, "a").equals(buildImage(type, "b"))).toBe(false);
      expect(Math.abs(buildImage(type, "a", 40_000).length - 40_000)).toBeLessThan(300);
    },
  );
});
