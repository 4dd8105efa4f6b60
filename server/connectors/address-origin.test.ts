import { describe, expect, it } from "vitest";
import { addressOrigin } from "./address-origin";

describe("addressOrigin", () => {
  it.each([
    ["https://Metabase.Example.com", "https://metabase.example.com"],
    ["https://metabase.example.com:443/", "https://metabase.example.com"],
    ["http://metabase.example.com:80/metabase", "http://metabase.example.com"],
    ["https://metabase.example.com/metabase/", "https://metabase.example.com"],
    ["https://bücher.example", "https://xn--bcher-kva.example"],
  ])("reads %j as the origin %j", (address, origin) => {
    expect(addressOrigin(address)).toBe(origin);
  });

  it("tells different origins apart", () => {
    const origins = [
      "https://metabase.example.com",
      "http://metabase.example.com",
      "https://metabase.example.com:8443",
      "https://metabase.example.com.evil.example",
      "https://metabase.example.com@evil.example",
    ].map((address) => addressOrigin(address));
    expect(new Set(origins).size).toBe(origins.length);
  });

  it("takes the base URL for an empty setting and resolves a relative one against it", () => {
    const base = "https://acme.my.salesforce.com";
    expect(addressOrigin(base, "")).toBe(base);
    expect(addressOrigin(base, "  ")).toBe(base);
    expect(addressOrigin(base, "/api/health")).toBe(base);
    expect(addressOrigin(base, "https://login.salesforce.com")).toBe(
      "https://login.salesforce.com",
    );
    expect(addressOrigin(base, "//evil.example/x")).toBe("https://evil.example");
  });

  it("compares what is no http(s) URL as written, and has no origin for nothing", () => {
    expect(addressOrigin("", "")).toBeNull();
    expect(addressOrigin("", "report.csv")).toBe("report.csv");
    expect(addressOrigin("ftp://files.example/x")).toBe("ftp://files.example/x");
  });
});
