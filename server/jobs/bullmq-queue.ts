import { Queue, WaitingError, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { settledWithin, type JobQueue, type TQueueHandler } from "./queue";

export type TBullmqQueueOptions = {
  redisUrl: string;
  /** namespaces every key of these queues, so several apps (or test files) share one Redis */
  prefix: string;
  onError?: (name: string, error: unknown) => void;
  /**
   * How long a worker's hold on a message lasts without renewal, and how often workers look for
   * messages whose holder died. BullMQ renews a live worker's lock every half lockDuration, so a
   * message is only taken back from a process that is gone (or frozen that long).
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
};

type TConsumer = { worker: Worker; connection: Redis; active: number; running: Set<Promise<void>> };

/**
 * The queue on Redis through BullMQ, for web and worker processes on several hosts. Same contract
 * as the in-process queue (queue.ts); on top of it, a message held by a process that dies is
 * delivered again once its lock lapses (BullMQ's stalled-job check), and one interrupted by
 * close() goes back in line at once for another worker.
 */
export function createBullmqQueue(options: TBullmqQueueOptions): JobQueue {
  // producers fail fast: with Redis gone, enqueue rejects after one reconnection attempt instead of
  // waiting for it (the caller says so to the user); workers wait and retry
  const producer = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  producer.on("error", (error) => options.onError?.("redis", error));
  const queues = new Map<string, Queue>();
  const consumers = new Map<string, TConsumer>();
  let isClosed = false;
  /** closing: no new message is taken; one that ends now goes back in line */
  let isStopping = false;

  function queueFor(name: string): Queue {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: producer, prefix: options.prefix });
      queue.on("error", (error) => options.onError?.(name, error));
      queues.set(name, queue);
    }
    return queue;
  }

  return {
    describe: () => `BullMQ on Redis (${redactUrl(options.redisUrl)})`,
    async enqueue(name, payload, opts = {}) {
      if (isClosed) throw new Error("the queue is closed");
      await queueFor(name).add(name, payload, {
        // a key that waits is not added twice; one enqueued while its message runs is kept (once)
        // and runs after it, as the in-process queue does, so no change is missed
        deduplication:
          opts.key === undefined ? undefined : { id: opts.key, keepLastIfActive: true },
        removeOnComplete: true,
        removeOnFail: true,
      });
    },
    consume(name, handler, { concurrency }) {
      if (consumers.has(name)) throw new Error(`a consumer for ${name} is already registered`);
      // a worker blocks on its connection while it waits, so it has its own, which never gives up
      const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
      const consumer: TConsumer = {
        worker: undefined as unknown as Worker,
        connection,
        active: 0,
        running: new Set(),
      };
      // three parameters: BullMQ passes the abort signal only to a processor that declares it
      const processor = async (job: Job, token?: string, signal?: AbortSignal) => {
        consumer.active++;
        const run = (handler as TQueueHandler<unknown>)(
          job.data,
          signal ?? new AbortController().signal,
        );
        consumer.running.add(run);
        try {
          await run;
        } catch (error) {
          options.onError?.(name, error);
        } finally {
          consumer.active--;
          consumer.running.delete(run);
        }
        if (isStopping && token) {
          // cut short by close(), or wound down in its grace: back in line now for another
          // worker, instead of after the lock lapses (one that finished its job finds it done)
          await job.moveToWait(token);
          throw new WaitingError();
        }
      };
      consumer.worker = new Worker(name, processor, {
        connection,
        prefix: options.prefix,
        concurrency,
        // BullMQ reads an option given as undefined as that value, not as its default
        ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
        ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
        // a message whose holder died goes back in line every time; the database says what is left
        maxStalledCount: 10,
      });
      consumer.worker.on("error", (error) => options.onError?.(name, error));
      consumers.set(name, consumer);
    },
    async stats() {
      let waiting = 0;
      let active = 0;
      const names = new Set([...queues.keys(), ...consumers.keys()]);
      for (const name of names) {
        const counts = await queueFor(name).getJobCounts("waiting", "prioritized", "active");
        waiting += (counts.waiting ?? 0) + (counts.prioritized ?? 0);
      }
      for (const consumer of consumers.values()) active += consumer.active;
      return { waiting, active, consumers: consumers.size };
    },
    async close({ graceMs = 0 } = {}) {
      if (isStopping) return;
      isStopping = true;
      const all = [...consumers.values()];
      // take nothing new; the messages running keep their locks while they wind down
      await Promise.allSettled(all.map(({ worker }) => worker.pause(true)));
      if (graceMs > 0)
        await settledWithin(
          all.flatMap(({ running }) => [...running]),
          graceMs,
        );
      isClosed = true;
      for (const { worker } of all) worker.cancelAllJobs("the queue is closing");
      // close() waits for the active handlers, which see their signals aborted
      await Promise.allSettled(all.map(({ worker }) => worker.close()));
      await Promise.allSettled(all.map(({ connection }) => connection.quit()));
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
      await producer.quit().catch(() => producer.disconnect());
    },
  };
}

/** The Redis address without its password, for the System page and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "an unreadable REDIS_URL";
  }
}
