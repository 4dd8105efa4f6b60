import "server-only";
import { db } from "@/server/db";
import { endedItemsOf, heldByNobody, type TJobKind } from "../jobs/job-kind";
import { getDeliveryProgress } from "./delivery-progress";
import { DELIVERY_QUEUE, runDeliveryJob } from "./run-delivery-job";
import { startMissedDeliveries } from "./start-deliveries";

/** A delivery sends a finished job's files to its destinations: one Delivery row each. */
export const deliveryKind: TJobKind = {
  name: "delivery",
  queue: DELIVERY_QUEUE,
  // mostly waiting on other servers (SMTP, SFTP); a few at a time per worker
  concurrency: 4,
  run: runDeliveryJob,
  readProgress: (jobId) => getDeliveryProgress(jobId),
  async releaseAbandonedItems() {
    const { count } = await db.delivery.updateMany({
      where: { state: "running", ...heldByNobody() },
      data: { state: "pending", leaseUntil: null },
    });
    // a process that stopped between a run's end and the start of its deliveries left them
    return count + (await startMissedDeliveries());
  },
  async countEndedItems(jobIds) {
    const rows = await db.delivery.groupBy({
      by: ["jobId", "state"],
      where: { jobId: { in: jobIds }, state: { in: ["succeeded", "failed", "cancelled"] } },
      _count: { _all: true },
    });
    return endedItemsOf(rows, ["succeeded"]);
  },
  cancelItems: (jobId, now) =>
    db.delivery.updateMany({
      where: { jobId, state: { in: ["pending", "running"] } },
      data: { state: "cancelled", error: "cancelled", leaseUntil: null, finishedAt: now },
    }),
  retry: {
    refusalWhile: (status) =>
      ["queued", "running"].includes(status)
        ? "Wait for the delivery to finish (or cancel it) before retrying."
        : null,
    count: (jobId) =>
      db.delivery.count({ where: { jobId, state: { in: ["failed", "cancelled"] } } }),
    explainNothing: async () => "Nothing to retry: every destination took the files.",
    putBack: (jobId) =>
      db.delivery.updateMany({
        where: { jobId, state: { in: ["failed", "cancelled"] } },
        data: { state: "pending", error: null, finishedAt: null },
      }),
  },
};
