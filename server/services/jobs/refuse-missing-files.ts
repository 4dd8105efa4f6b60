import "server-only";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { publishJobChange } from "@/server/jobs/progress";
import { findMissingBlobs } from "../storage/find-missing-blobs";
import { restateFinishedJob } from "./finish-job";

/**
 * Every stored file of an archive must be there before its first byte: a file gone from the store
 * would otherwise cut the download in the middle, after a length that promised all of it. The
 * items whose files are gone are failed with the reason, so "retry failed" fetches them again, and
 * the archive is refused with a message that says so.
 */
export async function refuseMissingImageFiles(
  jobId: string,
  files: Iterable<{ sha256: string; bytes: number }>,
): Promise<void> {
  const missing = await findMissingBlobs(files);
  if (missing.size === 0) return;
  const finishedAt = new Date();
  let failed = 0;
  for (const [sha256, reason] of missing) {
    const { count } = await db.imageItem.updateMany({
      // a converted copy that is gone fails its item the same way: both are fetched again
      where: { jobId, state: "downloaded", OR: [{ sha256 }, { convertedSha256: sha256 }] },
      // our side lost the file: fetching it again mends that
      data: {
        state: "failed",
        error: reason,
        errorKind: "missing_file",
        isRetryable: true,
        bytes: null,
        sha256: null,
        crc32: null,
        finishedAt,
        convertedSha256: null,
        convertedBytes: null,
        convertedCrc32: null,
        convertedExtension: null,
      },
    });
    failed += count;
  }
  const rows = await db.imageItem.groupBy({
    by: ["state"],
    where: { jobId },
    _count: { _all: true },
  });
  const counts = countByState(rows);
  await restateFinishedJob(jobId, counts("downloaded") + counts("duplicate"), counts("failed"));
  publishJobChange({ jobId, productIds: [], isAllProducts: true, isStatusChange: true });
  throw refusal(failed, "image");
}

/** The same for a report run's archive: a report whose file is gone fails with the reason. */
export async function refuseMissingReportFiles(
  jobId: string,
  files: { itemId: string; sha256: string; bytes: number }[],
): Promise<void> {
  const missing = await findMissingBlobs(files);
  if (missing.size === 0) return;
  const finishedAt = new Date();
  let failed = 0;
  for (const file of files) {
    const reason = missing.get(file.sha256);
    if (!reason) continue;
    const { count } = await db.reportRunItem.updateMany({
      where: { id: file.itemId, state: "succeeded" },
      data: { state: "failed", error: reason, finishedAt },
    });
    failed += count;
  }
  const rows = await db.reportRunItem.groupBy({
    by: ["state"],
    where: { jobId },
    _count: { _all: true },
  });
  const counts = countByState(rows);
  await restateFinishedJob(jobId, counts("succeeded"), counts("failed"));
  publishJobChange({ jobId, productIds: [], isStatusChange: true });
  throw refusal(failed, "report");
}

function countByState(rows: { state: string; _count: { _all: number } }[]) {
  return (state: string) => rows.find((row) => row.state === state)?._count._all ?? 0;
}

function refusal(count: number, noun: "image" | "report"): AppError {
  const one = count === 1;
  return new AppError(
    "CONFLICT",
    `${count.toLocaleString("en-US")} stored ${one ? "file is" : "files are"} missing, so the ZIP would be incomplete. ` +
      `${one ? `That ${noun} is` : `Those ${noun}s are`} now marked failed: retry failed items to fetch ${one ? "it" : "them"} again.`,
  );
}
