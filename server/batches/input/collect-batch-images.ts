import type { BatchAnalysis, BatchImage } from "./types";

/**
 * Turns an analysis into the images a job should fetch: only "ok" rows, grouped by product in
 * order of the product's first appearance, numbered from 1 within each product.
 */
export function collectBatchImages(analysis: BatchAnalysis): BatchImage[] {
  // Returning [] here would let a caller create an empty or truncated job without noticing.
  if (analysis.fatal !== null) {
    throw new Error(`cannot collect images from a rejected batch: ${analysis.fatal}`);
  }
  const imagesByProduct = new Map<string, BatchImage[]>();
  for (const row of analysis.rows) {
    if (row.verdict !== "ok") continue;
    let images = imagesByProduct.get(row.product);
    if (!images) {
      images = [];
      imagesByProduct.set(row.product, images);
    }
    images.push({
      product: row.product,
      url: row.url,
      line: row.line,
      position: images.length + 1,
    });
  }
  const collected: BatchImage[] = [];
  for (const summary of analysis.products) {
    const images = imagesByProduct.get(summary.product);
    // A loop, not push(...images): spreading 100,000 arguments overflows the call stack.
    if (images) for (const image of images) collected.push(image);
  }
  return collected;
}
