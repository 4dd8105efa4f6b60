import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { collectSseEvents } from "@/test-support/sse";
import { openJobFeedStream, watchedJobs, type TProgressRead } from "./job-feed";
import { publishJobChange } from "./progress";

// The feed's ticks run on a fake clock: every wait below is a number of ticks, never real time.
const timing = { coalesceMs: 10, heartbeatMs: 60_000 };
const aborts: AbortController[] = [];
const isFinal = (progress: unknown) => (progress as { status?: string }).status === "completed";

function open(jobId: string, read: TProgressRead) {
  const abort = new AbortController();
  aborts.push(abort);
  const stream = openJobFeedStream(jobId, read, abort.signal, { timing, isFinal });
  return { abort, ...collectSseEvents(stream) };
}

/** Runs the feed's timers (and the promises they start) until `condition` holds. */
async function advanceUntil(condition: () => boolean) {
  for (let tick = 0; tick < 1_000 && !condition(); tick++)
    await vi.advanceTimersByTimeAsync(timing.coalesceMs);
  expect(condition()).toBe(true);
}

/** Lets a whole second of ticks pass, for checks that something does NOT happen. */
const advanceOneSecond = () => vi.advanceTimersByTimeAsync(1_000);

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(async () => {
  for (const abort of aborts.splice(0)) abort.abort();
  await vi.runOnlyPendingTimersAsync();
  vi.useRealTimers();
});

