import "server-only";
import Papa from "papaparse";
import { guardText } from "@/server/archive/manifest";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { textStream } from "./build-job-archive";

export type TFailedExportFormat = "tsv" | "csv";

/**
 * Column names the New batch page reads as its header (server/batches/input/detect-format.ts): a
 * copy of the file pasted there, or uploaded as CSV, queues the same product numbers and URLs
 * again. Its own Line and Reason columns hold no URL and are left out there.
 */
export const FAILED_EXPORT_HEADER = ["Product Number", "Image Src", "Line", "Reason"] as const;

const ROWS_PER_READ = 1_000;

/**
 * The failed images of a job, one row each in input order: tab-separated (what a spreadsheet puts
 * on the clipboard) or CSV. Product numbers and reasons are guarded against spreadsheet formulas
 * as the manifest guards them; URLs are kept as they are, and start with "http".
 */
export async function exportFailedItems(args: { jobId: string; format: TFailedExportFormat }) {
  const job = await db.job.findUnique({
    where: { id: args.jobId },
    select: { id: true, kind: true, status: true },
  });
  if (!job || job.status === "creating" || job.kind !== "image_batch")
    throw new AppError("NOT_FOUND", "This job does not exist (it may have been deleted).");
  const delimiter = args.format === "tsv" ? "\t" : ",";
  return {
    fileName: `failed_${job.id.slice(0, 8)}.${args.format}`,
    contentType:
      args.format === "tsv"
        ? "text/tab-separated-values; charset=utf-8"
        : "text/csv; charset=utf-8",
    body: textStream(failedRowPieces(job.id, delimiter)),
  };
}

async function* failedRowPieces(jobId: string, delimiter: string): AsyncGenerator<string> {
  const unparse = (rows: string[][]) =>
    `${Papa.unparse(rows, { delimiter, newline: "\r\n", quotes: false, escapeFormulae: false })}\r\n`;
  yield unparse([[...FAILED_EXPORT_HEADER]]);
  let afterLine = -1;
  for (;;) {
    // by line through the (jobId, state, line) index: a page costs its own rows, not the job's
    const rows = await db.imageItem.findMany({
      where: { jobId, state: "failed", line: { gt: afterLine } },
      orderBy: { line: "asc" },
      take: ROWS_PER_READ,
      select: { line: true, url: true, error: true, product: { select: { number: true } } },
    });
    if (rows.length === 0) return;
    // one line can hold several URLs (a cell of them): the next page starts after the whole line
    const lastLine = rows.at(-1)!.line;
    const whole =
      rows.length < ROWS_PER_READ
        ? rows
        : [
            ...rows.filter((row) => row.line < lastLine),
            ...(await db.imageItem.findMany({
              where: { jobId, state: "failed", line: lastLine },
              select: { line: true, url: true, error: true, product: { select: { number: true } } },
            })),
          ];
    yield unparse(
      whole.map((row) => [
        guardText(row.product.number),
        row.url,
        String(row.line),
        guardText(row.error),
      ]),
    );
    afterLine = lastLine;
  }
}
