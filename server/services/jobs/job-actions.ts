import "server-only";
import { db } from "@/server/db";
import { env } from "@/server/env";
import { AppError } from "@/server/errors";
import { publishJobChange } from "@/server/jobs/progress";
import { logger } from "@/server/logger";
import { getRuntime } from "@/server/runtime";
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

/** Puts failed (and cancelled) items back in line and starts the job again. */
export async function retryFailedItems(jobId: string): Promise<{ retriedItems: number }> {
  const job = await findJobOrThrow(jobId);
  if (!FINAL_JOB_STATES.has(job.status)) {
    throw new AppError("CONFLICT", "Wait for the job to finish (or cancel it) before retrying.");
  }
  const retryable = { jobId, state: { in: ["failed", "cancelled"] } };
  const isReportRun = job.kind === "report_run";
  const count = isReportRun
    ? await db.reportRunItem.count({ where: retryable })
    : await db.imageItem.count({ where: retryable });
  if (count === 0) {
    throw new AppError(
      "CONFLICT",
      "Nothing to retry: no item of this job failed or was cancelled.",
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
          where: retryable,
          data: { state: "pending", error: null, httpStatus: null, finishedAt: null },
        }),
    db.job.update({ where: { id: jobId }, data: { status: "queued", finishedAt: null } }),
  ]);
  await enqueueJob(job);
  publishJobChange({ jobId, productIds: [], isAllProducts: true, isStatusChange: true });
  return { retriedItems: count };
}

/**
 * Deletes a job and its rows, then every stored file no other job still uses. Files go after the
 * rows, so a crash in between leaves at worst an unreferenced file, never a row without its file.
 */
export async function deleteJob(jobId: string): Promise<{ deletedFiles: number }> {
  const job = await findJobOrThrow(jobId);
  if (!FINAL_JOB_STATES.has(job.status)) abortRunningJob(jobId);
  const where = { jobId, sha256: { not: null } };
  const hashes = [
    ...(await db.imageItem.findMany({ where, distinct: ["sha256"], select: { sha256: true } })),
    ...(await db.reportRunItem.findMany({ where, distinct: ["sha256"], select: { sha256: true } })),
  ];
  await db.job.delete({ where: { id: jobId } });
  publishJobChange({ jobId, productIds: [], isStatusChange: true });
  return { deletedFiles: await deleteUnusedBlobs([...new Set(hashes.map((h) => h.sha256!))]) };
}

async function deleteUnusedBlobs(candidates: string[]): Promise<number> {
  const { blobs } = getRuntime();
  let deleted = 0;
  for (let i = 0; i < candidates.length; i += 500) {
    const chunk = candidates.slice(i, i + 500);
    const where = { sha256: { in: chunk } };
    const stillUsed = [
      ...(await db.imageItem.findMany({ where, distinct: ["sha256"], select: { sha256: true } })),
      ...(await db.reportRunItem.findMany({
        where,
        distinct: ["sha256"],
        select: { sha256: true },
      })),
    ];
    const used = new Set(stillUsed.map((u) => u.sha256));
    for (const sha256 of chunk) {
      if (used.has(sha256)) continue;
      await blobs.delete(sha256);
      deleted++;
    }
  }
  return deleted;
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
