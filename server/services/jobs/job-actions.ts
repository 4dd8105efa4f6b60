import "server-only";
import { db } from "@/server/db";
import { env } from "@/server/env";
import { AppError } from "@/server/errors";
import { publishJobChange } from "@/server/jobs/progress";
import { logger } from "@/server/logger";
import { abortRunningJob } from "@/server/jobs/running-jobs";
import { enqueueJob } from "./enqueue-job";
import { FINAL_JOB_STATES } from "./job-progress";

async function findJobOrThrow(jobId: string) {
  const job = await db.job.findUnique({ where: { id: jobId } });
  if (!job) throw new AppError("NOT_FOUND", "This job does not exist (it may have been deleted).");
  return job;
}

/** Stops a job: items not yet finished end as "cancelled"; finished ones and their files stay. */
export async function cancelJob(jobId: string): Promise<{ cancelledItems: number }> {
  const job = await findJobOrThrow(jobId);
  if (FINAL_JOB_STATES.has(job.status))
    throw new AppError("CONFLICT", "This job has already finished.");
  const now = new Date();
  const [images, reports] = await db.$transaction([
    db.imageItem.updateMany({
      where: { jobId, state: { in: ["pending", "downloading"] } },
      data: { state: "cancelled", error: "cancelled", leaseUntil: null, finishedAt: now },
    }),
    db.reportRunItem.updateMany({
      where: { jobId, state: { in: ["pending", "running", "waiting_retry"] } },
      data: {
        state: "cancelled",
        error: "cancelled",
        leaseUntil: null,
        nextAttemptAt: null,
        finishedAt: now,
      },
    }),
    db.job.update({
      where: { id: jobId },
      data: { status: "cancelled", finishedAt: now, leaseUntil: null },
    }),
  ]);
  abortRunningJob(jobId);
  publishJobChange({ jobId, productIds: [], isAllProducts: true, isStatusChange: true });
  return { cancelledItems: images.count + reports.count };
}

/**
 * Which failed items a retry takes: `retryable` (the default) those that may succeed when fetched
 * again (timeouts, 5xx, 429, cut-off bodies, files our side lost) and leaves a 404, a 403, a page
 * that is not an image, a file too large or a refused address alone: asking again gets the same
 * answer. `all` takes every failed item. Cancelled items are taken either way.
 */
export type TRetryScope = "retryable" | "all";

/**
 * Puts failed (and cancelled) items back in line and starts the job again. An image batch that is
 * still going takes them in (its worker claims them, or runs once more after its current pass); a
 * paused one also tries to resume now instead of waiting for its timer.
 */
export async function retryFailedItems(
  jobId: string,
  scope: TRetryScope = "retryable",
): Promise<{ retriedItems: number }> {
  const job = await findJobOrThrow(jobId);
  const isReportRun = job.kind === "report_run";
  const isFinal = FINAL_JOB_STATES.has(job.status);
  // a paused run tries again at once; one still fetching is left to finish first
  if (!isFinal && isReportRun && job.status !== "paused") {
    throw new AppError("CONFLICT", "Wait for the run to finish (or cancel it) before retrying.");
  }
  const retryable = { jobId, state: { in: ["failed", "cancelled"] } };
  const retryableImages =
    scope === "all"
      ? retryable
      : { jobId, OR: [{ state: "cancelled" }, { state: "failed", isRetryable: true }] };
  const count = isReportRun
    ? await db.reportRunItem.count({ where: retryable })
    : await db.imageItem.count({ where: retryableImages });
  if (count === 0 && job.status !== "paused") {
    const failed = isReportRun
      ? 0
      : await db.imageItem.count({ where: { jobId, state: "failed" } });
    throw new AppError(
      "CONFLICT",
      failed > 0
        ? `Nothing to retry: the ${failed.toLocaleString("en-US")} failed ${failed === 1 ? "image gets" : "images get"} the same answer every time (such as 404 Not Found or not an image). Use “Retry all failed” to fetch ${failed === 1 ? "it" : "them"} anyway.`
        : "Nothing to retry: no item of this job failed or was cancelled.",
    );
  }
  await db.$transaction([
    isReportRun
      ? // a fresh allowance of attempts; the attempts made so far stay in the log
        db.reportRunItem.updateMany({
          where: retryable,
          data: {
            state: "pending",
            attempts: 0,
            error: null,
            finishedAt: null,
            nextAttemptAt: null,
          },
        })
      : db.imageItem.updateMany({
          where: retryableImages,
          data: {
            state: "pending",
            error: null,
            errorKind: null,
            isRetryable: false,
            httpStatus: null,
            finishedAt: null,
          },
        }),
    // a job still going keeps its state; a finished one waits in line again
    db.job.updateMany({
      where: { id: jobId, status: { in: [...FINAL_JOB_STATES] } },
      data: { status: "queued", finishedAt: null },
    }),
  ]);
  await enqueueJob(job);
  publishJobChange({ jobId, productIds: [], isAllProducts: true, isStatusChange: true });
  return { retriedItems: count };
}

/**
 * Deletes a job and its rows, its references to stored files included. The files themselves go
 * in the sweep (services/storage/sweep-blobs.ts), once nothing refers to them: deleting them here
 * raced with jobs that had just stored the same file but not yet written their rows.
 */
export async function deleteJob(jobId: string): Promise<void> {
  const job = await findJobOrThrow(jobId);
  if (!FINAL_JOB_STATES.has(job.status)) abortRunningJob(jobId);
  await db.job.delete({ where: { id: jobId } });
  publishJobChange({ jobId, productIds: [], isStatusChange: true });
}

const RETENTION_KEY = "jobRetentionDays";

/** The System page's setting, or JOB_RETENTION_DAYS while nobody has set one. */
export async function getRetentionDays(): Promise<number> {
  const fallback = env.JOB_RETENTION_DAYS;
  const row = await db.setting.findUnique({ where: { key: RETENTION_KEY } });
  const value = row ? Number(row.value) : fallback;
  return Number.isInteger(value) && value >= 0 ? value : fallback;
}

export async function setRetentionDays(days: number): Promise<void> {
  await db.setting.upsert({
    where: { key: RETENTION_KEY },
    create: { key: RETENTION_KEY, value: String(days) },
    update: { value: String(days) },
  });
}

/** Removes finished jobs older than the retention setting; 0 days keeps everything. */
export async function purgeExpiredJobs(args: {
  retentionDays: number;
  now?: Date;
}): Promise<{ deletedJobs: number }> {
  if (args.retentionDays <= 0) return { deletedJobs: 0 };
  const cutoff = new Date((args.now ?? new Date()).getTime() - args.retentionDays * 86_400_000);
  const expired = await db.job.findMany({
    where: { status: { in: [...FINAL_JOB_STATES] }, finishedAt: { lt: cutoff } },
    select: { id: true },
  });
  for (const job of expired) await deleteJob(job.id);
  if (expired.length > 0)
    logger.info({ deletedJobs: expired.length, retentionDays: args.retentionDays }, "retention");
  return { deletedJobs: expired.length };
}
