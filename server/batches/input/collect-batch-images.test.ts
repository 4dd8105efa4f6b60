import { describe, expect, it } from "vitest";
import { analyzeBatchInput } from "./analyze-batch-input";
import { collectBatchImages } from "./collect-batch-images";

const A = "https://example.com/a.jpg";
const B = "https://example.com/b.jpg";
const C = "https://example.com/c.jpg";

describe("collectBatchImages", () => {
  it("groups ok rows per product in order of first appearance with positions", () => {
    const analysis = analyzeBatchInput(
      `SKU\tURL\nP2\tnope\nP1\t${A}\nP2\t${B}\nP1\t${A}\nP1\t${C}\nP2\t${A}`,
    );
    expect(collectBatchImages(analysis)).toEqual([
      { product: "P2", url: B, line: 4, position: 1 },
      { product: "P2", url: A, line: 7, position: 2 },
      { product: "P1", url: A, line: 3, position: 1 },
      { product: "P1", url: C, line: 6, position: 2 },
    ]);
  });

  it("leaves out products that only have errors", () => {
    const analysis = analyzeBatchInput(`P1\tnope\nP2\t${A}`);
    expect(collectBatchImages(analysis).map((image) => image.product)).toEqual(["P2"]);
  });

  it("refuses an analysis with a fatal problem", () => {
    const analysis = analyzeBatchInput(`P1\t${A} ${B}`, { maxRows: 1 });
    expect(() => collectBatchImages(analysis)).toThrow(/too many images/);
  });

  it("handles one product with more images than a spread call can take", () => {
    const urls = Array.from({ length: 150_000 }, (_, index) => `https://example.com/${index}.jpg`);
    const analysis = analyzeBatchInput(`P1\t${urls.join(" ")}`, { maxRows: 200_000 });
    const images = collectBatchImages(analysis);
    expect(images).toHaveLength(150_000);
    expect(images.at(-1)?.position).toBe(150_000);
  });
});
