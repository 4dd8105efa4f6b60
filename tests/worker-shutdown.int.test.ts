// A worker stopped with SIGTERM in the middle of a job finishes the downloads it has in flight,
// claims no more, puts the rest of the job back in the queue and exits; another worker finishes
// the job. Every image is downloaded exactly once.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startImageHost } from "@/test-support/fakes/image-host";
import { clusterEnv, deleteRedisKeys, uniqueRedisPrefix } from "@/test-support/redis";
import { startTestApp, waitFor } from "./support/test-app";

const prefix = uniqueRedisPrefix("worker-shutdown");
let app: Awaited<ReturnType<typeof startTestApp>>;
let imageHost: Awaited<ReturnType<typeof startImageHost>>;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  imageHost = await startImageHost();
  app = await startTestApp({
    ...clusterEnv(prefix),
    RUN_MODE: "web",
    HTTP_READ_TIMEOUT: "600",
    // one download at a time: a job claims a window of 16 items, the rest wait in the database
    MAX_GLOBAL_CONCURRENCY: "1",
    MAX_PER_HOST_CONCURRENCY: "1",
    SHUTDOWN_GRACE_SECONDS: "120",
  });
});

afterAll(async () => {
  imageHost?.release("drain");
  for (const worker of workers) worker.kill("SIGKILL");
  await app?.stop();
  await imageHost?.close();
  await deleteRedisKeys(prefix);
});

function startWorker(): { process: ChildProcess; output: () => string } {
  let output = "";
  const worker = spawn(process.execPath, ["scripts/worker.mjs"], {
    env: { ...process.env, RUN_MODE: "worker" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  worker.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  worker.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  workers.push(worker);
  return { process: worker, output: () => output };
}

const countItems = (jobId: string, state: string) =>
  app.db.imageItem.count({ where: { jobId, state } });

describe("a worker that is told to stop", () => {
  it(
    "finishes what it has in flight, hands the rest of the job on, and exits",
    { timeout: 240_000 },
    async () => {
      const first = startWorker();
      await waitFor(() => first.output().includes("is taking jobs from the queue"), 60_000);
      const paths = Array.from({ length: 20 }, (_, i) => `/img/drain-${i}.png`);
      const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
      const { jobId } = await createBatchJob({
        userId: app.userId,
        text: paths.map((path, i) => `SKU-D${i}\t${imageHost.url}${path}?hold=drain`).join("\n"),
        source: "paste",
      });
      // the worker holds a window of 16; its first download waits at the image host
      await waitFor(async () => (await countItems(jobId, "downloading")) === 16, 60_000);

      const exited = new Promise<number | null>((resolve) => first.process.once("exit", resolve));
      first.process.kill("SIGTERM");
      await waitFor(() => first.output().includes("draining the worker"), 30_000);
      // still in its grace: the held downloads finish now, and nothing more is claimed
      imageHost.release("drain");
      expect(await exited).toBe(0);
      expect(await countItems(jobId, "downloaded")).toBe(16);
      expect(await countItems(jobId, "pending")).toBe(4);
      expect(await countItems(jobId, "downloading")).toBe(0);

      // the job went back in line: the next worker finishes it
      const second = startWorker();
      await waitFor(() => second.output().includes("is taking jobs from the queue"), 60_000);
      await waitFor(
        async () => (await app.db.job.findUnique({ where: { id: jobId } }))?.status === "completed",
        60_000,
      );
      for (const path of paths) expect(imageHost.hits(path)).toBe(1);
      second.process.kill("SIGTERM");
    },
  );
});
