import { settledWithin, type JobQueue, type TQueueHandler } from "./queue";

type TMessage = { payload: unknown; key?: string };
type TConsumer = {
  handler: TQueueHandler<unknown>;
  concurrency: number;
  active: Map<Promise<void>, string | undefined>;
};

/**
 * The embedded default: messages live in memory and are lost on exit, which is fine because at
 * boot the worker re-enqueues every unfinished job from the database.
 */
export function createInProcessQueue(
  options: { onError?: (name: string, error: unknown) => void } = {},
): JobQueue {
  const waiting = new Map<string, TMessage[]>();
  const consumers = new Map<string, TConsumer>();
  const controller = new AbortController();
  /** a key enqueued while its message was running: run once more after it, so no change is missed */
  const rerun = new Map<string, TMessage>();
  let isClosed = false;
  /** closing: nothing new starts, while the active handlers may still end on their own */
  let isStopping = false;

  function pump(name: string) {
    const consumer = consumers.get(name);
    const queue = waiting.get(name);
    if (!consumer || !queue || isStopping) return;
    while (consumer.active.size < consumer.concurrency && queue.length > 0) {
      const message = queue.shift()!;
      const run = (async () => {
        try {
          await consumer.handler(message.payload, controller.signal);
        } catch (error) {
          options.onError?.(name, error);
        }
      })();
      consumer.active.set(run, message.key);
      void run.finally(() => {
        consumer.active.delete(run);
        const again = message.key ? rerun.get(`${name}:${message.key}`) : undefined;
        if (again) {
          rerun.delete(`${name}:${message.key}`);
          queue.push(again);
        }
        pump(name);
      });
    }
  }

  return {
    describe: () => "in-process queue",
    async enqueue(name, payload, opts = {}) {
      if (isClosed) throw new Error("the queue is closed");
      const queue = waiting.get(name) ?? [];
      waiting.set(name, queue);
      if (opts.key !== undefined) {
        if (queue.some((m) => m.key === opts.key)) return;
        const isRunning = [...(consumers.get(name)?.active.values() ?? [])].includes(opts.key);
        if (isRunning) {
          rerun.set(`${name}:${opts.key}`, { payload, key: opts.key });
          return;
        }
      }
      queue.push({ payload, key: opts.key });
      pump(name);
    },
    consume(name, handler, { concurrency }) {
      if (consumers.has(name)) throw new Error(`a consumer for ${name} is already registered`);
      consumers.set(name, {
        handler: handler as TQueueHandler<unknown>,
        concurrency,
        active: new Map(),
      });
      pump(name);
    },
    async stats() {
      let waitingCount = 0;
      let active = 0;
      for (const q of waiting.values()) waitingCount += q.length;
      for (const c of consumers.values()) active += c.active.size;
      return { waiting: waitingCount, active, consumers: consumers.size };
    },
    async close({ graceMs = 0 } = {}) {
      isStopping = true;
      const running = [...consumers.values()].flatMap((c) => [...c.active.keys()]);
      if (graceMs > 0) await settledWithin(running, graceMs);
      isClosed = true;
      controller.abort();
      await Promise.allSettled(running);
    },
  };
}
