import "server-only";
import { db } from "@/server/db";
import { env } from "@/server/env";
import { AppError } from "@/server/errors";
import { publishJobChange } from "@/server/jobs/progress";
import { logger } from "@/server/logger";
import { abortRunningJob } from "@/server/jobs/running-jobs";
import { enqueueJob } from "./enqueue-job";
import type { TRetryScope } from "./job-kind";
import { jobKind } from "./job-kinds";
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
  const [items] = await db.$transaction([
    jobKind(job.kind).cancelItems(jobId, now),
    db.job.update({
      where: { id: jobId },
      data: { status: "cancelled", finishedAt: now, leaseUntil: null },
    }),
  ]);
  await abortRunningJob(jobId);
  publishJobChange({ jobId, productIds: [], isAllProducts: true, isStatusChange: true });
  return { cancelledItems: items.count };
}

/**
 * Puts failed (and cancelled) items back in line and starts the job again: a finished job waits
 * in line again, one still going takes them in as its kind allows, and a paused one tries to
 * resume now instead of waiting for its timer.
 */
export async function retryFailedItems(
  jobId: string,
  scope: TRetryScope = "retryable",
): Promise<{ retriedItems: number }> {
  const job = await findJobOrThrow(jobId);
  const { retry } = jobKind(job.kind);
  const refusal = retry.refusalWhile(job.status);
  if (refusal) throw new AppError("CONFLICT", refusal);
  const count = await retry.count(jobId, scope);
  if (count === 0 && job.status !== "paused") {
    throw new AppError("CONFLICT", await retry.explainNothing(jobId));
  }
  await db.$transaction([
    retry.putBack(jobId, scope),
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
  if (!FINAL_JOB_STATES.has(job.status)) await abortRunningJob(jobId);
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
