// Beside other workers, a starting worker takes back only the items whose lease ran out, and a
// running job keeps renewing the leases of the items it has in flight, so no live worker's item is
// taken from it and fetched twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startImageHost } from "@/test-support/fakes/image-host";
import { clusterEnv, deleteRedisKeys, uniqueRedisPrefix } from "@/test-support/redis";
import { startTestApp, waitFor } from "./support/test-app";

const prefix = uniqueRedisPrefix("leases");
let app: Awaited<ReturnType<typeof startTestApp>>;
let imageHost: Awaited<ReturnType<typeof startImageHost>>;

beforeAll(async () => {
  imageHost = await startImageHost();
  // a worker process beside others: QUEUE=bullmq, not the embedded default
  app = await startTestApp({
    ...clusterEnv(prefix),
    RUN_MODE: "worker",
    HTTP_READ_TIMEOUT: "600",
  });
});

afterAll(async () => {
  imageHost?.release("lease");
  await app?.stop();
  await imageHost?.close();
  await deleteRedisKeys(prefix);
});

describe("item leases beside other workers", () => {
  it("a starting worker takes back only the items whose lease ran out", async () => {
    const { jobId } = await app.createBatch([
      `SKU-L1\t${imageHost.url}/img/lease-live.png`,
      `SKU-L2\t${imageHost.url}/img/lease-dead.png`,
    ]);
    const items = await app.db.imageItem.findMany({ where: { jobId }, orderBy: { url: "asc" } });
    const [dead, live] = items; // "…lease-dead" sorts first
    const now = Date.now();
    await app.db.imageItem.update({
      where: { id: live!.id },
      data: { state: "downloading", leaseUntil: new Date(now + 60_000) },
    });
    await app.db.imageItem.update({
      where: { id: dead!.id },
      data: { state: "downloading", leaseUntil: new Date(now - 1_000) },
    });
    const { imageBatchKind } = await import("@/server/services/batches/image-batch-kind");
    expect(await imageBatchKind.releaseAbandonedItems()).toBe(1);
    const after = await app.db.imageItem.findMany({ where: { jobId }, orderBy: { url: "asc" } });
    expect(after.map((item) => item.state)).toEqual(["pending", "downloading"]);
  });

  it("a running job renews the leases of the images it has in flight", async () => {
    const { jobId } = await app.createBatch([
      `SKU-L3\t${imageHost.url}/img/lease-held.png?hold=lease`,
    ]);
    const { runBatchJob } = await import("@/server/services/batches/run-batch-job");
    const run = runBatchJob(jobId, new AbortController().signal, { leaseRenewMs: 100 });
    const leaseOf = async () =>
      (await app.db.imageItem.findFirst({ where: { jobId, state: "downloading" } }))?.leaseUntil;
    const first = await waitFor(leaseOf);
    // the download is held at the image host; only a renewal moves the lease on
    await waitFor(async () => ((await leaseOf())?.getTime() ?? 0) > first.getTime());
    imageHost.release("lease");
    await run;
    expect((await app.db.job.findUnique({ where: { id: jobId } }))?.status).toBe("completed");
    expect(imageHost.hits("/img/lease-held.png")).toBe(1);
  });

  it("a job handed on from a dead worker takes its images once their lease runs out, and ends", async () => {
    const { jobId } = await app.createBatch([
      `SKU-L4\t${imageHost.url}/img/lease-own.png`,
      `SKU-L5\t${imageHost.url}/img/lease-orphan.png`,
    ]);
    // the worker that held this one died: nobody renews its lease, which runs out in a moment
    const orphan = await app.db.imageItem.findFirstOrThrow({
      where: { jobId, url: { contains: "lease-orphan" } },
    });
    const leaseEnd = new Date(Date.now() + 1_500);
    await app.db.imageItem.update({
      where: { id: orphan.id },
      data: { state: "downloading", leaseUntil: leaseEnd },
    });
    const { runBatchJob } = await import("@/server/services/batches/run-batch-job");
    // renewals every 100 ms: renewing the orphan's lease too would keep it from ever running out
    await runBatchJob(jobId, new AbortController().signal, { leaseRenewMs: 100 });
    expect((await app.db.job.findUnique({ where: { id: jobId } }))?.status).toBe("completed");
    const taken = await app.db.imageItem.findUniqueOrThrow({ where: { id: orphan.id } });
    expect(taken.state).toBe("downloaded");
    expect(taken.finishedAt!.getTime()).toBeGreaterThanOrEqual(leaseEnd.getTime());
    expect(imageHost.hits("/img/lease-own.png")).toBe(1);
    expect(imageHost.hits("/img/lease-orphan.png")).toBe(1);
  });
});
