import "server-only";
import { db } from "@/server/db";
import { publishJobChange } from "@/server/jobs/progress";
import { logger } from "@/server/logger";
import { getRuntime } from "@/server/runtime";
import { describeStorageFault } from "@/server/storage/describe-storage-fault";

/** The states a job's worker takes up: a paused job is one waiting for our side to come back. */
export const RUNNABLE_JOB_STATES = ["queued", "running", "paused"];
/** First wait before a paused job tries again; doubles up to the max while it keeps failing. */
const RESUME_FIRST_DELAY_MS = 5_000;
const RESUME_MAX_DELAY_MS = 5 * 60_000;
const resumeDelays = new Map<string, number>();
/** the one resume on its way per job: a new pause replaces it, so the growing wait holds */
const resumeTimers = new Map<string, NodeJS.Timeout>();

/**
 * Marks the job paused with its reason and when it tries again, and sets that retry off (its
 * queue's worker runs it again). The retry is scheduled before the row is written: when the
 * database itself refuses writes, the job still comes back.
 */
export async function pauseJob(jobId: string, reason: string, queueName: string): Promise<void> {
  const delay = resumeDelays.get(jobId) ?? RESUME_FIRST_DELAY_MS;
  resumeDelays.set(jobId, Math.min(delay * 2, RESUME_MAX_DELAY_MS));
  logger.warn({ jobId, reason, retryInMs: delay }, "the job pauses and resumes by itself");
  clearTimeout(resumeTimers.get(jobId));
  const timer = setTimeout(() => {
    resumeTimers.delete(jobId);
    getRuntime()
      .queue.enqueue(queueName, { jobId }, { key: jobId })
      .catch((error: unknown) => logger.error({ jobId, err: error }, "could not resume the job"));
  }, delay);
  timer.unref();
  resumeTimers.set(jobId, timer);
  try {
    const { count } = await db.job.updateMany({
      where: { id: jobId, status: { in: RUNNABLE_JOB_STATES } },
      data: { status: "paused", pausedReason: reason, resumeAt: new Date(Date.now() + delay) },
    });
    if (count > 0) publishJobChange({ jobId, productIds: [], isStatusChange: true });
  } catch (error) {
    logger.error({ jobId, err: error }, "could not mark the job paused; it resumes all the same");
  }
}

/** The job got through (or ended): its next pause starts again from the first wait. */
export function forgetPauses(jobId: string): void {
  resumeDelays.delete(jobId);
  clearTimeout(resumeTimers.get(jobId));
  resumeTimers.delete(jobId);
}

/**
 * A paused job first checks that a file can be stored again; the reason it stays paused, or null.
 */
export async function storageStillFailing(): Promise<string | null> {
  const probe = await getRuntime().blobs.check();
  if (probe.isWritable) return null;
  return describeStorageFault(probe.error ?? new Error(probe.detail));
}
