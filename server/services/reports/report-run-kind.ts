import "server-only";
import { db } from "@/server/db";
import { endedItemsOf, heldByNobody, type TJobKind } from "../jobs/job-kind";
import { getReportRunProgress } from "./report-run-progress";
import { REPORT_RUN_QUEUE, runReportJob } from "./run-report-job";

const RETRIED = ["failed", "cancelled"];

/** A report run: saved reports fetched from their systems, each with its own retry budget. */
export const reportRunKind: TJobKind = {
  name: "report_run",
  queue: REPORT_RUN_QUEUE,
  concurrency: 4,
  run: runReportJob,
  // one row per report: small enough to send whole on every change
  readProgress: (jobId) => getReportRunProgress(jobId),
  async releaseAbandonedItems() {
    // their attempt stays counted: the report may have been fetched
    const { count } = await db.reportRunItem.updateMany({
      where: { state: "running", ...heldByNobody() },
      data: { state: "waiting_retry", leaseUntil: null, nextAttemptAt: new Date() },
    });
    return count;
  },
  async countEndedItems(jobIds) {
    const rows = await db.reportRunItem.groupBy({
      by: ["jobId", "state"],
      where: { jobId: { in: jobIds }, state: { in: ["succeeded", "failed", "cancelled"] } },
      _count: { _all: true },
    });
    return endedItemsOf(rows, ["succeeded"]);
  },
  cancelItems: (jobId, now) =>
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
  retry: {
    // a paused run tries again at once; one still fetching is left to finish first
    refusalWhile: (status) =>
      ["queued", "running"].includes(status)
        ? "Wait for the run to finish (or cancel it) before retrying."
        : null,
    count: (jobId) => db.reportRunItem.count({ where: { jobId, state: { in: RETRIED } } }),
    explainNothing: async () => "Nothing to retry: no item of this job failed or was cancelled.",
    // a fresh allowance of attempts; the attempts made so far stay in the log
    putBack: (jobId) =>
      db.reportRunItem.updateMany({
        where: { jobId, state: { in: RETRIED } },
        data: { state: "pending", attempts: 0, error: null, finishedAt: null, nextAttemptAt: null },
      }),
  },
};
