import { describe, expect, it } from "vitest";
import { analyzeBatchInput } from "@/server/batches/input";
import { packAnalysis, unpackAnalysis } from "./packed-analysis";

describe("packed analysis", () => {
  it("gives back the analysis the worker made, row for row", () => {
    const analysis = analyzeBatchInput(
      [
        "SKU\tImage",
        "ÄÖÜ-1\thttp://x/a.jpg | http://x/b.jpg",
        "bad sku\thttp://x/c.jpg",
        "ÄÖÜ-1\thttp://x/a.jpg",
        "\t",
        "P2\t",
      ].join("\n"),
    );
    expect(unpackAnalysis(packAnalysis(analysis))).toEqual(analysis);
    const empty = analyzeBatchInput("");
    expect(unpackAnalysis(packAnalysis(empty))).toEqual(empty);
  });
});
