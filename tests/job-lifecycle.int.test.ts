import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startImageHost } from "@/test-support/fakes/image-host";
import { AppError } from "@/server/errors";
import { collectSseEvents } from "@/test-support/sse";
import { isPostgresRun, startTestApp, waitFor } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let imageHost: Awaited<ReturnType<typeof startImageHost>>;

beforeAll(async () => {
  imageHost = await startImageHost();
  app = await startTestApp();
  const { startWorker } = await import("@/server/boot");
  await startWorker();
});

afterAll(async () => {
  await app?.stop();
  await imageHost?.close();
});

async function finishedJob(jobId: string) {
  return waitFor(async () => {
    const job = await app.db.job.findUnique({ where: { id: jobId } });
    return job?.finishedAt ? job : null;
  });
}

describe("creating a batch", () => {
  it("refuses input without valid rows with a plain message and writes nothing", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    // a user of its own: whatever other tests left in the database, none of it is this user's
    const user = await app.db.user.create({
      data: { id: crypto.randomUUID(), name: "Refused", email: "refused@example.com" },
    });
    const attempt = createBatchJob({
      userId: user.id,
      text: "bad sku!\tnot a url\n",
      source: "paste",
    });
    await expect(attempt).rejects.toBeInstanceOf(AppError);
    await expect(attempt).rejects.toThrow(/No valid rows|not/);
    expect(await app.db.job.count({ where: { createdById: user.id } })).toBe(0);
    expect(await app.db.imageItem.count({ where: { job: { createdById: user.id } } })).toBe(0);
  });
});

describe("live progress over server-sent events", () => {
  it("sends the whole state first, then the changes, and `end` once the job is finished", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { streamJobEvents } = await import("@/server/services/jobs/stream-job-events");
    const text = [1, 2, 3, 4]
      .map((i) => `SKU-S\t${imageHost.url}/img/sse-${i}.png?delay=150`)
      .join("\n");
    const { jobId } = await createBatchJob({ userId: app.userId, text, source: "paste" });
    const response = await streamJobEvents({ jobId, signal: new AbortController().signal });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const stream = collectSseEvents(response.body!);
    // the server ends the stream itself: a finished job has nothing more to say
    await stream.done;
    type TProgress = { job: { status: string }; totals: { downloaded: number; total: number } };
    const { events } = stream;
    expect(events[0]!.event).toBe("snapshot");
    expect((events[0]!.data as TProgress).totals.total).toBe(4);
    expect(events.at(-1)).toEqual({ event: "end", data: {} });
    const last = events.at(-2)!.data as TProgress;
    expect(last.job.status).toBe("completed");
    expect(last.totals.downloaded).toBe(4);
    // coalesced: far fewer messages than one per state change
    expect(events.length).toBeLessThan(12);
  });
});

describe("live progress of a large job", () => {
  it("tells a viewer of 1,200 products that the job was cancelled, and then retried", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { streamJobEvents } = await import("@/server/services/jobs/stream-job-events");
    const { cancelJob, retryFailedItems } = await import("@/server/services/jobs/job-actions");
    const text = Array.from(
      { length: 1200 },
      (_, i) => `SKU-L${i}\t${imageHost.url}/img/large-${i}.png?delay=2000`,
    ).join("\n");
    const { jobId } = await createBatchJob({ userId: app.userId, text, source: "paste" });
    type TProgress = { job: { status: string }; products: { cancelled: number }[] };
    const follow = async () =>
      collectSseEvents(
        (await streamJobEvents({ jobId, signal: new AbortController().signal })).body!,
      );
    const lastProgress = (stream: Awaited<ReturnType<typeof follow>>) =>
      stream.events.findLast((e) => e.event !== "end")?.data as TProgress | undefined;

    const first = await follow();
    await waitFor(async () => first.events.length > 0);
    await cancelJob(jobId);
    await first.done;
    expect(first.events.at(-1)!.event).toBe("end");
    expect(lastProgress(first)!.job.status).toBe("cancelled");
    // every product was changed by the cancel: all of them come, read by job, not 1,200 ids
    expect(lastProgress(first)!.products).toHaveLength(1200);
    expect(lastProgress(first)!.products.every((p) => p.cancelled === 1)).toBe(true);

    await retryFailedItems(jobId);
    const second = await follow();
    await waitFor(async () =>
      ["queued", "running"].includes(lastProgress(second)?.job.status ?? ""),
    );
    await cancelJob(jobId);
    await second.done;
    expect(lastProgress(second)!.job.status).toBe("cancelled");
  });
});

