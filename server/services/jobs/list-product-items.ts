import "server-only";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";

export type TProductItem = {
  id: string;
  position: number;
  line: number;
  url: string;
  state: string;
  attempts: number;
  httpStatus: number | null;
  contentType: string | null;
  bytes: number | null;
  error: string | null;
};

export async function listProductItems(args: {
  jobId: string;
  productId: string;
}): Promise<TProductItem[]> {
  const product = await db.product.findFirst({
    where: { id: args.productId, jobId: args.jobId },
    select: { id: true },
  });
  if (!product) throw new AppError("NOT_FOUND", "That product is not part of this job.");
  return db.imageItem.findMany({
    where: { productId: product.id },
    orderBy: { position: "asc" },
    select: {
      id: true,
      position: true,
      line: true,
      url: true,
      state: true,
      attempts: true,
      httpStatus: true,
      contentType: true,
      bytes: true,
      error: true,
    },
  });
}

/** Failed items of a job in input order, for the "what went wrong" list. */
export async function listFailedItems(args: { jobId: string; limit?: number }) {
  return db.imageItem.findMany({
    where: { jobId: args.jobId, state: "failed" },
    orderBy: { line: "asc" },
    take: args.limit ?? 500,
    select: {
      id: true,
      line: true,
      url: true,
      attempts: true,
      httpStatus: true,
      error: true,
      isRetryable: true,
      product: { select: { number: true } },
    },
  });
}
