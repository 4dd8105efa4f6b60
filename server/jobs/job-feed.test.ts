import { afterEach, describe, expect, it } from "vitest";
import { collectSseEvents } from "@/test-support/sse";
import { openJobFeedStream, watchedJobs, type TProgressRead } from "./job-feed";
import { publishJobChange } from "./progress";

const timing = { coalesceMs: 10, heartbeatMs: 60_000 };
const aborts: AbortController[] = [];

function open(jobId: string, read: TProgressRead) {
  const abort = new AbortController();
  aborts.push(abort);
  return { abort, ...collectSseEvents(openJobFeedStream(jobId, read, abort.signal, timing)) };
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
};

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

afterEach(() => {
  for (const abort of aborts.splice(0)) abort.abort();
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
    await until(() => first.events.length === 1 && second.events.length === 1);
    expect(watchedJobs().get("job-shared")).toBe(2);

    version = 1;
    publishJobChange({ jobId: "job-shared", productIds: ["p1"] });
    publishJobChange({ jobId: "job-shared", productIds: ["p2"] });
    await until(() => first.events.length === 2 && second.events.length === 2);
    // two snapshots (one per viewer) and one read of the two changed products, for both
    expect(calls).toEqual([undefined, undefined, ["p1", "p2"]]);
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
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toHaveLength(3);
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
    await until(() => early.events.length === 1);
    publishJobChange({ jobId: "job-order", productIds: ["p1"] });
    await until(() => reads === 2);

    const late = open("job-order", read);
    await until(() => late.events.length === 1);
    slowRead.resolve({ read: "old" });
    await until(() => early.events.length === 2);
    await new Promise((r) => setTimeout(r, 30));
    expect(early.events[1]!.data).toEqual({ read: "old" });
    // the late viewer's snapshot is newer than that read: it must not be followed by it
    expect(late.events).toEqual([{ event: "snapshot", data: { read: 3, changed: "all" } }]);

    publishJobChange({ jobId: "job-order", productIds: ["p2"] });
    await until(() => late.events.length === 2);
    expect(late.events[1]).toEqual({ event: "progress", data: { read: 4, changed: ["p2"] } });
    expect(early.events[2]).toEqual(late.events[1]);
  });

  it("sends a change made while the snapshot is read after the snapshot", async () => {
    const snapshot = deferred<unknown>();
    const read: TProgressRead = (changed) =>
      changed ? Promise.resolve({ changed }) : snapshot.promise;
    const viewer = open("job-during-snapshot", read);
    await until(() => watchedJobs().get("job-during-snapshot") === 1);
    publishJobChange({ jobId: "job-during-snapshot", productIds: ["p9"] });
    await new Promise((r) => setTimeout(r, 40));
    expect(viewer.events).toEqual([]);
    snapshot.resolve({ all: true });
    await until(() => viewer.events.length === 2);
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
    await until(() => viewer.events.length === 1);
    publishJobChange({ jobId: "job-all", productIds: ["p1"] });
    publishJobChange({ jobId: "job-all", productIds: [], isAllProducts: true });
    await until(() => viewer.events.length === 2);
    expect(calls).toEqual([undefined, undefined]);
    expect(viewer.events[1]).toEqual({ event: "progress", data: { changed: "all" } });
  });

  it("tells every viewer when the job is deleted and ends their streams", async () => {
    let isGone = false;
    const read: TProgressRead = async () => (isGone ? null : { ok: true });
    const a = open("job-deleted", read);
    const b = open("job-deleted", read);
    await until(() => a.events.length === 1 && b.events.length === 1);
    isGone = true;
    publishJobChange({ jobId: "job-deleted", productIds: [] });
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
    publishJobChange({ jobId: "job-retry", productIds: ["p5"] });
    await until(() => viewer.events.length === 2);
    expect(viewer.events[1]).toEqual({ event: "progress", data: { changed: ["p5"] } });
  });

  it("drops a viewer that stopped reading instead of queueing for it without end", async () => {
    let reads = 0;
    const read: TProgressRead = async () => ({ read: reads++ });
    const abort = new AbortController();
    aborts.push(abort);
    const stalled = openJobFeedStream("job-stalled", read, abort.signal, timing);
    const reading = open("job-stalled", read);
    await until(() => watchedJobs().get("job-stalled") === 2);
    for (let i = 0; i < 200 && watchedJobs().get("job-stalled") === 2; i++) {
      publishJobChange({ jobId: "job-stalled", productIds: ["p1"] });
      await new Promise((r) => setTimeout(r, 15));
    }
    expect(watchedJobs().get("job-stalled")).toBe(1);
    await expect(stalled.getReader().read()).rejects.toThrow("the viewer stopped reading");
    // the one that reads goes on getting every update
    expect(reading.events.length).toBeGreaterThan(64);
  });
});
