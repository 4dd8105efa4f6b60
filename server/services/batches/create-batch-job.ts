import "server-only";
import { analyzeBatchInput, collectBatchImages } from "@/server/batches/input";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { getRuntime } from "@/server/runtime";
import { insertBatchRows } from "./item-rows";
import { IMAGE_BATCH_QUEUE } from "./run-batch-job";

/**
 * Re-validates the input on the server (the browser's preview is only a preview), then writes the
 * job, its products and every item in one transaction: either the whole batch is accepted or none of it.
 */
export async function createBatchJob(args: {
  userId: string;
  text: string;
  source: "paste" | "csv";
  title?: string;
}): Promise<{ jobId: string; images: number; products: number; skippedRows: number }> {
  const analysis = analyzeBatchInput(args.text, { source: args.source });
  if (analysis.fatal) throw new AppError("BAD_REQUEST", analysis.fatal);
  const images = collectBatchImages(analysis);
  if (images.length === 0) {
    throw new AppError(
      "BAD_REQUEST",
      "No valid rows to download: fix the rows marked as errors and analyze again.",
    );
  }

  const productIds = new Map<string, string>();
  for (const image of images)
    if (!productIds.has(image.product)) productIds.set(image.product, crypto.randomUUID());
  const title = args.title?.trim() || defaultTitle(productIds.size, images.length);

  const jobId = await db.$transaction(
    async (tx) => {
      const job = await tx.job.create({
        data: {
          kind: "image_batch",
          title,
          status: "queued",
          totalItems: images.length,
          createdById: args.userId,
        },
      });
      const products = [...productIds.entries()].map(([number, id], index) => ({
        id,
        number,
        position: index + 1,
      }));
      const items = images.map((image) => ({
        productId: productIds.get(image.product)!,
        position: image.position,
        line: image.line,
        url: image.url,
      }));
      await insertBatchRows(tx, job.id, products, items);
      return job.id;
      // a 100,000-image batch takes a few seconds to insert; the default 5 s would cut it off
    },
    { timeout: 120_000 },
  );

  await getRuntime().queue.enqueue(IMAGE_BATCH_QUEUE, { jobId }, { key: jobId });
  return {
    jobId,
    images: images.length,
    products: productIds.size,
    skippedRows: analysis.totals.errors + analysis.totals.duplicates,
  };
}

function defaultTitle(products: number, images: number): string {
  const stamp = new Date().toISOString().slice(0, 16).replace("T", " ");
  return `${images} image${images === 1 ? "" : "s"} of ${products} product${products === 1 ? "" : "s"} · ${stamp} UTC`;
}