describe("cancel and retention", () => {
  it("cancels a running job: unfinished items end as cancelled and stay so", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { cancelJob } = await import("@/server/services/jobs/job-actions");
    // the wait below reads the whole queue: first let the workers of other tests' jobs return
    const queueIdle = async () => (await app.runtime.queue.stats()).active === 0;
    await waitFor(queueIdle);
    const text = Array.from(
      { length: 40 },
      (_, i) => `SKU-X\t${imageHost.url}/img/c-${i}.png?delay=300`,
    ).join("\n");
    const { jobId } = await createBatchJob({ userId: app.userId, text, source: "paste" });
    await waitFor(
      async () => (await app.db.job.findUnique({ where: { id: jobId } }))?.status === "running",
    );
    const { cancelledItems } = await cancelJob(jobId);
    expect(cancelledItems).toBeGreaterThan(0);
    // the job's worker has returned once the queue runs nothing: every download in flight at the
    // cancel has settled and tried to write its result by then
    await waitFor(queueIdle);
    const job = await app.db.job.findUnique({ where: { id: jobId } });
    expect(job?.status).toBe("cancelled");
    const states = await app.db.imageItem.groupBy({
      by: ["state"],
      where: { jobId },
      _count: { _all: true },
    });
    expect(states.map((s) => s.state).sort()).toEqual(expect.arrayContaining(["cancelled"]));
    expect(states.find((s) => s.state === "pending" || s.state === "downloading")).toBeUndefined();
  });

  it("removes finished jobs older than the retention period and keeps the rest", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { purgeExpiredJobs } = await import("@/server/services/jobs/job-actions");
    const old = await createBatchJob({
      userId: app.userId,
      text: `OLD\t${imageHost.url}/img/old.png`,
      source: "paste",
    });
    const fresh = await createBatchJob({
      userId: app.userId,
      text: `NEW\t${imageHost.url}/img/new.png`,
      source: "paste",
    });
    await finishedJob(old.jobId);
    await finishedJob(fresh.jobId);
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
    await app.db.job.update({ where: { id: old.jobId }, data: { finishedAt: tenDaysAgo } });
    const oldHash = (await app.db.imageItem.findFirst({ where: { jobId: old.jobId } }))!.sha256!;

    expect(await purgeExpiredJobs({ retentionDays: 0 })).toEqual({ deletedJobs: 0 });
    const { deletedJobs } = await purgeExpiredJobs({ retentionDays: 7 });
    expect(deletedJobs).toBe(1);
    expect(await app.db.job.findUnique({ where: { id: old.jobId } })).toBeNull();
    expect(await app.db.job.findUnique({ where: { id: fresh.jobId } })).not.toBeNull();
    const { sweepUnreferencedBlobs } = await import("@/server/services/storage/sweep-blobs");
    await sweepUnreferencedBlobs({ graceMs: 0 });
    expect(await app.runtime.blobs.has(oldHash)).toBe(false);
  });
});

describe("results that cannot be written", () => {
  it("puts the items back in line, pauses the job, and finishes it once writes work again", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    // a real refusal by the database (as with a full disk), for these items only
    const refusal = `NEW."state" <> 'downloading' AND NEW."state" <> 'pending' AND NEW."url" LIKE '%refuse-write%'`;
    if (isPostgresRun) {
      await app.db.$executeRawUnsafe(`
        CREATE FUNCTION "refuse_outcome"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
          RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
        END $$`);
      await app.db.$executeRawUnsafe(`
        CREATE TRIGGER "refuse_outcomes" BEFORE UPDATE OF "state" ON "ImageItem"
        FOR EACH ROW WHEN (${refusal}) EXECUTE FUNCTION "refuse_outcome"()`);
    } else {
      await app.db.$executeRawUnsafe(`
        CREATE TRIGGER "refuse_outcomes" BEFORE UPDATE OF "state" ON "ImageItem"
        WHEN ${refusal} BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    }
    const paths = [1, 2, 3].map((i) => `/img/refuse-write-${i}.png`);
    const { jobId } = await createBatchJob({
      userId: app.userId,
      text: paths.map((p) => `SKU-W\t${imageHost.url}${p}`).join("\n"),
      source: "paste",
    });

    await waitFor(async () => {
      if (paths.some((p) => imageHost.hits(p) < 1)) return false;
      const items = await app.db.imageItem.findMany({ where: { jobId } });
      return items.every((i) => i.state === "pending" && i.leaseUntil === null);
    });
    const job = await waitFor(async () => {
      const row = await app.db.job.findUniqueOrThrow({ where: { id: jobId } });
      return row.status === "paused" ? row : null;
    });
    expect(job.pausedReason).toBe("the database could not be written (the disk is full)");
    expect(job.resumeAt!.getTime()).toBeGreaterThan(Date.now() - 1000);
    expect(job.finishedAt).toBeNull();

    await app.db.$executeRawUnsafe(
      isPostgresRun
        ? `DROP TRIGGER "refuse_outcomes" ON "ImageItem"`
        : `DROP TRIGGER "refuse_outcomes"`,
    );
    const finished = await finishedJob(jobId);
    expect(finished.status).toBe("completed");
    const items = await app.db.imageItem.findMany({ where: { jobId } });
    // the same bytes came back as the same verdict: downloaded, not "duplicate" of themselves
    expect(items.map((i) => i.state)).toEqual(["downloaded", "downloaded", "downloaded"]);
    for (const p of paths) expect(imageHost.hits(p)).toBe(2);
  });
});
