import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { logger } from "@/server/logger";
import { fireDueSchedules, type TFiredSlot } from "./fire-due-schedules";
import { createScheduler, startScheduler } from "./scheduler";

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

const TICK = 15_000;

beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2026-01-01T10:00:00.500Z") });
  fire.mockReset();
  fire.mockResolvedValue([]);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("startScheduler", () => {
  it("passes 15 s after start and every 15 s after, with the clock and random source it was given", async () => {
    let clock = new Date("2026-01-01T10:00:00Z");
    const random = () => 0.25;
    const scheduler = startScheduler({ now: () => clock, random, startRun });
    await vi.advanceTimersByTimeAsync(TICK - 1);
    expect(fire).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(fire).toHaveBeenCalledTimes(1);
    clock = new Date("2026-01-01T10:00:15Z");
    await vi.advanceTimersByTimeAsync(TICK);
    expect(fire).toHaveBeenCalledTimes(2);
    expect(fire.mock.calls[0]?.[0]).toMatchObject({
      now: new Date("2026-01-01T10:00:00Z"),
      random,
      startRun,
    });
    expect(fire.mock.calls[1]?.[0].now).toEqual(new Date("2026-01-01T10:00:15Z"));
    await vi.advanceTimersByTimeAsync(4 * TICK);
    expect(fire).toHaveBeenCalledTimes(6);
    await scheduler.stop();
  });

  it("never starts a pass while one is running: a pass due meanwhile is skipped", async () => {
    const slow = deferred();
    fire.mockReturnValueOnce(slow.promise);
    const scheduler = startScheduler({ startRun });
    await vi.advanceTimersByTimeAsync(10 * TICK);
    expect(fire).toHaveBeenCalledTimes(1);
    // a manual pass waits for the one in progress
    const manual = scheduler.tick();
    await vi.advanceTimersByTimeAsync(0);
    expect(fire).toHaveBeenCalledTimes(1);
    slow.resolve([]);
    await manual;
    expect(fire).toHaveBeenCalledTimes(2);
    // the timed passes go on, one per 15 s, none made up for the ones skipped
    await vi.advanceTimersByTimeAsync(TICK);
    expect(fire).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(TICK);
    expect(fire).toHaveBeenCalledTimes(4);
    await scheduler.stop();
  });

  it("logs a failed pass and keeps going", async () => {
    const error = vi.spyOn(logger, "error").mockImplementation(() => undefined);
    fire.mockRejectedValueOnce(new Error("database is locked"));
    const scheduler = startScheduler({ startRun });
    await vi.advanceTimersByTimeAsync(TICK);
    expect(error).toHaveBeenCalledWith(
      { err: expect.objectContaining({ message: "database is locked" }) },
      "scheduler tick failed",
    );
    await vi.advanceTimersByTimeAsync(TICK);
    expect(fire).toHaveBeenCalledTimes(2);
    await scheduler.stop();
  });

  it("rejects a manual pass that fails, without stopping the timed passes", async () => {
    fire.mockRejectedValueOnce(new Error("boom"));
    const scheduler = startScheduler({ startRun });
    await expect(scheduler.tick()).rejects.toThrow("boom");
    await vi.advanceTimersByTimeAsync(TICK);
    expect(fire).toHaveBeenCalledTimes(2);
    await scheduler.stop();
  });

  it("stops after the pass in progress and passes no more", async () => {
    const slow = deferred();
    fire.mockReturnValueOnce(slow.promise);
    const scheduler = startScheduler({ startRun });
    await vi.advanceTimersByTimeAsync(TICK);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    slow.resolve([]);
    await stopping;
    await vi.advanceTimersByTimeAsync(10 * TICK);
    expect(fire).toHaveBeenCalledTimes(1);
    expect(await scheduler.tick()).toEqual([]);
  });
});

describe("createScheduler", () => {
  it("passes only when told to", async () => {
    const scheduler = createScheduler({ startRun });
    await vi.advanceTimersByTimeAsync(10 * TICK);
    expect(fire).not.toHaveBeenCalled();
    await scheduler.tick();
    expect(fire).toHaveBeenCalledTimes(1);
    await scheduler.stop();
  });
});
