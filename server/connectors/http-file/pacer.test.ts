import { describe, expect, it } from "vitest";
import { systemClock, type Clock } from "@/server/downloads";
import { RequestPacer } from "./pacer";

function fakeClock() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const clock: Clock & { sleeps: number[]; pass(ms: number): void } = {
    sleeps,
    now: () => now,
    pass: (ms) => void (now += ms),
    async sleep(ms, signal) {
      if (signal?.aborted) throw new Error("cancelled");
      sleeps.push(ms);
      now += ms;
    },
  };
  return clock;
}

describe("RequestPacer", () => {
  it("lets the first request go at once and spaces the next ones 1/rate apart", async () => {
    const clock = fakeClock();
    const pacer = new RequestPacer(4, clock);
    const starts: number[] = [];
    for (let i = 0; i < 4; i++) {
      await pacer.take();
      starts.push(clock.now());
    }
    expect(clock.sleeps).toEqual([250, 250, 250]);
    expect(starts.slice(1).map((at, i) => at - starts[i]!)).toEqual([250, 250, 250]);
  });

  it("does not wait when the page itself took longer than the interval, and never bursts after", async () => {
    const clock = fakeClock();
    const pacer = new RequestPacer(2, clock);
    await pacer.take();
    clock.pass(5_000); // a slow page
    await pacer.take();
    await pacer.take();
    // a token bucket holding 2 tokens would have let both go at once here
    expect(clock.sleeps).toEqual([500]);
  });

  it("waits fractions of a second for rates under one per second", async () => {
    const clock = fakeClock();
    const pacer = new RequestPacer(0.5, clock);
    await pacer.take();
    clock.pass(300);
    await pacer.take();
    expect(clock.sleeps).toEqual([1700]);
  });

  it("never waits without a rate", async () => {
    const clock = fakeClock();
    for (const rate of [undefined, 0, Infinity]) {
      const pacer = new RequestPacer(rate, clock);
      await pacer.take();
      await pacer.take();
    }
    expect(clock.sleeps).toEqual([]);
  });

  it("a wait ends as soon as the signal aborts (a real timer, no polling)", async () => {
    const pacer = new RequestPacer(0.01, systemClock); // one request per 100 s
    await pacer.take();
    const controller = new AbortController();
    // were it to wait the 100 s, the test would time out
    const waiting = pacer.take(controller.signal);
    setTimeout(() => controller.abort(), 20);
    await expect(waiting).rejects.toMatchObject({ kind: "cancelled" });
  });
});
