import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { logger } from "@/server/logger";
import { fireDueSchedules, type TFiredSlot } from "./fire-due-schedules";
import { startScheduler } from "./scheduler";

vi.mock("./fire-due-schedules", () => ({ fireDueSchedules: vi.fn() }));

const fire = vi.mocked(fireDueSchedules);
const startRun = vi.fn(async () => ({ jobId: "job" }));

function deferred() {
  let resolve!: (slots: TFiredSlot[]) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<TFiredSlot[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

beforeEach(() => {
  vi.useFakeTimers();
  fire.mockReset();
  fire.mockResolvedValue([]);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("startScheduler", () => {
  it("passes every tickMs with the clock and random source it was given", async () => {
    let clock = new Date("2026-01-01T10:00:00Z");
    const random = () => 0.25;
    const scheduler = startScheduler({ tickMs: 1000, now: () => clock, random, startRun });
    expect(fire).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    clock = new Date("2026-01-01T10:00:01Z");
    await vi.advanceTimersByTimeAsync(1000);
    expect(fire).toHaveBeenCalledTimes(2);
    expect(fire.mock.calls[0]?.[0]).toMatchObject({
      now: new Date("2026-01-01T10:00:00Z"),
      random,
      startRun,
    });
    expect(fire.mock.calls[1]?.[0].now).toEqual(new Date("2026-01-01T10:00:01Z"));
    await scheduler.stop();
  });

  it("never starts a pass while one is running, and times the next from its end", async () => {
    const slow = deferred();
    fire.mockReturnValueOnce(slow.promise);
    const scheduler = startScheduler({ tickMs: 1000, startRun });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fire).toHaveBeenCalledTimes(1);
    // a manual pass waits for the one in progress
    const manual = scheduler.tick();
    await vi.advanceTimersByTimeAsync(0);
    expect(fire).toHaveBeenCalledTimes(1);
    slow.resolve([]);
    await manual;
    expect(fire).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(999);
    expect(fire).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(fire).toHaveBeenCalledTimes(3);
    await scheduler.stop();
  });

  it("logs a failed pass and keeps going", async () => {
    const error = vi.spyOn(logger, "error").mockImplementation(() => undefined);
    fire.mockRejectedValueOnce(new Error("database is locked"));
    const scheduler = startScheduler({ tickMs: 1000, startRun });
    await vi.advanceTimersByTimeAsync(1000);
    expect(error).toHaveBeenCalledWith(
      { err: expect.objectContaining({ message: "database is locked" }) },
      "scheduler tick failed",
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(fire).toHaveBeenCalledTimes(2);
    await scheduler.stop();
  });

  it("rejects a manual pass that fails, without stopping the loop", async () => {
    fire.mockRejectedValueOnce(new Error("boom"));
    const scheduler = startScheduler({ tickMs: 1000, startRun });
    await expect(scheduler.tick()).rejects.toThrow("boom");
    await vi.advanceTimersByTimeAsync(1000);
    expect(fire).toHaveBeenCalledTimes(2);
    await scheduler.stop();
  });

  it("stops after the pass in progress and passes no more", async () => {
    const slow = deferred();
    fire.mockReturnValueOnce(slow.promise);
    const scheduler = startScheduler({ tickMs: 1000, startRun });
    await vi.advanceTimersByTimeAsync(1000);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    slow.resolve([]);
    await stopping;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fire).toHaveBeenCalledTimes(1);
    expect(await scheduler.tick()).toEqual([]);
  });

  it("does not keep the process alive", async () => {
    vi.useRealTimers();
    const timeouts = vi.spyOn(globalThis, "setTimeout");
    const scheduler = startScheduler({ tickMs: 60_000, startRun });
    const timer = timeouts.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    await scheduler.stop();
  });
});
