import "server-only";
import { db } from "@/server/db";
import { endedItemsOf, heldByNobody, type TJobKind } from "../jobs/job-kind";
import { getPushProgress } from "./push-progress";
import { queueOf, runPushJob } from "./run-push-job";

/** A push sends rows to a destination, a refresh asks one to reload: one Push row either way. */
function destinationJobKind(name: "push" | "refresh"): TJobKind {
  return {
    name,
    queue: queueOf(name),
    // a push mostly waits on the destination's quotas; a few at a time per worker
    concurrency: 4,
    run: runPushJob,
    readProgress: (jobId) => getPushProgress(jobId),
    async releaseAbandonedItems() {
      const { count } = await db.push.updateMany({
        where: { state: "running", ...heldByNobody() },
        data: { state: "pending", leaseUntil: null },
      });
      return count;
    },
    async countEndedItems(jobIds) {
      const rows = await db.push.groupBy({
        by: ["jobId", "state"],
        where: { jobId: { in: jobIds }, state: { in: ["succeeded", "failed", "cancelled"] } },
        _count: { _all: true },
      });
      return endedItemsOf(rows, ["succeeded"]);
    },
    cancelItems: (jobId, now) =>
      db.push.updateMany({
        where: { jobId, state: { in: ["pending", "running"] } },
        data: { state: "cancelled", error: "cancelled", leaseUntil: null, finishedAt: now },
      }),
    retry: {
      refusalWhile: (status) =>
        ["queued", "running"].includes(status)
          ? `Wait for the ${name} to finish (or cancel it) before retrying.`
          : null,
      count: (jobId) => db.push.count({ where: { jobId, state: { in: ["failed", "cancelled"] } } }),
      explainNothing: async () =>
        `Nothing to retry: the ${name} did not fail and was not cancelled.`,
      // a push goes on from its first batch not confirmed: its plan and batches are kept
      putBack: (jobId) =>
        db.push.updateMany({
          where: { jobId, state: { in: ["failed", "cancelled"] } },
          data: { state: "pending", error: null, finishedAt: null },
        }),
    },
  };
}

export const pushKind = destinationJobKind("push");
export const refreshKind = destinationJobKind("refresh");
