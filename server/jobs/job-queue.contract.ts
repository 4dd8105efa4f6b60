import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "@/test-support/wait-for";
import type { JobQueue } from "./queue";

/**
 * What every adapter of JobQueue promises (queue.ts), run against each of them: the in-process
 * queue (in-process-queue.test.ts) and BullMQ on a real Redis (bullmq-queue.int.test.ts).
 */
export type TQueueFactory = (options: {
  onError: (name: string, error: unknown) => void;
}) => JobQueue;

export function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export function describeJobQueueContract(adapter: string, create: TQueueFactory): void {
  describe(`JobQueue contract: ${adapter}`, () => {
    const open: JobQueue[] = [];
    let queueCount = 0;
    /** a queue name of its own per test, so nothing one test left behind reaches another */
    const freshName = (label: string) => `${label}-${++queueCount}`;
    function createQueue(errors: unknown[] = []): JobQueue {
      const queue = create({ onError: (_name, error) => errors.push(error) });
      open.push(queue);
      return queue;
    }
    afterEach(async () => {
      await Promise.all(open.splice(0).map((q) => q.close()));
    });

    it("delivers every message, those enqueued before the consumer started too", async () => {
      const queue = createQueue();
      const name = freshName("deliver");
      for (let i = 0; i < 3; i++) await queue.enqueue(name, { n: i });
      const seen: number[] = [];
      queue.consume<{ n: number }>(name, async ({ n }) => void seen.push(n), { concurrency: 2 });
      for (let i = 3; i < 10; i++) await queue.enqueue(name, { n: i });
      await waitFor(() => seen.length >= 10);
      expect([...new Set(seen)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await waitFor(async () => (await queue.stats()).active === 0);
      expect(await queue.stats()).toMatchObject({ waiting: 0, active: 0, consumers: 1 });
    });

    it("does not add a keyed message twice while it waits, and runs it once more if enqueued while running", async () => {
      const queue = createQueue();
      const name = freshName("dedupe");
      const gate = deferred();
      const runs: string[] = [];
      await queue.enqueue(name, "a", { key: "a" });
      await queue.enqueue(name, "a", { key: "a" });
      expect((await queue.stats()).waiting).toBe(1);
      // another key is another message
      await queue.enqueue(name, "b", { key: "b" });
      expect((await queue.stats()).waiting).toBe(2);
      queue.consume<string>(
        name,
        async (p) => {
          runs.push(p);
          if (runs.length === 1) await gate.promise;
        },
        { concurrency: 1 },
      );
      await waitFor(() => runs.length === 1);
      // "a" runs now: the same key twice more is one more run after it, not two
      await queue.enqueue(name, runs[0], { key: runs[0] });
      await queue.enqueue(name, runs[0], { key: runs[0] });
      gate.resolve();
      // once nothing runs and nothing waits, no further run can start: the count is final
      await waitFor(async () => {
        const stats = await queue.stats();
        return runs.length >= 3 && stats.active === 0 && stats.waiting === 0;
      });
      expect(runs.sort()).toEqual(["a", "a", "b"]);
    });

    it("runs at most `concurrency` handlers at once", async () => {
      const queue = createQueue();
      const name = freshName("concurrency");
      const gates: Array<() => void> = [];
      let active = 0;
      let peak = 0;
      let done = 0;
      queue.consume(
        name,
        async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise<void>((resolve) => gates.push(resolve));
          active--;
          done++;
        },
        { concurrency: 2 },
      );
      for (let i = 0; i < 6; i++) await queue.enqueue(name, { i });
      // release one handler at a time, each once two run again: a third would push the peak up
      for (let released = 0; released < 6; released++) {
        await waitFor(() => gates.length > released && (active === 2 || 6 - released < 2));
        expect((await queue.stats()).active).toBeLessThanOrEqual(2);
        gates[released]!();
      }
      await waitFor(() => done === 6);
      expect(peak).toBe(2);
    });

    it("reports a handler's error and goes on with the next message", async () => {
      const errors: unknown[] = [];
      const queue = createQueue(errors);
      const name = freshName("errors");
      const ran: string[] = [];
      queue.consume<string>(
        name,
        async (p) => {
          ran.push(p);
          if (p === "bad") throw new Error("boom");
        },
        { concurrency: 1 },
      );
      await queue.enqueue(name, "bad");
      await queue.enqueue(name, "good");
      await waitFor(() => ran.includes("good") && errors.length >= 1);
      expect((errors[0] as Error).message).toBe("boom");
    });

    it("close() stops taking messages, aborts the running handlers' signals and waits for them", async () => {
      const queue = createQueue();
      const name = freshName("close");
      let started = 0;
      let sawAbort = false;
      let settled = false;
      queue.consume(
        name,
        async (_p, signal) => {
          started++;
          await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
          sawAbort = true;
          // a handler still has work to do after the abort (writing where it stopped)
          await new Promise((resolve) => setImmediate(resolve));
          settled = true;
        },
        { concurrency: 1 },
      );
      for (let i = 0; i < 3; i++) await queue.enqueue(name, { i });
      await waitFor(() => started === 1);
      await queue.close();
      expect(sawAbort).toBe(true);
      expect(settled).toBe(true);
      expect(started).toBe(1);
      await expect(queue.enqueue(name, {})).rejects.toThrow(/closed/);
    });
  });
}
