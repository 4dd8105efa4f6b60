import "server-only";
import { db } from "@/server/db";
import { publishJobChange } from "@/server/jobs/progress";
import { logger } from "@/server/logger";

export type TFinalJobStatus = "completed" | "completed_with_errors" | "failed";

/** How a job ends once none of its items is still waiting or in progress. */
export function finalJobStatus(succeeded: number, failed: number): TFinalJobStatus {
  if (failed === 0) return "completed";
  return succeeded === 0 ? "failed" : "completed_with_errors";
}

/**
 * Marks a running job finished and tells listeners, then starts the delivery of its files to the
 * destinations it names. Only a job still "running" changes, so a job that a cancel or another
 * delivery finished first stays as it is; returns whether this call did it.
 */
export async function markJobFinished(jobId: string, status: TFinalJobStatus): Promise<boolean> {
  const { count } = await db.job.updateMany({
    where: { id: jobId, status: "running" },
    data: { status, finishedAt: new Date(), leaseUntil: null },
  });
  if (count === 0) return false;
  publishJobChange({ jobId, productIds: [], isStatusChange: true });
  try {
    // imported here: the delivery job kind finishes through this module too
    const { startDeliveries } = await import("../deliveries/start-deliveries");
    await startDeliveries(jobId);
  } catch (error) {
    // the job stays finished; a worker's next start looks for deliveries left unstarted
    logger.error({ jobId, err: error }, "the delivery of a finished job could not start");
  }
  try {
    const { raiseAlerts } = await import("../alerts/alerts");
    await raiseAlerts(jobId);
  } catch (error) {
    logger.error({ jobId, err: error }, "the alerts of a finished job could not be raised");
  }
  return true;
}

/**
 * A finished job whose items changed afterwards (stored files found missing and marked failed)
 * takes the final state its counts now give. A job still going is left alone: its worker ends it.
 */
export async function restateFinishedJob(
  jobId: string,
  succeeded: number,
  failed: number,
): Promise<void> {
  await db.job.updateMany({
    where: { id: jobId, status: { in: ["completed", "completed_with_errors", "failed"] } },
    data: { status: finalJobStatus(succeeded, failed) },
  });
}
