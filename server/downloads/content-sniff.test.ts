import { describe, expect, it } from "vitest";
import { buildAvif, buildGif, buildJpeg, buildPng, buildWebp } from "@/test-support/fakes/images";
import { sniffImageType, sniffNonImageType } from "./content-sniff";

const bytes = (...values: number[]) => Uint8Array.from(values);
const ascii = (text: string) => Uint8Array.from(Buffer.from(text, "latin1"));

describe("sniffImageType", () => {
  it("recognises each supported format from generated files", () => {
    expect(sniffImageType(buildJpeg("a"))).toBe("jpeg");
    expect(sniffImageType(buildPng("a"))).toBe("png");
    expect(sniffImageType(buildGif("a"))).toBe("gif");
    expect(sniffImageType(buildWebp("a"))).toBe("webp");
    expect(sniffImageType(buildAvif("a"))).toBe("avif");
  });

  it("recognises minimal signatures", () => {
    expect(sniffImageType(bytes(0xff, 0xd8, 0xff, 0xe1))).toBe("jpeg");
    expect(sniffImageType(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toBe("png");
    expect(sniffImageType(ascii("GIF87a"))).toBe("gif");
    expect(sniffImageType(ascii("GIF89a"))).toBe("gif");
    expect(sniffImageType(ascii("RIFF\x24\x00\x00\x00WEBPVP8 "))).toBe("webp");
  });

  it("finds AVIF by major or compatible brand, including image sequences", () => {
    expect(sniffImageType(buildAvif("x", 0, "mif1"))).toBe("avif");
    expect(sniffImageType(ascii("\x00\x00\x00\x18ftypavis\x00\x00\x00\x00msf1iso8"))).toBe("avif");
    expect(sniffImageType(ascii("\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00miafavif"))).toBe("avif");
  });

  it("rejects look-alikes and other formats", () => {
    expect(sniffImageType(ascii("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"))).toBeNull();
    // "avif" sitting past the end of the ftyp box belongs to another box.
    expect(sniffImageType(ascii("\x00\x00\x00\x10ftypmif1\x00\x00\x00\x00avif"))).toBeNull();
    expect(sniffImageType(ascii("RIFF\x24\x00\x00\x00WAVEfmt "))).toBeNull();
    expect(sniffImageType(ascii("GIF90a"))).toBeNull();
    expect(sniffImageType(bytes(0xff, 0xd8))).toBeNull();
    expect(sniffImageType(bytes(0x89, 0x50, 0x4e, 0x47))).toBeNull();
    expect(sniffImageType(ascii("<!doctype html><html>"))).toBeNull();
    expect(sniffImageType(ascii("BM6\x00\x00\x00"))).toBeNull();
    expect(sniffImageType(new Uint8Array(0))).toBeNull();
  });
});

describe("sniffNonImageType", () => {
  it("names common non-image bodies", () => {
    expect(sniffNonImageType(ascii("\n  <!DOCTYPE html><html>"))).toBe("text/html");
    expect(sniffNonImageType(ascii("\xef\xbb\xbf<html lang=en>"))).toBe("text/html");
    expect(sniffNonImageType(ascii('{"error":"nope"}'))).toBe("application/json");
    expect(sniffNonImageType(ascii("%PDF-1.7"))).toBe("application/pdf");
    expect(sniffNonImageType(ascii("<svg xmlns="))).toBe("image/svg+xml");
    expect(sniffNonImageType(bytes(0x00, 0x01, 0x02))).toBeNull();
  });

  it("names compressed and archive data, other image formats and plain text", () => {
    expect(sniffNonImageType(bytes(0x1f, 0x8b, 0x08, 0x00))).toBe("application/gzip");
    expect(sniffNonImageType(bytes(0x28, 0xb5, 0x2f, 0xfd, 0x00))).toBe("application/zstd");
    expect(sniffNonImageType(ascii("PK\x03\x04\x14\x00"))).toBe("application/zip");
    expect(sniffNonImageType(ascii("II*\x00\x08\x00"))).toBe("image/tiff");
    expect(sniffNonImageType(ascii("BM6\x00\x0c\x00\x00\x00\x00\x00"))).toBe("image/bmp");
    expect(sniffNonImageType(ascii("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"))).toBe("image/heic");
    expect(sniffNonImageType(ascii("region,amount\r\nEU,10\r\n"))).toBe("text/plain");
    // "BM" starting a line of text is text, not a bitmap
    expect(sniffNonImageType(ascii("BMW,120\r\n"))).toBe("text/plain");
  });
});
