import { describe, expect, it } from "vitest";
import { secretHeaderValue, ZHeaderName, ZHeaders } from "./http-header";

const messages = (result: { success: boolean; error?: { issues: { message: string }[] } }) =>
  result.error?.issues.map((issue) => issue.message) ?? [];

describe("header rules", () => {
  it("keeps valid names and values", () => {
    expect(ZHeaders.parse({ "X-Api-Key": "abc def", Accept: "text/csv" })).toEqual({
      "X-Api-Key": "abc def",
      Accept: "text/csv",
    });
    expect(ZHeaderName.parse(" X-Api-Key ")).toBe("X-Api-Key");
    expect(ZHeaderName.parse(undefined)).toBe("");
  });

  it.each([
    ["a CR/LF in a value", { "X-Team": "data\r\nX-Admin: 1" }, /"X-Team" contains a line break/],
    ["a bare LF in a value", { "X-Team": "a\nb" }, /"X-Team" contains a line break/],
    ["a NUL in a value", { "X-Team": "a\u0000b" }, /"X-Team" contains a line break/],
    ["a space in a name", { "X Team": "data" }, /header name "X Team" is not valid/],
    ["a colon in a name", { "X-Team:": "data" }, /header name "X-Team:" is not valid/],
    ["a line break in a name", { "X-Team\r\nHost": "x" }, /header name "X-Team\\r\\nHost"/],
    ["an empty name", { "": "x" }, /header name "" is not valid/],
  ])("refuses %s, naming the header", (_case, headers, message) => {
    const result = ZHeaders.safeParse(headers);
    expect(result.success).toBe(false);
    expect(messages(result).join(" ")).toMatch(message);
  });

  it("refuses a header name that is not a token", () => {
    expect(messages(ZHeaderName.safeParse("X-Api Key"))).toEqual([
      'The header name "X-Api Key" is not valid: use letters, digits and - only, without spaces or a colon.',
    ]);
  });

  it("names a secret header value by its label and never quotes the secret", () => {
    const result = secretHeaderValue("API key").safeParse("mb_key\r\nX-Evil: 1");
    expect(messages(result)).toEqual([
      "The API key contains a line break; it is sent in a one-line header, so remove it.",
    ]);
    expect(JSON.stringify(result.error)).not.toContain("mb_key");
    expect(secretHeaderValue("API key").parse(undefined)).toBeUndefined();
  });
});
