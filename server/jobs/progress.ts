import { EventEmitter } from "node:events";

/** What changed in a job: its status, the counts of some of its products, or of all of them. */
export type TJobChange = {
  jobId: string;
  productIds: string[];
  isAllProducts?: boolean;
  isStatusChange?: boolean;
};

// In-process pub/sub; a Redis adapter takes its place when web and worker processes are separate.
const globalForBus = globalThis as unknown as { datahaulJobBus?: EventEmitter };
const bus = (globalForBus.datahaulJobBus ??= new EventEmitter().setMaxListeners(0));

export function publishJobChange(change: TJobChange): void {
  bus.emit(`job:${change.jobId}`, change);
  bus.emit("job:*", change);
}

export function subscribeJobChanges(
  jobId: string | "*",
  listener: (change: TJobChange) => void,
): () => void {
  bus.on(`job:${jobId}`, listener);
  return () => bus.off(`job:${jobId}`, listener);
}
