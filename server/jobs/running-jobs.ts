import { setMaxListeners } from "node:events";

// Jobs running in this process, so a cancel or delete can stop their work at once.
const globalForRunning = globalThis as unknown as {
  datahaulRunningJobs?: Map<string, AbortController>;
};
const runningJobs = (globalForRunning.datahaulRunningJobs ??= new Map());

/** Registers a running job; its signal aborts on cancel or when `queueSignal` aborts (shutdown). */
export function trackRunningJob(
  jobId: string,
  queueSignal: AbortSignal,
): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  // every request in flight listens on this one signal
  setMaxListeners(0, controller.signal);
  const onQueueAbort = () => controller.abort();
  queueSignal.addEventListener("abort", onQueueAbort, { once: true });
  runningJobs.set(jobId, controller);
  return {
    signal: controller.signal,
    done() {
      if (runningJobs.get(jobId) === controller) runningJobs.delete(jobId);
      queueSignal.removeEventListener("abort", onQueueAbort);
    },
  };
}

export function abortRunningJob(jobId: string): void {
  runningJobs.get(jobId)?.abort();
}
