import { describe, expect, it } from "vitest";
import { blockRange, columnLetters, quoteSheetName, rangePath } from "./a1";

describe("A1 notation for the Sheets values API", () => {
  it("names columns as Sheets does, past Z and ZZ", () => {
    expect([1, 26, 27, 52, 53, 702, 703, 18278].map(columnLetters)).toEqual([
      "A",
      "Z",
      "AA",
      "AZ",
      "BA",
      "ZZ",
      "AAA",
      "ZZZ",
    ]);
  });

  it("quotes any sheet name, doubling its own quotes", () => {
    expect(quoteSheetName("Sheet1")).toBe("'Sheet1'");
    expect(quoteSheetName("Bob's 2026 sales")).toBe("'Bob''s 2026 sales'");
  });

  it("gives a block of rows and columns, and encodes it whole for the path", () => {
    expect(blockRange("Sales 2026", 2, 100, 4)).toBe("'Sales 2026'!A2:D101");
    expect(rangePath("'Sales 2026'!A1:D10")).toBe("%27Sales%202026%27%21A1%3AD10");
  });
});
