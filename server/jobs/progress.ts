import { EventEmitter } from "node:events";
import { z } from "zod";
import { createRedisChannel } from "./redis-channel";

/** What changed in a job: its status, the counts of some of its products, or of all of them. */
export const ZJobChange = z.object({
  jobId: z.string(),
  productIds: z.array(z.string()),
  isAllProducts: z.boolean().optional(),
  isStatusChange: z.boolean().optional(),
});
export type TJobChange = z.infer<typeof ZJobChange>;

/**
 * Job changes from whoever runs a job to whoever shows it (the SSE routes). In-process in the
 * embedded default; over Redis when web and worker processes are separate, so a browser on any web
 * process sees the progress of a job on any worker.
 */
export interface ProgressBus {
  publish(change: TJobChange): void;
  subscribe(jobId: string | "*", listener: (change: TJobChange) => void): () => void;
  close(): Promise<void>;
}

function createFanOut() {
  const emitter = new EventEmitter().setMaxListeners(0);
  return {
    emit(change: TJobChange) {
      emitter.emit(`job:${change.jobId}`, change);
      emitter.emit("job:*", change);
    },
    subscribe(jobId: string, listener: (change: TJobChange) => void) {
      emitter.on(`job:${jobId}`, listener);
      return () => void emitter.off(`job:${jobId}`, listener);
    },
  };
}

export function createInProcessProgressBus(): ProgressBus {
  const fanOut = createFanOut();
  return { publish: fanOut.emit, subscribe: fanOut.subscribe, close: async () => undefined };
}

/** Every process publishes to one channel and hands what arrives to its own subscribers. */
export function createRedisProgressBus(options: {
  redisUrl: string;
  prefix: string;
  onError: (error: unknown) => void;
}): ProgressBus & { ready: Promise<void> } {
  const fanOut = createFanOut();
  const channel = createRedisChannel({
    redisUrl: options.redisUrl,
    channel: `${options.prefix}:job-changes`,
    parse: (raw) => ZJobChange.parse(raw),
    onError: options.onError,
  });
  channel.subscribe(fanOut.emit);
  return {
    ready: channel.ready,
    // a lost update is healed by the next one: every update makes the page read the counts anew
    publish: (change) => void channel.publish(change).catch(options.onError),
    subscribe: fanOut.subscribe,
    close: channel.close,
  };
}

// The process's bus: in-process until the runtime (runtime.ts) puts the Redis one in its place,
// which happens at start-up, before any job runs or any page subscribes.
const globalForBus = globalThis as unknown as { datahaulProgressBus?: ProgressBus };

export function installProgressBus(bus: ProgressBus): void {
  globalForBus.datahaulProgressBus = bus;
}

function currentBus(): ProgressBus {
  return (globalForBus.datahaulProgressBus ??= createInProcessProgressBus());
}

export function publishJobChange(change: TJobChange): void {
  currentBus().publish(change);
}

export function subscribeJobChanges(
  jobId: string | "*",
  listener: (change: TJobChange) => void,
): () => void {
  return currentBus().subscribe(jobId, listener);
}
