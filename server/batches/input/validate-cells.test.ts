import { describe, expect, it } from "vitest";
import { MESSAGES, checkImageUrl, checkProductNumber } from "./validate-cells";

describe("checkProductNumber", () => {
  it.each(["A", "SKU-001", "bag_42", "x".repeat(64)])("accepts %j", (product) => {
    expect(checkProductNumber(product)).toBeNull();
  });

  it.each(["SKU 1", "SKU/1", "Größe", "SKU.1"])("rejects characters in %j", (product) => {
    expect(checkProductNumber(product)).toBe(MESSAGES.productCharacters);
  });

  it("gives a distinct message for more than 64 characters", () => {
    expect(checkProductNumber("x".repeat(65))).toBe("product number longer than 64 characters");
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
