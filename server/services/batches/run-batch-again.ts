import "server-only";
import { imageOptionsOf } from "@/server/batches/image-batch-options";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { createBatchJob, type TCreatedBatch } from "./create-batch-job";

const AGAIN = " (again)";

/**
 * A new batch with a past one's products and image addresses, in their order, and its options
 * (file names, conversion): for a supplier who replaced their images, or a run that was deleted.
 * The rows Analyze skipped then stay skipped. The new batch is checked like any other.
 */
export async function runBatchAgain(jobId: string, userId: string): Promise<TCreatedBatch> {
  const job = await db.job.findUnique({
    where: { id: jobId },
    select: { kind: true, title: true, options: true, status: true },
  });
  if (!job || job.kind !== "image_batch" || job.status === "creating")
    throw new AppError("NOT_FOUND", "This image batch does not exist (it may have been deleted).");
  const products = await db.product.findMany({
    where: { jobId },
    orderBy: { position: "asc" },
    select: { number: true, items: { orderBy: { position: "asc" }, select: { url: true } } },
  });
  if (products.length === 0)
    throw new AppError("BAD_REQUEST", "This batch has no images to fetch.");
  const text = products
    .map((product) => `${product.number}\t${product.items.map((item) => item.url).join(" ")}`)
    .join("\n");
  const { fileNameTemplate, conversion } = imageOptionsOf(job.options);
  const title = job.title.endsWith(AGAIN) ? job.title : `${job.title}${AGAIN}`;
  return createBatchJob({
    userId,
    source: "paste",
    text,
    title,
    options: { fileNameTemplate, ...(conversion ? { conversion } : {}) },
  });
}
