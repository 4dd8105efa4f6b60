/**
 * The queue is transport only: the database row of a job is its truth. Handlers must be idempotent,
 * because a message can be delivered again after a restart.
 */
export type TQueueHandler<P> = (payload: P, signal: AbortSignal) => Promise<void>;

export interface JobQueue {
  /** what it is, in words for the System page ("in-process queue", "BullMQ on Redis (…)") */
  describe(): string;
  /** Adds a message; a message with the same key that is still waiting is not added twice. */
  enqueue<P>(name: string, payload: P, options?: { key?: string }): Promise<void>;
  /** Starts consuming `name`. Only worker processes call this. */
  consume<P>(name: string, handler: TQueueHandler<P>, options: { concurrency: number }): void;
  stats(): Promise<{ waiting: number; active: number; consumers: number }>;
  /**
   * Stops taking new messages; gives the active handlers up to `graceMs` to end on their own (a
   * shutdown tells them to finish what they have in flight), then aborts the signals of those
   * still running and waits for them to settle. A message cut short goes back in line where the
   * queue outlives the process.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** Waits for the promises to settle, or for `ms` to pass, whichever comes first. */
export async function settledWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}
