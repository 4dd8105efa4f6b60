import "server-only";
import { db, type Prisma } from "@/server/db";
import { publishJobChange } from "@/server/jobs/progress";
import { trackRunningJob } from "@/server/jobs/running-jobs";
import { logger } from "@/server/logger";
import { describeStorageFault } from "@/server/storage/describe-storage-fault";
import { ITEM_LEASE_MS, ITEM_LEASE_RENEW_MS } from "./job-kind";
import { RUNNABLE_JOB_STATES, forgetPauses, pauseJob } from "./pause-job";

type TJobRow = NonNullable<Awaited<ReturnType<typeof db.job.findUnique>>>;

/**
 * One pass of a job whose items are claimed with leases (an export's files, a push): the job is
 * marked running under this worker's lease, renewed with its items' (`renewItems`) while `work`
 * runs. `work` answers our side's fault in plain words (the job pauses on its queue and tries
 * again by itself), or null; then `finish` ends the job if its items are done. A cancel or a
 * shutdown leaves the job as they set it.
 */
export async function runUnderLease(args: {
  jobId: string;
  queueSignal: AbortSignal;
  queue: string;
  what: string;
  renewItems: (jobId: string, leaseUntil: Date) => Prisma.PrismaPromise<unknown>;
  work: (job: TJobRow, signal: AbortSignal) => Promise<string | null>;
  finish: (jobId: string) => Promise<void>;
}): Promise<void> {
  const { jobId } = args;
  const job = await db.job.findUnique({ where: { id: jobId } });
  if (!job || !RUNNABLE_JOB_STATES.includes(job.status)) {
    forgetPauses(jobId);
    return;
  }
  const running = trackRunningJob(jobId, args.queueSignal);
  const heartbeat = setInterval(() => {
    const leaseUntil = new Date(Date.now() + ITEM_LEASE_MS);
    void db
      .$transaction([
        db.job.update({ where: { id: jobId }, data: { leaseUntil } }),
        args.renewItems(jobId, leaseUntil),
      ])
      .catch(() => undefined);
  }, ITEM_LEASE_RENEW_MS);
  let fault: string | null = null;
  try {
    const { count } = await db.job.updateMany({
      where: { id: jobId, status: { in: RUNNABLE_JOB_STATES } },
      data: {
        status: "running",
        startedAt: job.startedAt ?? new Date(),
        leaseUntil: new Date(Date.now() + ITEM_LEASE_MS),
        pausedReason: null,
        resumeAt: null,
      },
    });
    if (count > 0) {
      publishJobChange({ jobId, productIds: [], isStatusChange: true });
      fault = await args.work(job, running.signal);
    }
  } catch (error) {
    logger.error({ jobId, err: error }, `the ${args.what} stopped`);
    fault = describeStorageFault(error);
  } finally {
    clearInterval(heartbeat);
  }
  try {
    if (running.signal.aborted) return;
    if (!fault) {
      await args.finish(jobId);
      forgetPauses(jobId);
      return;
    }
    await pauseJob(jobId, fault, args.queue);
  } finally {
    running.done();
  }
}
