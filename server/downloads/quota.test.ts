import { describe, expect, it } from "vitest";
import { createMemoryQuotas, takeQuotas, type TQuota } from "./quota";
import { ManualClock } from "./test-support/manual-clock";

/** The most any window of `windowMs` holds, over a log of (time, cost). */
function busiestWindow(log: { at: number; cost: number }[], windowMs: number): number {
  return Math.max(
    ...log.map((start) =>
      log
        .filter((entry) => entry.at >= start.at && entry.at < start.at + windowMs)
        .reduce((sum, entry) => sum + entry.cost, 0),
    ),
  );
}

describe("quotas of a service, counted in a sliding window", () => {
  it("let requests through up to the limit, then answer the wait until the oldest leaves", () => {
    const store = createMemoryQuotas();
    const quota: TQuota = { key: "dataset:a", limit: 3, windowMs: 60_000 };
    expect([0, 10, 20].map((t) => store.reserve(quota, t))).toEqual([0, 0, 0]);
    expect(store.reserve(quota, 30)).toBe(59_971);
    // another key is counted apart
    expect(store.reserve({ ...quota, key: "dataset:b" }, 30)).toBe(0);
    expect(store.reserve(quota, 60_001)).toBe(0);
  });

  it("count costs, and wait until enough of them have left", () => {
    const store = createMemoryQuotas();
    const rows: TQuota = { key: "rows", limit: 25_000, windowMs: 3_600_000 };
    expect(store.reserve({ ...rows, cost: 10_000 }, 0)).toBe(0);
    expect(store.reserve({ ...rows, cost: 10_000 }, 1_000)).toBe(0);
    expect(store.reserve({ ...rows, cost: 10_000 }, 2_000)).toBe(3_600_000 - 2_000 + 1);
    expect(store.reserve({ ...rows, cost: 5_000 }, 2_000)).toBe(0);
  });

  it("never let a window hold more than the limit, wherever it starts, over a long paced run", async () => {
    const clock = new ManualClock(0);
    const store = createMemoryQuotas();
    const quota: TQuota = { key: "sheets:robot@example.iam", limit: 60, windowMs: 60_000 };
    const sent: { at: number; cost: number }[] = [];
    const run = (async () => {
      for (let i = 0; i < 200; i++) {
        await takeQuotas(store, [quota], clock);
        sent.push({ at: clock.now(), cost: 1 });
      }
    })();
    for (let step = 0; step < 400 && sent.length < 200; step++) {
      await new Promise((resolve) => setImmediate(resolve));
      await clock.advance(500);
    }
    await run;
    expect(sent).toHaveLength(200);
    expect(busiestWindow(sent, 60_000)).toBe(60);
    // and it went as fast as the limit allows: the 200th within four windows
    expect(sent.at(-1)!.at).toBeLessThan(4 * 60_000);
  });

  it("refuse at once a request that costs more than the whole limit", async () => {
    await expect(
      takeQuotas(
        createMemoryQuotas(),
        [{ key: "rows", limit: 100, windowMs: 1000, cost: 101 }],
        new ManualClock(0),
      ),
    ).rejects.toThrow("one request would spend 101 of a limit of 100 (rows); it can never be sent");
  });
});
