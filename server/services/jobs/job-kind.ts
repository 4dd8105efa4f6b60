import "server-only";
import type { Prisma } from "@/server/db";
import { env } from "@/server/env";
import type { TJobKindName } from "@/server/jobs/job-kind-names";

/**
 * Which failed items a retry takes: `retryable` (the default) those that may succeed when fetched
 * again (timeouts, 5xx, 429, cut-off bodies, files our side lost) and leaves a 404, a 403, a page
 * that is not an image, a file too large or a refused address alone: asking again gets the same
 * answer. `all` takes every failed item. Cancelled items are taken either way.
 */
export type TRetryScope = "retryable" | "all";

/**
 * Everything the rest of the app needs to know about one kind of job. Queueing, the worker, the
 * live feed, cancel and retry look the kind up in the catalog (job-kinds.ts) instead of branching
 * on its name, so a new kind is one new entry.
 */
export type TJobKind = {
  name: TJobKindName;
  /** the queue its runs go through; the worker takes them `concurrency` at a time */
  queue: string;
  concurrency: number;
  /** one pass over the job; safe to run again at any time (a restart, a second delivery) */
  run(jobId: string, signal: AbortSignal): Promise<void>;
  /**
   * The state its page and live feed show, or null when the job is gone. `changed` names the
   * parts that changed since the last read, for kinds that can send only those.
   */
  readProgress(jobId: string, changed?: string[]): Promise<{ job: { status: string } } | null>;
  /**
   * At a worker's start: items a dead process held go back in line. In the embedded default that is
   * every held item (this process is the only worker); beside other workers, only those whose
   * lease ran out (heldByNobody).
   */
  releaseAbandonedItems(): Promise<number>;
  /**
   * How many of each job's items ended, and how, for the Jobs list: `done` counts those finished
   * either way (a failed item is done too), `failed` and `cancelled` their own.
   */
  countEndedItems(jobIds: string[]): Promise<TEndedItems[]>;
  /** Its unfinished items cancelled, as part of the cancel's transaction. */
  cancelItems(jobId: string, now: Date): Prisma.PrismaPromise<{ count: number }>;
  retry: {
    /** Why a retry must wait while the job is in `status`, or null when it may go ahead. */
    refusalWhile(status: string): string | null;
    count(jobId: string, scope: TRetryScope): Promise<number>;
    /** The sentence for a retry that finds nothing to take. */
    explainNothing(jobId: string): Promise<string>;
    /** Puts the items back in line, as part of the retry's transaction. */
    putBack(jobId: string, scope: TRetryScope): Prisma.PrismaPromise<{ count: number }>;
  };
};

export type TEndedItems = { jobId: string; done: number; failed: number; cancelled: number };

/** Sums grouped item counts per job, by which states mean done, failed and cancelled. */
export function endedItemsOf(
  rows: { jobId: string; state: string; _count: { _all: number } }[],
  doneStates: string[],
): TEndedItems[] {
  const byJob = new Map<string, TEndedItems>();
  for (const row of rows) {
    const entry = byJob.get(row.jobId) ?? { jobId: row.jobId, done: 0, failed: 0, cancelled: 0 };
    const n = row._count._all;
    if (doneStates.includes(row.state) || row.state === "failed") entry.done += n;
    if (row.state === "failed") entry.failed += n;
    if (row.state === "cancelled") entry.cancelled += n;
    byJob.set(row.jobId, entry);
  }
  return [...byJob.values()];
}

/**
 * How long a claimed item (an image, a report) belongs to the worker that claimed it. A live worker
 * renews the leases of the items it holds every ITEM_LEASE_RENEW_MS; a dead one's run out, and its
 * items go back in line: at the latest this long after a crash.
 */
export const ITEM_LEASE_MS = 2 * 60_000;
export const ITEM_LEASE_RENEW_MS = 30_000;

/**
 * Resolves once `ms` have passed, `signal` aborts, or the returned `wake` is called: how a job's
 * loop waits for a lease someone else holds while staying quick to stop.
 */
export function pauseUntil(ms: number, signal: AbortSignal): { done: Promise<void>; wake(): void } {
  let wake = () => {};
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(finish, Math.max(0, ms));
    function finish() {
      clearTimeout(timer);
      signal.removeEventListener("abort", finish);
      resolve();
    }
    wake = finish;
    if (signal.aborted) finish();
    else signal.addEventListener("abort", finish, { once: true });
  });
  return { done, wake };
}

/**
 * The items a starting worker may take back: in the embedded default all of them (no other
 * process holds any), beside other workers only those whose holder stopped renewing their lease.
 */
export function heldByNobody(now = new Date()): { leaseUntil?: { lt: Date } } {
  return env.isEmbedded ? {} : { leaseUntil: { lt: now } };
}
