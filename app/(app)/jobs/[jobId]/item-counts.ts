import type { TItemCounts } from "@/server/services/jobs/job-progress";

/**
 * Images that reached an outcome. Cancelled ones never did: counting them showed a cancelled job,
 * and each of its products, at 100 %.
 */
export function countDone(counts: TItemCounts): number {
  return counts.downloaded + counts.duplicate + counts.failed;
}
