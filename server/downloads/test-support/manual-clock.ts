import type { Clock } from "../clock";
import { createCancelledError } from "../errors";

type Timer = { due: number; resolve: () => void };

// Time moves only when a test calls advance(), so waits are asserted exactly and instantly.
export class ManualClock implements Clock {
  readonly sleeps: number[] = [];
  private current: number;
  private timers: Timer[] = [];

  constructor(start = 1_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  get pendingSleeps(): number {
    return this.timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(createCancelledError());
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer: Timer = { due: this.current + ms, resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        "abort",
        () => {
          this.timers = this.timers.filter((t) => t !== timer);
          reject(createCancelledError());
        },
        { once: true },
      );
    });
  }

  async advance(ms: number): Promise<void> {
    this.current += ms;
    const due = this.timers.filter((t) => t.due <= this.current).sort((a, b) => a.due - b.due);
    this.timers = this.timers.filter((t) => t.due > this.current);
    for (const timer of due) timer.resolve();
    // Lets the woken code run up to its next await before the test looks again.
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }
}

// Real but shortened sleeps, recording what the engine asked for.
export class ScaledClock implements Clock {
  readonly sleeps: number[] = [];

  constructor(private readonly scale = 0.01) {}

  now(): number {
    return Date.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(createCancelledError());
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(createCancelledError());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms * this.scale);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
