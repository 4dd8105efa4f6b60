import type { Clock } from "./clock";
import { DownloadError } from "./errors";

/**
 * A limit a service sets on something other than a host: "120 row posts a minute per Power BI
 * dataset", "60 writes a minute per Google service account", "1,000,000 rows an hour per dataset".
 * `cost` is what one request spends (1 for a count of requests, the rows it carries for a row
 * limit).
 */
export type TQuota = { key: string; limit: number; windowMs: number; cost?: number };

/**
 * A service counts a request when it arrives, we count it when it leaves: a request sent the
 * moment the oldest one's window ends can still arrive inside the service's window when the oldest
 * travelled faster. Our windows are this much longer than the service's own, so the edge never
 * falls on its side (measured: without it, 3 of 80 writes paced at Google's exact minute got 429).
 */
export const ARRIVAL_SLACK_MS = 2_000;

/** The window to pace a service's per-`windowMs` limit with. */
export const serviceWindow = (windowMs: number) => windowMs + ARRIVAL_SLACK_MS;

/**
 * Where quotas are counted: this process's memory, or Redis for every process of a cluster. A
 * reservation either spends the cost now and answers 0, or spends nothing and answers how many ms
 * to wait before asking again.
 */
export type QuotaStore = {
  reserve(quota: TQuota, nowMs: number): Promise<number> | number;
};

/**
 * A sliding log per key: a request is let through only when the costs spent in the last
 * `windowMs` plus its own stay within `limit`, so no window of that length, wherever it starts,
 * ever holds more (a fixed window would let 2× the limit through across its edge).
 */
export function createMemoryQuotas(): QuotaStore {
  const logs = new Map<string, { at: number; cost: number }[]>();
  return {
    reserve(quota, nowMs) {
      const cost = quota.cost ?? 1;
      const log = (logs.get(quota.key) ?? []).filter((entry) => entry.at > nowMs - quota.windowMs);
      let spent = log.reduce((sum, entry) => sum + entry.cost, 0);
      if (spent + cost <= quota.limit) {
        log.push({ at: nowMs, cost });
        logs.set(quota.key, log);
        return 0;
      }
      // the wait until enough of the oldest spending leaves the window
      for (const entry of log) {
        spent -= entry.cost;
        if (spent + cost <= quota.limit) {
          logs.set(quota.key, log);
          return entry.at + quota.windowMs - nowMs + 1;
        }
      }
      logs.set(quota.key, log);
      return quota.windowMs;
    },
  };
}

/** Resolves once every quota has let the request through, spending each as it does. */
export async function takeQuotas(
  store: QuotaStore,
  quotas: readonly TQuota[],
  clock: Clock,
  signal?: AbortSignal,
): Promise<void> {
  for (const quota of quotas) {
    if ((quota.cost ?? 1) > quota.limit) {
      throw new DownloadError(
        "http",
        `one request would spend ${quota.cost} of a limit of ${quota.limit} (${quota.key}); it can never be sent`,
      );
    }
    for (;;) {
      const waitMs = await store.reserve(quota, clock.now());
      if (waitMs <= 0) break;
      await clock.sleep(waitMs, signal);
    }
  }
}
