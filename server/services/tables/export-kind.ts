import "server-only";
import { db } from "@/server/db";
import { endedItemsOf, heldByNobody, type TJobKind } from "../jobs/job-kind";
import { getExportProgress } from "./export-progress";
import { EXPORT_QUEUE, runExportJob } from "./run-export-job";

const RETRIED = ["failed", "cancelled"];

/** An export: a transform"s result written to one or more files. */
export const exportKind: TJobKind = {
  name: "export",
  queue: EXPORT_QUEUE,
  // each export holds a table engine connection and its memory: two at a time per worker
  concurrency: 2,
  run: runExportJob,
  readProgress: (jobId) => getExportProgress(jobId),
  async releaseAbandonedItems() {
    const { count } = await db.exportOutput.updateMany({
      where: { state: "running", ...heldByNobody() },
      data: { state: "pending", leaseUntil: null },
    });
    return count;
  },
  async countEndedItems(jobIds) {
    const rows = await db.exportOutput.groupBy({
      by: ["jobId", "state"],
      where: { jobId: { in: jobIds }, state: { in: ["succeeded", "failed", "cancelled"] } },
      _count: { _all: true },
    });
    return endedItemsOf(rows, ["succeeded"]);
  },
  cancelItems: (jobId, now) =>
    db.exportOutput.updateMany({
      where: { jobId, state: { in: ["pending", "running"] } },
      data: { state: "cancelled", error: "cancelled", leaseUntil: null, finishedAt: now },
    }),
  retry: {
    refusalWhile: (status) =>
      ["queued", "running"].includes(status)
        ? "Wait for the export to finish (or cancel it) before retrying."
        : null,
    count: (jobId) => db.exportOutput.count({ where: { jobId, state: { in: RETRIED } } }),
    explainNothing: async () => "Nothing to retry: no file of this export failed or was cancelled.",
    putBack: (jobId) =>
      db.exportOutput.updateMany({
        where: { jobId, state: { in: RETRIED } },
        data: { state: "pending", error: null, finishedAt: null, rowsDone: 0 },
      }),
  },
};
