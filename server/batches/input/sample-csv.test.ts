import { describe, expect, it } from "vitest";
import { analyzeBatchInput } from "./analyze-batch-input";
import { SAMPLE_CSV } from "./sample-csv";

describe("SAMPLE_CSV", () => {
  it("starts with the documented header", () => {
    expect(SAMPLE_CSV.split("\r\n")[0]).toBe("Product Number,Image Src");
  });

  it("analyzes cleanly with one product holding two images", () => {
    const analysis = analyzeBatchInput(SAMPLE_CSV, { source: "csv" });
    expect(analysis.fatal).toBeNull();
    expect(analysis.totals.errors + analysis.totals.duplicates).toBe(0);
    expect(analysis.rows.every((row) => new URL(row.url).hostname === "example.com")).toBe(true);
    expect(analysis.products.some((product) => product.images === 2)).toBe(true);
  });
});
