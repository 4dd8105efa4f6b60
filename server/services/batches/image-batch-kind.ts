import "server-only";
import { db } from "@/server/db";
import { endedItemsOf, heldByNobody, type TJobKind } from "../jobs/job-kind";
import { getJobProgress } from "../jobs/job-progress";
import { IMAGE_BATCH_QUEUE, runBatchJob } from "./run-batch-job";

/** An image batch: product images fetched, checked and stored, filed by product in a ZIP. */
export const imageBatchKind: TJobKind = {
  name: "image_batch",
  queue: IMAGE_BATCH_QUEUE,
  concurrency: 4,
  run: runBatchJob,
  // only the products that changed: a batch can hold 100,000 images
  readProgress: (jobId, changed) => getJobProgress(jobId, changed),
  async releaseAbandonedItems() {
    const { count } = await db.imageItem.updateMany({
      where: { state: "downloading", ...heldByNobody() },
      data: { state: "pending", leaseUntil: null },
    });
    return count;
  },
  async countEndedItems(jobIds) {
    const rows = await db.imageItem.groupBy({
      by: ["jobId", "state"],
      where: {
        jobId: { in: jobIds },
        state: { in: ["downloaded", "duplicate", "failed", "cancelled"] },
      },
      _count: { _all: true },
    });
    return endedItemsOf(rows, ["downloaded", "duplicate"]);
  },
  cancelItems: (jobId, now) =>
    db.imageItem.updateMany({
      where: { jobId, state: { in: ["pending", "downloading"] } },
      data: { state: "cancelled", error: "cancelled", leaseUntil: null, finishedAt: now },
    }),
  retry: {
    // a batch still going takes them in: its worker claims them, or runs once more after its pass
    refusalWhile: () => null,
    count: (jobId, scope) => db.imageItem.count({ where: retriedImages(jobId, scope) }),
    async explainNothing(jobId) {
      const failed = await db.imageItem.count({ where: { jobId, state: "failed" } });
      return failed > 0
        ? `Nothing to retry: the ${failed.toLocaleString("en-US")} failed ${failed === 1 ? "image gets" : "images get"} the same answer every time (such as 404 Not Found or not an image). Use “Retry all failed” to fetch ${failed === 1 ? "it" : "them"} anyway.`
        : "Nothing to retry: no item of this job failed or was cancelled.";
    },
    putBack: (jobId, scope) =>
      db.imageItem.updateMany({
        where: retriedImages(jobId, scope),
        data: {
          state: "pending",
          error: null,
          errorKind: null,
          isRetryable: false,
          httpStatus: null,
          finishedAt: null,
        },
      }),
  },
};

function retriedImages(jobId: string, scope: "retryable" | "all") {
  return scope === "all"
    ? { jobId, state: { in: ["failed", "cancelled"] } }
    : { jobId, OR: [{ state: "cancelled" }, { state: "failed", isRetryable: true }] };
}
