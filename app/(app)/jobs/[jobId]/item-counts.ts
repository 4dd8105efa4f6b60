import type { TItemCounts } from "@/server/services/jobs/job-progress";

/**
 * Images that reached an outcome. Cancelled ones never did: counting them showed a cancelled job,
 * and each of its products, at 100 %.
 */
export function countDone(counts: TItemCounts): number {
  return counts.downloaded + counts.duplicate + counts.failed;
}

/**
 * What became of the images, in words: "3 downloaded, 6 failed". A bar or a count of "done"
 * alone showed a job whose images all failed as finished and full.
 */
export function describeOutcome(counts: TItemCounts): string {
  const waiting = counts.pending + counts.downloading;
  const parts = [`${counts.downloaded.toLocaleString("en-US")} downloaded`];
  if (counts.duplicate > 0) parts.push(`${counts.duplicate.toLocaleString("en-US")} duplicate`);
  if (counts.failed > 0) parts.push(`${counts.failed.toLocaleString("en-US")} failed`);
  if (counts.cancelled > 0) parts.push(`${counts.cancelled.toLocaleString("en-US")} cancelled`);
  if (waiting > 0) parts.push(`${waiting.toLocaleString("en-US")} to go`);
  return parts.join(", ");
}

/** "about 3 min left": a rough figure, said as one. */
export function describeTimeLeft(seconds: number): string {
  if (seconds < 60) return "less than a minute left";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min left`;
  return `about ${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

/** The image counts as the outcome bar draws them: duplicates arrived too. */
export function imageOutcomeBar(counts: TItemCounts) {
  return {
    total: counts.total,
    succeeded: counts.downloaded + counts.duplicate,
    failed: counts.failed,
    cancelled: counts.cancelled,
    valueText: describeOutcome(counts),
  };
}

/** A report run's outcome in words: "2 succeeded, 1 failed". */
export function describeReportOutcome(totals: {
  pending: number;
  running: number;
  waiting_retry: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}): string {
  const waiting = totals.pending + totals.running + totals.waiting_retry;
  const parts = [`${totals.succeeded.toLocaleString("en-US")} succeeded`];
  if (totals.failed > 0) parts.push(`${totals.failed.toLocaleString("en-US")} failed`);
  if (totals.cancelled > 0) parts.push(`${totals.cancelled.toLocaleString("en-US")} cancelled`);
  if (waiting > 0) parts.push(`${waiting.toLocaleString("en-US")} to go`);
  return parts.join(", ");
}
