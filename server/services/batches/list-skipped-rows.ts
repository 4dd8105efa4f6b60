import "server-only";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";

export type TSkippedRow = {
  line: number;
  product: string;
  url: string;
  verdict: string;
  message: string;
};

export const SKIPPED_ROWS_PER_PAGE = 100;

/** One page of the entries Analyze left out of a batch, in input order, with their total. */
export async function listSkippedRows(args: {
  jobId: string;
  page: number;
}): Promise<{ rows: TSkippedRow[]; total: number; page: number; pageCount: number }> {
  const job = await db.job.findUnique({ where: { id: args.jobId }, select: { status: true } });
  if (!job || job.status === "creating")
    throw new AppError("NOT_FOUND", "This job does not exist (it may have been deleted).");
  const total = await db.skippedRow.count({ where: { jobId: args.jobId } });
  const pageCount = Math.max(1, Math.ceil(total / SKIPPED_ROWS_PER_PAGE));
  const page = Math.min(Math.max(0, args.page), pageCount - 1);
  const rows = await db.skippedRow.findMany({
    where: { jobId: args.jobId },
    orderBy: { id: "asc" },
    skip: page * SKIPPED_ROWS_PER_PAGE,
    take: SKIPPED_ROWS_PER_PAGE,
    select: { line: true, product: true, url: true, verdict: true, message: true },
  });
  return { rows, total, page, pageCount };
}

/** Every skipped entry of a job in input order, a page at a time, for skipped.csv. */
export async function* skippedRowPages(
  jobId: string,
  pageRows = 1_000,
): AsyncGenerator<TSkippedRow[]> {
  let afterId = 0;
  for (;;) {
    const rows = await db.skippedRow.findMany({
      where: { jobId, id: { gt: afterId } },
      orderBy: { id: "asc" },
      take: pageRows,
    });
    if (rows.length === 0) return;
    afterId = rows.at(-1)!.id;
    yield rows.map(({ line, product, url, verdict, message }) => ({
      line,
      product,
      url,
      verdict,
      message,
    }));
  }
}
