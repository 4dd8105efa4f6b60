import { describe, expect, it } from "vitest";
import { createConcurrencyLimiter, Semaphore } from "./limiter";

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe("Semaphore", () => {
  it("admits up to its limit and queues the rest in arrival order", async () => {
    const semaphore = new Semaphore(2);
    const order: number[] = [];
    for (let i = 0; i < 5; i++) void semaphore.acquire().then(() => order.push(i));
    await flush();
    expect(order).toEqual([0, 1]);
    expect(semaphore.waiting).toBe(3);
    semaphore.release();
    await flush();
    expect(order).toEqual([0, 1, 2]);
    semaphore.release();
    semaphore.release();
    await flush();
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(semaphore.active).toBe(2);
  });

  it("does not let a newcomer overtake a queued waiter", async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    let queuedGotIt = false;
    void semaphore.acquire().then(() => {
      queuedGotIt = true;
    });
    semaphore.release();
    expect(semaphore.tryAcquire()).toBe(false);
    await flush();
    expect(queuedGotIt).toBe(true);
  });

  it("skips a cancelled waiter and frees its place", async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    const controller = new AbortController();
    const cancelled = semaphore.acquire(controller.signal);
    let nextGotIt = false;
    void semaphore.acquire().then(() => {
      nextGotIt = true;
    });
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ kind: "cancelled" });
    expect(semaphore.waiting).toBe(1);
    semaphore.release();
    await flush();
    expect(nextGotIt).toBe(true);
    semaphore.release();
    expect(semaphore.active).toBe(0);
  });

  it("refuses to release more than was acquired", () => {
    expect(() => new Semaphore(1).release()).toThrow(/released more often/);
  });
});

describe("createConcurrencyLimiter", () => {
  it("holds each host to its own limit", async () => {
    const limiter = createConcurrencyLimiter({ maxGlobal: 10, maxPerHostFor: () => 2 });
    const granted: string[] = [];
    for (const host of ["a", "a", "a", "b"])
      void limiter.acquire(host).then(() => granted.push(host));
    await flush();
    expect(granted).toEqual(["a", "a", "b"]);
    expect(limiter.activeFor("a")).toBe(2);
  });

  it("holds all hosts together to the global limit, FIFO across hosts", async () => {
    const limiter = createConcurrencyLimiter({ maxGlobal: 2, maxPerHostFor: () => 5 });
    const granted: string[] = [];
    const releases: (() => void)[] = [];
    for (const host of ["a", "b", "c", "d"]) {
      void limiter.acquire(host).then((release) => {
        granted.push(host);
        releases.push(release);
      });
    }
    await flush();
    expect(granted).toEqual(["a", "b"]);
    releases[0]!();
    await flush();
    expect(granted).toEqual(["a", "b", "c"]);
  });

  it("uses the per-host override", async () => {
    const limiter = createConcurrencyLimiter({
      maxGlobal: 100,
      maxPerHostFor: (h) => (h === "big" ? 5 : 1),
    });
    let big = 0;
    let small = 0;
    for (let i = 0; i < 10; i++) {
      void limiter.acquire("big").then(() => big++);
      void limiter.acquire("small").then(() => small++);
    }
    await flush();
    expect([big, small]).toEqual([5, 1]);
  });

  it("forgets idle hosts and tolerates a double release", async () => {
    const limiter = createConcurrencyLimiter({ maxGlobal: 1, maxPerHostFor: () => 1 });
    const release = await limiter.acquire("a");
    expect(limiter.trackedHosts()).toBe(1);
    release();
    release();
    expect(limiter.trackedHosts()).toBe(0);
    const again = await limiter.acquire("b");
    again();
  });

  it("gives the host slot back when the global wait is cancelled", async () => {
    const limiter = createConcurrencyLimiter({ maxGlobal: 1, maxPerHostFor: () => 1 });
    const first = await limiter.acquire("a");
    const controller = new AbortController();
    const waiting = limiter.acquire("b", controller.signal);
    await flush();
    expect(limiter.activeFor("b")).toBe(1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ kind: "cancelled" });
    expect(limiter.activeFor("b")).toBe(0);
    first();
    const next = await limiter.acquire("b");
    next();
  });
});
