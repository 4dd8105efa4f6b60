import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { logger } from "./logger";
import { cronEvery, startRecurringTask } from "./recurring-task";

const SECOND = 1000;
const HOUR = 3600 * SECOND;

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => (resolve = res));
  return { promise, resolve };
}

beforeEach(() => {
  // a start at an odd moment: runs must follow it, not the clock's round numbers
  vi.useFakeTimers({ now: new Date("2026-03-01T10:23:45.300Z") });
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("cronEvery", () => {
  it("matches the anchor and every period after it, in UTC", () => {
    const anchor = new Date("2026-03-01T10:23:45.300Z");
    expect(cronEvery(15, anchor)).toBe("0,15,30,45 * * * * *");
    expect(cronEvery(15, new Date("2026-03-01T10:00:07Z"))).toBe("7,22,37,52 * * * * *");
    expect(cronEvery(3600, anchor)).toBe("45 23 * * * *");
    expect(cronEvery(20 * 60, anchor)).toBe("45 3,23,43 * * * *");
  });

  it("refuses a period that does not divide a minute or an hour", () => {
    expect(() => cronEvery(7 * 60, new Date())).toThrow(
      "A recurring task runs every N seconds or minutes that divide a minute or an hour, not every 420 s.",
    );
  });
});

describe("startRecurringTask", () => {
  it("runs first after the delay, then once every period from that run", async () => {
    const runs: number[] = [];
    const started = Date.now();
    const task = startRecurringTask({
      name: "sweep",
      firstRunAfterMs: 30 * SECOND,
      periodSeconds: 3600,
      run: async () => void runs.push(Date.now() - started),
    });
    await vi.advanceTimersByTimeAsync(30 * SECOND - 1);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([30 * SECOND]);
    await vi.advanceTimersByTimeAsync(2 * HOUR);
    // on the second the first run started (node-cron fires on whole seconds)
    expect(runs).toEqual([30 * SECOND, 30 * SECOND - 300 + HOUR, 30 * SECOND - 300 + 2 * HOUR]);
    await task.stop();
  });

  it("runs at once with no delay, and every 15 s after", async () => {
    let runs = 0;
    const task = startRecurringTask({
      name: "tick",
      firstRunAfterMs: 0,
      periodSeconds: 15,
      run: async () => void runs++,
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(15 * SECOND - 301);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
    await vi.advanceTimersByTimeAsync(60 * SECOND);
    expect(runs).toBe(6);
    await task.stop();
  });

  it("skips a run that falls due while the last one is still going", async () => {
    const slow = deferred();
    const run = vi.fn().mockReturnValueOnce(slow.promise).mockResolvedValue(undefined);
    const task = startRecurringTask({ name: "tick", firstRunAfterMs: 0, periodSeconds: 15, run });
    await vi.advanceTimersByTimeAsync(60 * SECOND);
    expect(run).toHaveBeenCalledTimes(1);
    slow.resolve();
    await vi.advanceTimersByTimeAsync(15 * SECOND);
    expect(run).toHaveBeenCalledTimes(2);
    await task.stop();
  });

  it("logs a failed run and keeps going", async () => {
    const error = vi.spyOn(logger, "error").mockImplementation(() => undefined);
    const run = vi.fn().mockRejectedValueOnce(new Error("database is locked"));
    const task = startRecurringTask({ name: "sweep", firstRunAfterMs: 0, periodSeconds: 15, run });
    await vi.advanceTimersByTimeAsync(0);
    expect(error).toHaveBeenCalledWith(
      { err: expect.objectContaining({ message: "database is locked" }) },
      "sweep failed",
    );
    await vi.advanceTimersByTimeAsync(15 * SECOND);
    expect(run).toHaveBeenCalledTimes(2);
    await task.stop();
  });

  it("stops after the run in progress and runs no more, even before its first run", async () => {
    const slow = deferred();
    const run = vi.fn().mockReturnValueOnce(slow.promise).mockResolvedValue(undefined);
    const task = startRecurringTask({ name: "tick", firstRunAfterMs: 0, periodSeconds: 15, run });
    await vi.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = task.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    slow.resolve();
    await stopping;
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(run).toHaveBeenCalledTimes(1);

    const never = vi.fn();
    await startRecurringTask({
      name: "sweep",
      firstRunAfterMs: 30 * SECOND,
      periodSeconds: 15,
      run: never,
    }).stop();
    await vi.advanceTimersByTimeAsync(HOUR);
    expect(never).not.toHaveBeenCalled();
  });

  it("does not keep the process alive", async () => {
    const timeouts = vi.spyOn(globalThis, "setTimeout");
    const task = startRecurringTask({
      name: "tick",
      firstRunAfterMs: 0,
      periodSeconds: 15,
      run: async () => undefined,
    });
    await vi.advanceTimersByTimeAsync(0);
    // the first-run timer, then node-cron's own
    expect(timeouts.mock.results.length).toBeGreaterThanOrEqual(2);
    for (const result of timeouts.mock.results) {
      expect((result.value as NodeJS.Timeout).hasRef()).toBe(false);
    }
    await task.stop();
  });
});
