import { describe, expect, it } from "vitest";
import {
  MESSAGES,
  checkImageUrl,
  checkProductNumber,
  normalizeProductNumber,
} from "./validate-cells";

describe("checkProductNumber", () => {
  it.each([
    "A",
    "SKU-001",
    "bag_42",
    "x".repeat(64),
    "ÄÖÜ-1",
    "Größe",
    "产品-7",
    "Ελληνικά_3",
    "हिन्दी-2",
    "١٢٣",
    "产".repeat(64),
  ])("accepts %j", (product) => {
    expect(checkProductNumber(product)).toBeNull();
  });

  it.each([
    ["SKU 1", "a space"],
    ["SKU/1", "“/”"],
    ["SKU.1", "“.”"],
    ['"XL"-P9', '“"”'],
    ["SKU\t1", "a tab"],
    ["SKU\u00a01", "a space character (U+00A0)"],
    ["SKU\u200b1", "an invisible character (U+200B)"],
    ["SKU²", "“²”"],
    ["👍", "“👍”"],
  ])("refuses %j, naming %s", (product, named) => {
    expect(checkProductNumber(product)).toBe(
      `product number contains ${named}: only letters, digits, - and _ are allowed`,
    );
  });

  it("counts characters, not UTF-16 units, against the limit of 64", () => {
    expect(checkProductNumber("x".repeat(65))).toBe("product number longer than 64 characters");
    expect(checkProductNumber("𠀀".repeat(64))).toBeNull();
    expect(checkProductNumber("𠀀".repeat(65))).toBe(MESSAGES.productLength);
  });

  it("normalizes to NFC, so a decomposed accent is the same product number", () => {
    expect(normalizeProductNumber(" A\u0308-1 ")).toBe("\u00c4-1");
  });

  it("drops a spreadsheet's leading text mark, so an exported '-P1 pastes back as -P1", () => {
    expect(normalizeProductNumber("'-P1")).toBe("-P1");
    expect(normalizeProductNumber(" '+7 ")).toBe("+7");
    expect(checkProductNumber(normalizeProductNumber("'-P1"))).toBeNull();
    // only the first: a second apostrophe is the user's, and refused as any other
    expect(normalizeProductNumber("''P1")).toBe("'P1");
  });

  it("reports a missing product number", () => {
    expect(checkProductNumber("")).toBe("missing product number");
  });
});

describe("checkImageUrl", () => {
  it("accepts http and https URLs and returns the normalised href as key", () => {
    expect(checkImageUrl("HTTPS://Example.COM/a.jpg")).toEqual({
      error: null,
      key: "https://example.com/a.jpg",
    });
    expect(checkImageUrl("http://example.com:8080/a b").error).toBeNull();
  });

  it.each([
    "ftp://example.com/a.jpg",
    "example.com/a.jpg",
    "/images/a.jpg",
    "http:example.com/a.jpg",
    "https://",
    "https:///a.jpg",
    "https:\\\\example.com\\a.jpg",
    "https://:80/a.jpg",
    "https://exa mple.com/a.jpg",
    "javascript:alert(1)",
  ])("rejects %j", (url) => {
    expect(checkImageUrl(url).error).toBe("not an http or https URL");
  });

  it("accepts exactly 2048 characters and rejects 2049", () => {
    const base = "https://example.com/";
    expect(checkImageUrl(base + "a".repeat(2048 - base.length)).error).toBeNull();
    expect(checkImageUrl(base + "a".repeat(2049 - base.length)).error).toBe(
      "URL longer than 2048 characters",
    );
  });

  it("reports a missing URL", () => {
    expect(checkImageUrl("").error).toBe("missing image URL");
  });
});
