import { describe, expect, it } from "vitest";
import { safeNextPath } from "./safe-next-path";

const ORIGIN = "http://127.0.0.1:3000";

describe("safeNextPath", () => {
  it.each([
    ["/jobs", "/jobs"],
    ["/jobs/abc?tab=failed#items", "/jobs/abc?tab=failed#items"],
    ["/reports/../connectors", "/connectors"],
    ["/%2F%2Fevil.example/x", "/%2F%2Fevil.example/x"],
  ])("keeps a path of this site: %j", (next, expected) => {
    expect(safeNextPath(next, ORIGIN)).toBe(expected);
  });

  it.each([
    null,
    undefined,
    "",
    "//evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example/x",
    "/\\/evil.example/x",
    "/\t/evil.example/x",
    "/\n/evil.example/x",
    "/\r\n/evil.example",
    "/.//evil.example/x",
    "/./\\evil.example",
    "https://evil.example/x",
    "HTTPS://evil.example",
    "http://127.0.0.1:3000@evil.example/",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " /jobs",
    "\t//evil.example",
    "%2F%2Fevil.example",
    "data:text/html,<script>alert(1)</script>",
    "jobs",
    "http://127.0.0.1:3001/jobs",
  ])("refuses anything that could leave the site: %j", (next) => {
    expect(safeNextPath(next, ORIGIN)).toBe("/");
  });

  it("refuses what the URL parser turns into another host, however it is spelled", () => {
    for (const separator of ["/", "\\", "\t/", "/\t", "\n\\"]) {
      expect(safeNextPath(`/${separator}evil.example`, ORIGIN)).toBe("/");
    }
  });
});
