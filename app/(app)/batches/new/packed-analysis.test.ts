import { describe, expect, it } from "vitest";
import { analyzeBatchInput } from "@/server/batches/input";
import { packAnalysis, toPreviewAnalysis } from "./packed-analysis";

describe("packed analysis", () => {
  it("gives back every row the worker analyzed, and the rows of each verdict", () => {
    const analysis = analyzeBatchInput(
      [
        "SKU\tImage",
        "ÄÖÜ-1\thttp://x/a.jpg | http://x/b.jpg",
        "bad sku\thttp://x/c.jpg",
        "ÄÖÜ-1\thttp://x/a.jpg",
        "\t",
        "P2\t",
        "产品-7\thttp://x/😀.jpg",
      ].join("\n"),
    );
    const preview = toPreviewAnalysis(structuredClone(packAnalysis(analysis)));
    const { rows, ...rest } = analysis;
    expect(preview).toMatchObject(rest);
    expect(Array.from({ length: preview.rows.count }, (_, i) => preview.rows.at(i))).toEqual(rows);
    expect([...preview.rows.indexesOf("error")]).toEqual([2, 4]);
    expect([...preview.rows.indexesOf("duplicate")]).toEqual([3]);
    expect(toPreviewAnalysis(packAnalysis(analyzeBatchInput(""))).rows.count).toBe(0);
  });
});