describe("a job's shared progress feed", () => {
  it("reads each change once for all its viewers, and stops when the last one leaves", async () => {
    const calls: (string[] | undefined)[] = [];
    let version = 0;
    const read: TProgressRead = async (changed) => {
      calls.push(changed);
      return { version, changed: changed ?? "all" };
    };
    const first = open("job-shared", read);
    const second = open("job-shared", read);
    await advanceUntil(() => first.events.length === 1 && second.events.length === 1);
    expect(watchedJobs().get("job-shared")).toBe(2);
    // the two joined in one burst: one snapshot read serves both
    expect(calls).toEqual([undefined]);

    version = 1;
    publishJobChange({ jobId: "job-shared", productIds: ["p1"] });
    publishJobChange({ jobId: "job-shared", productIds: ["p2"] });
    await advanceUntil(() => first.events.length === 2 && second.events.length === 2);
    expect(calls).toEqual([undefined, ["p1", "p2"]]);
    expect(first.events[1]).toEqual({
      event: "progress",
      data: { version: 1, changed: ["p1", "p2"] },
    });
    expect(second.events[1]).toEqual(first.events[1]);

    first.abort.abort();
    await first.done;
    expect(watchedJobs().get("job-shared")).toBe(1);
    second.abort.abort();
    await second.done;
    expect(watchedJobs().has("job-shared")).toBe(false);
    publishJobChange({ jobId: "job-shared", productIds: ["p3"] });
    await advanceOneSecond();
    expect(calls).toHaveLength(2);
  });

  it("builds one snapshot for many viewers opening at once, and one more for those who came during it", async () => {
    const snapshotReads: ReturnType<typeof deferred<unknown>>[] = [];
    const read: TProgressRead = (changed) => {
      if (changed) return Promise.resolve({ changed });
      const pending = deferred<unknown>();
      snapshotReads.push(pending);
      return pending.promise;
    };
    const burst = Array.from({ length: 50 }, () => open("job-burst", read));
    await advanceUntil(() => snapshotReads.length === 1);
    const late = Array.from({ length: 10 }, () => open("job-burst", read));
    await advanceOneSecond();
    // the late ones wait for the read in flight to end, then share the next one
    expect(snapshotReads).toHaveLength(1);
    snapshotReads[0]!.resolve({ snapshot: 1 });
    await advanceUntil(() => snapshotReads.length === 2);
    snapshotReads[1]!.resolve({ snapshot: 2 });
    await advanceUntil(() => late.every((viewer) => viewer.events.length === 1));
    for (const viewer of burst)
      expect(viewer.events).toEqual([{ event: "snapshot", data: { snapshot: 1 } }]);
    for (const viewer of late)
      expect(viewer.events).toEqual([{ event: "snapshot", data: { snapshot: 2 } }]);
    await advanceOneSecond();
    expect(snapshotReads).toHaveLength(2);
  });

  it("never sends a viewer a read that started before its own snapshot", async () => {
    const slowRead = deferred<unknown>();
    let reads = 0;
    const read: TProgressRead = (changed) => {
      reads++;
      // the feed's first change read hangs until the test lets it go
      if (changed && reads === 2) return slowRead.promise;
      return Promise.resolve({ read: reads, changed: changed ?? "all" });
    };
    const early = open("job-order", read);
    await advanceUntil(() => early.events.length === 1);
    publishJobChange({ jobId: "job-order", productIds: ["p1"] });
    await advanceUntil(() => reads === 2);

    const late = open("job-order", read);
    await advanceUntil(() => late.events.length === 1);
    slowRead.resolve({ read: "old" });
    await advanceUntil(() => early.events.length === 2);
    await advanceOneSecond();
    expect(early.events[1]!.data).toEqual({ read: "old" });
    // the late viewer's snapshot is newer than that read: it must not be followed by it
    expect(late.events).toEqual([{ event: "snapshot", data: { read: 3, changed: "all" } }]);

    publishJobChange({ jobId: "job-order", productIds: ["p2"] });
    await advanceUntil(() => late.events.length === 2);
    expect(late.events[1]).toEqual({ event: "progress", data: { read: 4, changed: ["p2"] } });
    expect(early.events[2]).toEqual(late.events[1]);
  });

  it("sends a change made while the snapshot is read after the snapshot", async () => {
    const snapshot = deferred<unknown>();
    const read: TProgressRead = (changed) =>
      changed ? Promise.resolve({ changed }) : snapshot.promise;
    const viewer = open("job-during-snapshot", read);
    await advanceUntil(() => watchedJobs().get("job-during-snapshot") === 1);
    await vi.advanceTimersByTimeAsync(0);
    publishJobChange({ jobId: "job-during-snapshot", productIds: ["p9"] });
    await advanceOneSecond();
    expect(viewer.events).toEqual([]);
    snapshot.resolve({ all: true });
    await advanceUntil(() => viewer.events.length === 2);
    expect(viewer.events).toEqual([
      { event: "snapshot", data: { all: true } },
      { event: "progress", data: { changed: ["p9"] } },
    ]);
  });

  it("reads the whole job when a change touched all its products", async () => {
    const calls: (string[] | undefined)[] = [];
    const read: TProgressRead = async (changed) => {
      calls.push(changed);
      return { changed: changed ?? "all" };
    };
    const viewer = open("job-all", read);
    await advanceUntil(() => viewer.events.length === 1);
    publishJobChange({ jobId: "job-all", productIds: ["p1"] });
    publishJobChange({ jobId: "job-all", productIds: [], isAllProducts: true });
    await advanceUntil(() => viewer.events.length === 2);
    expect(calls).toEqual([undefined, undefined]);
    expect(viewer.events[1]).toEqual({ event: "progress", data: { changed: "all" } });
  });

  it("ends every stream with `end` once the job is final, and a stream opened later after its snapshot", async () => {
    let status = "running";
    const read: TProgressRead = async () => ({ status });
    const a = open("job-final", read);
    const b = open("job-final", read);
    await advanceUntil(() => a.events.length === 1 && b.events.length === 1);
    status = "completed";
    publishJobChange({ jobId: "job-final", productIds: [], isStatusChange: true });
    await advanceUntil(() => a.events.length === 3 && b.events.length === 3);
    await Promise.all([a.done, b.done]);
    for (const viewer of [a, b]) {
      expect(viewer.events.map((e) => e.event)).toEqual(["snapshot", "progress", "end"]);
      expect(viewer.events[1]!.data).toEqual({ status: "completed" });
    }
    expect(watchedJobs().has("job-final")).toBe(false);

    const later = open("job-final", read);
    await advanceUntil(() => later.events.length === 2);
    await later.done;
    expect(later.events).toEqual([
      { event: "snapshot", data: { status: "completed" } },
      { event: "end", data: {} },
    ]);
  });

  it("tells every viewer when the job is deleted and ends their streams", async () => {
    let isGone = false;
    const read: TProgressRead = async () => (isGone ? null : { ok: true });
    const a = open("job-deleted", read);
    const b = open("job-deleted", read);
    await advanceUntil(() => a.events.length === 1 && b.events.length === 1);
    isGone = true;
    publishJobChange({ jobId: "job-deleted", productIds: [] });
    await advanceUntil(() => a.events.length === 2 && b.events.length === 2);
    await Promise.all([a.done, b.done]);
    for (const viewer of [a, b])
      expect(viewer.events.at(-1)).toEqual({ event: "deleted", data: { jobId: "job-deleted" } });
    expect(watchedJobs().has("job-deleted")).toBe(false);
  });

  it("reads the products again after a failed read", async () => {
    let failures = 1;
    const read: TProgressRead = async (changed) => {
      if (changed && failures-- > 0) throw new Error("database is locked");
      return { changed: changed ?? "all" };
    };
    const viewer = open("job-retry", read);
    await advanceUntil(() => viewer.events.length === 1);
    publishJobChange({ jobId: "job-retry", productIds: ["p5"] });
    await advanceUntil(() => viewer.events.length === 2);
    expect(failures).toBe(-1);
    expect(viewer.events[1]).toEqual({ event: "progress", data: { changed: ["p5"] } });
  });

  it("drops a viewer that stopped reading instead of queueing for it without end", async () => {
    let reads = 0;
    const read: TProgressRead = async () => ({ read: reads++ });
    const abort = new AbortController();
    aborts.push(abort);
    const stalled = openJobFeedStream("job-stalled", read, abort.signal, { timing, isFinal });
    const reading = open("job-stalled", read);
    await advanceUntil(() => reading.events.length === 1);
    for (let i = 0; i < 200 && watchedJobs().get("job-stalled") === 2; i++) {
      publishJobChange({ jobId: "job-stalled", productIds: ["p1"] });
      await vi.advanceTimersByTimeAsync(timing.coalesceMs);
    }
    expect(watchedJobs().get("job-stalled")).toBe(1);
    await expect(stalled.getReader().read()).rejects.toThrow("the viewer stopped reading");
    // the one that reads goes on getting every update
    expect(reading.events.length).toBeGreaterThan(64);
  });
});
