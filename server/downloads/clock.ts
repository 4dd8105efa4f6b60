import { createCancelledError } from "./errors";

export type Clock = { now(): number; sleep(ms: number, signal?: AbortSignal): Promise<void> };

// Wall-clock time so Retry-After HTTP-dates and token refills share one time base.
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    if (signal?.aborted) return Promise.reject(createCancelledError(signal.reason));
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(createCancelledError(signal?.reason));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};
