import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { analyzeBatchInput } from "./analyze-batch-input";

/** The New batch page links this file so users can see the expected columns. */
const SAMPLE_CSV = fs.readFileSync("public/datahaul-sample.csv", "utf8");

describe("the sample CSV in public/", () => {
  it("starts with the documented header and ends its lines as Excel does", () => {
    expect(SAMPLE_CSV.split("\r\n")[0]).toBe("Product Number,Image Src");
    expect(SAMPLE_CSV.replaceAll("\r\n", "")).not.toMatch(/[\r\n]/);
  });

  it("analyzes cleanly with one product holding two images", () => {
    const analysis = analyzeBatchInput(SAMPLE_CSV, { source: "csv" });
    expect(analysis.fatal).toBeNull();
    expect(analysis.totals.errors + analysis.totals.duplicates).toBe(0);
    expect(analysis.rows.every((row) => new URL(row.url).hostname === "example.com")).toBe(true);
    expect(analysis.products.some((product) => product.images === 2)).toBe(true);
  });
});
