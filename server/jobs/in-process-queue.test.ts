import { describe, expect, it } from "vitest";
import { waitFor } from "@/test-support/wait-for";
import { createInProcessQueue } from "./in-process-queue";
import { deferred, describeJobQueueContract } from "./job-queue.contract";

// Messages live in this process's memory: a killed process loses them by design, and the next
// worker's start re-queues every unfinished job from the database (boot.ts).
describeJobQueueContract("in-process", ({ onError }) => createInProcessQueue({ onError }));

describe("in-process queue", () => {
  it("runs messages with at most `concurrency` at once", async () => {
    const queue = createInProcessQueue();
    let active = 0;
    let peak = 0;
    const done: number[] = [];
    const gate = deferred();
    queue.consume<number>(
      "work",
      async (n) => {
        active++;
        peak = Math.max(peak, active);
        await gate.promise;
        active--;
        done.push(n);
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 5; i++) await queue.enqueue("work", i);
    expect((await queue.stats()).active).toBe(2);
    gate.resolve();
    // close() waits for the two running handlers; the three still waiting must never start
    await queue.close();
    expect(peak).toBe(2);
    expect(done.sort()).toEqual([0, 1]);
  });

  it("does not add a keyed message twice while it waits, and reruns it once if enqueued while running", async () => {
    const queue = createInProcessQueue();
    const gate = deferred();
    const runs: string[] = [];
    await queue.enqueue("job", "a", { key: "a" });
    await queue.enqueue("job", "a", { key: "a" });
    expect((await queue.stats()).waiting).toBe(1);
    queue.consume<string>(
      "job",
      async (p) => {
        runs.push(p);
        if (runs.length === 1) await gate.promise;
      },
      { concurrency: 1 },
    );
    await queue.enqueue("job", "a", { key: "a" });
    await queue.enqueue("job", "a", { key: "a" });
    gate.resolve();
    // once nothing runs and nothing waits, no further run can start: the count is final
    await waitFor(async () => {
      const stats = await queue.stats();
      return runs.length >= 2 && stats.active === 0 && stats.waiting === 0;
    });
    expect(runs).toEqual(["a", "a"]);
  });

  it("passes an aborted signal to running handlers on close and reports handler errors", async () => {
    const errors: unknown[] = [];
    const queue = createInProcessQueue({ onError: (_n, e) => errors.push(e) });
    let sawAbort = false;
    queue.consume(
      "slow",
      (_p, signal) =>
        new Promise<void>((resolve) => {
          signal.addEventListener("abort", () => {
            sawAbort = true;
            resolve();
          });
        }),
      { concurrency: 1 },
    );
    queue.consume(
      "bad",
      async () => {
        throw new Error("boom");
      },
      { concurrency: 1 },
    );
    await queue.enqueue("slow", {});
    await queue.enqueue("bad", {});
    await waitFor(async () => errors.length === 1 && (await queue.stats()).active === 1);
    await queue.close();
    expect(sawAbort).toBe(true);
    expect(errors).toHaveLength(1);
    await expect(queue.enqueue("slow", {})).rejects.toThrow(/closed/);
  });
});
