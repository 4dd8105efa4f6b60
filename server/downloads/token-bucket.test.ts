import { describe, expect, it } from "vitest";
import { ManualClock } from "./test-support/manual-clock";
import { createHostBuckets, TokenBucket } from "./token-bucket";

describe("TokenBucket", () => {
  it("lets a full burst through at once, then spaces callers at 1/rate", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(4, clock);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([
      0, 0, 0, 0,
    ]);
    expect(bucket.reserve()).toBe(250);
    expect(bucket.reserve()).toBe(500);
  });

  it("refills with elapsed time but never above the burst", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(2, clock);
    bucket.reserve();
    bucket.reserve();
    expect(bucket.reserve()).toBe(500);
    await clock.advance(10_000);
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBe(500);
  });

  it("uses a burst of one for rates below one per second", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(0.5, clock);
    expect(bucket.reserve()).toBe(0);
    expect(bucket.reserve()).toBe(2000);
  });

  it("gives a cancelled reservation back", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(1, clock);
    bucket.reserve();
    expect(bucket.reserve()).toBe(1000);
    bucket.refund();
    bucket.refund();
    expect(bucket.reserve()).toBe(0);
  });

  it("never waits when the rate is unlimited", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(Number.POSITIVE_INFINITY, clock);
    for (let i = 0; i < 1000; i++) expect(bucket.reserve()).toBe(0);
    expect(bucket.isFull()).toBe(true);
  });
});

describe("createHostBuckets", () => {
  it("limits each host separately and waits on the clock", async () => {
    const clock = new ManualClock();
    const buckets = createHostBuckets({ clock, ratePerSecondFor: () => 1 });
    expect(buckets.take("a.example")).toBeUndefined();
    expect(buckets.take("b.example")).toBeUndefined();
    let done = false;
    void buckets.take("a.example")!.then(() => {
      done = true;
    });
    expect(clock.sleeps).toEqual([1000]);
    await clock.advance(999);
    expect(done).toBe(false);
    await clock.advance(1);
    expect(done).toBe(true);
  });

  it("applies a per-host rate", () => {
    const clock = new ManualClock();
    const buckets = createHostBuckets({
      clock,
      ratePerSecondFor: (host) => (host === "fast" ? 100 : 1),
    });
    for (let i = 0; i < 100; i++) expect(buckets.take("fast")).toBeUndefined();
    expect(buckets.take("slow")).toBeUndefined();
    expect(buckets.take("slow")).toBeInstanceOf(Promise);
  });

  it("refunds the token when the wait is cancelled", async () => {
    const clock = new ManualClock();
    const buckets = createHostBuckets({ clock, ratePerSecondFor: () => 1 });
    expect(buckets.take("h")).toBeUndefined();
    const controller = new AbortController();
    const waiting = buckets.take("h", controller.signal)!;
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ kind: "cancelled" });
    await clock.advance(1000);
    expect(buckets.take("h")).toBeUndefined();
  });
});
