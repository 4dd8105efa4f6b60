import { createCancelledError } from "./errors";

type Waiter = {
  resolve: () => void;
  reject: (error: unknown) => void;
  settled: boolean;
  next: Waiter | null;
};

export class Semaphore {
  private activeCount = 0;
  private waitingCount = 0;
  private head: Waiter | null = null;
  private tail: Waiter | null = null;

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`semaphore limit must be at least 1, got ${limit}`);
  }

  get active(): number {
    return this.activeCount;
  }

  get waiting(): number {
    return this.waitingCount;
  }

  // Never lets a newcomer overtake a queued waiter, which keeps the order FIFO.
  tryAcquire(): boolean {
    if (this.waitingCount === 0 && this.activeCount < this.limit) {
      this.activeCount += 1;
      return true;
    }
    return false;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(createCancelledError(signal.reason));
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, settled: false, next: null };
      if (this.tail) this.tail.next = waiter;
      else this.head = waiter;
      this.tail = waiter;
      this.waitingCount += 1;
      if (!signal) return;
      const onAbort = () => {
        if (waiter.settled) return;
        // Left in the list and skipped on release, so cancelling stays O(1).
        waiter.settled = true;
        this.waitingCount -= 1;
        reject(createCancelledError(signal.reason));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      waiter.resolve = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
    });
  }

  release(): void {
    let waiter = this.head;
    while (waiter) {
      this.head = waiter.next;
      if (!this.head) this.tail = null;
      if (!waiter.settled) {
        waiter.settled = true;
        this.waitingCount -= 1;
        // The slot passes straight to the waiter; activeCount is unchanged.
        waiter.resolve();
        return;
      }
      waiter = this.head;
    }
    if (this.activeCount <= 0) throw new Error("semaphore released more often than acquired");
    this.activeCount -= 1;
  }
}

export type Release = () => void;

export type ConcurrencyLimiter = {
  acquire(host: string, signal?: AbortSignal): Promise<Release>;
  activeFor(host: string): number;
  trackedHosts(): number;
};

export function createConcurrencyLimiter(options: {
  maxGlobal: number;
  maxPerHostFor: (host: string) => number;
}): ConcurrencyLimiter {
  const global = new Semaphore(options.maxGlobal);
  const perHost = new Map<string, Semaphore>();

  const releaseHost = (host: string, semaphore: Semaphore) => {
    semaphore.release();
    if (semaphore.active === 0 && semaphore.waiting === 0) perHost.delete(host);
  };

  return {
    activeFor: (host) => perHost.get(host)?.active ?? 0,
    trackedHosts: () => perHost.size,
    // Host slot first, then global: one slow host's queue never pins global slots.
    async acquire(host, signal) {
      let hostSemaphore = perHost.get(host);
      if (!hostSemaphore) {
        hostSemaphore = new Semaphore(options.maxPerHostFor(host));
        perHost.set(host, hostSemaphore);
      }
      const held = hostSemaphore;
      if (!held.tryAcquire()) {
        try {
          await held.acquire(signal);
        } catch (error) {
          if (held.active === 0 && held.waiting === 0) perHost.delete(host);
          throw error;
        }
      }
      if (!global.tryAcquire()) {
        try {
          await global.acquire(signal);
        } catch (error) {
          releaseHost(host, held);
          throw error;
        }
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        global.release();
        releaseHost(host, held);
      };
    },
  };
}
