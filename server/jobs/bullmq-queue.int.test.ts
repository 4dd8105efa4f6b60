import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from "@/test-support/redis";
import { waitFor } from "@/test-support/wait-for";
import { createBullmqQueue } from "./bullmq-queue";
import { describeJobQueueContract } from "./job-queue.contract";

const prefix = uniqueRedisPrefix("queue");
afterAll(async () => {
  await deleteRedisKeys(prefix);
});

describeJobQueueContract("BullMQ on Redis", ({ onError }) =>
  createBullmqQueue({ redisUrl: TEST_REDIS_URL, prefix, onError }),
);

describe("BullMQ queue across processes", () => {
  it("delivers a message again when the process running it is killed", async () => {
    const name = "killed-consumer";
    // a 1 s lock: BullMQ takes the message back once the dead process stops renewing it. Every
    // worker of a queue shares the stalled-check interval (a check holds a key that long).
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "test-support/bullmq-consumer-child.ts",
        TEST_REDIS_URL,
        prefix,
        name,
        "1000",
        "200",
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const queue = createBullmqQueue({ redisUrl: TEST_REDIS_URL, prefix, stalledIntervalMs: 200 });
    try {
      await queue.enqueue(name, { id: "m-1" }, { key: "m-1" });
      await waitFor(() => output.includes("started m-1"), 60_000);
      child.kill("SIGKILL");
      expect(await exited).toBeNull(); // exit code null: it died of the signal, finishing nothing
      const delivered: string[] = [];
      queue.consume<{ id: string }>(name, async ({ id }) => void delivered.push(id), {
        concurrency: 1,
      });
      await waitFor(() => delivered.length > 0);
      expect(delivered).toEqual(["m-1"]);
      await waitFor(async () => (await queue.stats()).waiting === 0);
    } finally {
      child.kill("SIGKILL");
      await queue.close();
    }
  });

  it("puts a message that close() interrupted back in line for another worker at once", async () => {
    const name = "closed-consumer";
    // the default 30 s lock: only the move back on close makes the second worker see it in time
    const first = createBullmqQueue({ redisUrl: TEST_REDIS_URL, prefix });
    const second = createBullmqQueue({ redisUrl: TEST_REDIS_URL, prefix });
    try {
      let firstStarted = 0;
      first.consume(
        name,
        (_p, signal) => {
          firstStarted++;
          return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
        },
        { concurrency: 1 },
      );
      await first.enqueue(name, { id: "m-2" });
      await waitFor(() => firstStarted === 1);
      await first.close();
      const delivered: string[] = [];
      second.consume<{ id: string }>(name, async ({ id }) => void delivered.push(id), {
        concurrency: 1,
      });
      await waitFor(() => delivered.length > 0, 10_000);
      expect(delivered).toEqual(["m-2"]);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
