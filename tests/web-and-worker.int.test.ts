import { spawn, type ChildProcess } from "node:child_process";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startImageHost } from "@/test-support/fakes/image-host";
import {
  clusterEnv,
  deleteRedisKeys,
  TEST_REDIS_URL,
  uniqueRedisPrefix,
} from "@/test-support/redis";
import type { TJobChange } from "@/server/jobs/progress";
import { startTestApp, waitFor } from "./support/test-app";

// A web process (this one, RUN_MODE=web) and a worker process (`npm run worker`) sharing a queue,
// progress and commands on the real Redis, and the database file.
const prefix = uniqueRedisPrefix("web-worker");
let app: Awaited<ReturnType<typeof startTestApp>>;
let imageHost: Awaited<ReturnType<typeof startImageHost>>;
let worker: ChildProcess;
let workerOutput = "";
let imageQueue: Queue;

beforeAll(async () => {
  imageHost = await startImageHost();
  app = await startTestApp({
    ...clusterEnv(prefix),
    RUN_MODE: "web",
    // a held download would time out in 2 s: only a command can stop it sooner than that
    HTTP_READ_TIMEOUT: "600",
  });
  worker = spawn(process.execPath, ["scripts/worker.mjs"], {
    env: { ...process.env, RUN_MODE: "worker" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  worker.stdout!.on("data", (chunk: Buffer) => (workerOutput += chunk.toString()));
  worker.stderr!.on("data", (chunk: Buffer) => (workerOutput += chunk.toString()));
  await waitFor(() => workerOutput.includes("is taking jobs from the queue"), 60_000);
  const { jobKind } = await import("@/server/services/jobs/job-kinds");
  imageQueue = new Queue(jobKind("image_batch").queue, {
    connection: { url: TEST_REDIS_URL },
    prefix,
  });
});

afterAll(async () => {
  for (const name of ["stop-cancel", "stop-delete", "watched"]) imageHost?.release(name);
  const exited =
    worker && worker.exitCode === null ? new Promise((r) => worker.once("exit", r)) : null;
  worker?.kill("SIGTERM");
  await exited;
  await imageQueue?.close();
  await app?.stop();
  await imageHost?.close();
  await deleteRedisKeys(prefix);
});

const jobStatus = async (jobId: string) =>
  (await app.db.job.findUnique({ where: { id: jobId } }))?.status ?? "deleted";

describe("a web process and a worker process on Redis", () => {
  it("runs a job the web process accepted on the worker, and the web process sees its progress", async () => {
    const { subscribeJobChanges } = await import("@/server/jobs/progress");
    const changes: TJobChange[] = [];
    const unsubscribe = subscribeJobChanges("*", (c) => changes.push(c));
    try {
      const { jobId } = await app.createBatch([
        `SKU-W1\t${imageHost.url}/img/web-worker-1.png`,
        `SKU-W2\t${imageHost.url}/img/web-worker-2.png`,
      ]);
      await waitFor(async () => (await jobStatus(jobId)) === "completed", 60_000);
      expect(imageHost.hits("/img/web-worker-1.png")).toBe(1);
      expect(imageHost.hits("/img/web-worker-2.png")).toBe(1);
      // the worker published; this process never ran it
      expect((await app.runtime.queue.stats()).consumers).toBe(0);
      await waitFor(() => changes.some((c) => c.jobId === jobId && c.isStatusChange));
      expect(changes.some((c) => c.jobId === jobId && c.productIds.length > 0)).toBe(true);
    } finally {
      unsubscribe();
    }
  });

  it("runs an export the web process started on the worker process, and its file is there for the web process", async () => {
    const { receiveTableUpload } = await import("@/server/services/tables/receive-upload");
    const { startExport } = await import("@/server/services/tables/start-export");
    const { openExportFile } = await import("@/server/services/tables/export-files");
    const csv = "region,units\nNorth,3\nSouth,5\nNorth,4\n";
    const table = await receiveTableUpload({
      body: new Blob([csv]).stream(),
      contentLength: csv.length,
      query: new URLSearchParams({ fileName: "web-worker.csv" }),
      createdById: app.userId,
    });
    const { jobId } = await startExport({
      tableId: table.id,
      steps: [
        { kind: "group", by: ["region"], aggregates: [{ function: "sum", column: "units" }] },
      ],
      outputs: [{ format: "csv" }],
      createdById: app.userId,
    });
    await waitFor(async () => (await jobStatus(jobId)) === "completed", 60_000);
    expect((await app.runtime.queue.stats()).consumers).toBe(0);
    const output = await app.db.exportOutput.findFirstOrThrow({ where: { jobId } });
    const file = await openExportFile({ jobId, outputId: output.id });
    const chunks: Buffer[] = [];
    for await (const chunk of file.stream) chunks.push(Buffer.from(chunk as Buffer));
    expect(Buffer.concat(chunks).toString("utf8")).toBe("region,sum_units\nNorth,7\nSouth,5\n");
  });

  it("counts the worker process on the web process's system check", async () => {
    const { checkSystem } = await import("@/server/services/system/check-system");
    const workers = (await checkSystem()).checks.find((check) => check.name === "Workers")!;
    expect(workers.isOk).toBe(true);
    // npm run worker's server process (a child of scripts/worker.mjs), by its heartbeat
    const pid = /^1 worker process answering \(\S+ pid (\d+)\); this one serves pages only$/.exec(
      workers.detail,
    )?.[1];
    expect(Number(pid)).toBeGreaterThan(0);
    expect(Number(pid)).not.toBe(process.pid);
  });

  it("shows on the web process what the worker is downloading, and nothing once it is done", async () => {
    const { getJobProgress } = await import("@/server/services/jobs/job-progress");
    const url = `${imageHost.url}/img/watched.png?hold=watched`;
    const { jobId } = await app.createBatch([`SKU-WATCH\t${url}`]);
    // the download waits at the image host, on the worker; this process runs nothing
    const inFlight = await waitFor(async () => {
      const activity = (await getJobProgress(jobId))?.activity;
      return activity && activity.inFlightCount === 1 ? activity.inFlight : null;
    }, 60_000);
    expect(inFlight).toMatchObject([{ url, attempt: 1, retryAt: null }]);
    expect((await app.runtime.queue.stats()).consumers).toBe(0);
    imageHost.release("watched");
    await waitFor(async () => (await jobStatus(jobId)) === "completed", 60_000);
    await waitFor(async () => (await getJobProgress(jobId))?.activity.inFlightCount === 0);
  });

  for (const action of ["cancel", "delete"] as const) {
    it(`stops the job on the worker when the web process is asked to ${action} it`, async () => {
      const hold = `stop-${action}`;
      const path = `/img/held-${action}.png`;
      const { jobId } = await app.createBatch([
        `SKU-${action}\t${imageHost.url}${path}?hold=${hold}`,
      ]);
      // the worker holds the job: its download waits at the image host
      await waitFor(
        async () =>
          (await app.db.imageItem.count({ where: { jobId, state: "downloading" } })) === 1 &&
          (await imageQueue.getActiveCount()) === 1,
        60_000,
      );
      const { cancelJob, deleteJob } = await import("@/server/services/jobs/job-actions");
      if (action === "cancel") await cancelJob(jobId);
      else await deleteJob(jobId);
      // the download is still held: only the abort sent over Redis lets the worker's handler end
      await waitFor(async () => (await imageQueue.getActiveCount()) === 0, 30_000);
      expect(await jobStatus(jobId)).toBe(action === "cancel" ? "cancelled" : "deleted");
      expect(imageHost.hits(path)).toBe(0);
      imageHost.release(hold);
    });
  }
});
