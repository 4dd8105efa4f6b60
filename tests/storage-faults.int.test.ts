import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeCsvHost } from "@/test-support/fakes/csv-host";
import { startImageHost } from "@/test-support/fakes/image-host";
import { isPostgresRun, startTestApp, waitFor } from "./support/test-app";

// Faults come from the real file system and the real database: a folder of the store replaced by
// a file (mkdir and rename then fail with ENOTDIR, as they fail with EROFS or ENOSPC), and SQLite's
// page limit (it refuses writes with SQLITE_FULL, the answer of a full disk). Tests run as root
// here, so a read-only chmod would not stop a write.
let app: Awaited<ReturnType<typeof startTestApp>>;
let imageHost: Awaited<ReturnType<typeof startImageHost>>;
let csvHost: Awaited<ReturnType<typeof startFakeCsvHost>>;

beforeAll(async () => {
  imageHost = await startImageHost();
  csvHost = await startFakeCsvHost();
  app = await startTestApp();
  const { startWorker } = await import("@/server/boot");
  await startWorker();
});

afterAll(async () => {
  await app?.stop();
  await imageHost?.close();
  await csvHost?.close();
});

/** Puts a file where one of the store's folders was; returns how to put the folder back. */
function replaceFolderWithFile(folder: string) {
  const aside = `${folder}-aside`;
  fs.renameSync(folder, aside);
  fs.writeFileSync(folder, "not a folder");
  return () => {
    fs.rmSync(folder);
    fs.renameSync(aside, folder);
  };
}

async function createJob(prefix: string, count: number, query = "") {
  const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
  const paths = Array.from({ length: count }, (_, i) => `/img/${prefix}-${i}.png`);
  const text = paths
    .map((p, i) => `SKU-${prefix}-${i % 3}\t${imageHost.url}${p}${query}`)
    .join("\n");
  const { jobId } = await createBatchJob({ userId: app.userId, text, source: "paste" });
  return { jobId, paths };
}

const jobRow = (jobId: string) => app.db.job.findUniqueOrThrow({ where: { id: jobId } });
const itemStates = async (jobId: string) =>
  (await app.db.imageItem.findMany({ where: { jobId } })).map((i) => i.state);

async function waitForStatus(jobId: string, status: string, timeoutMs = 30_000) {
  return waitFor(async () => {
    const job = await jobRow(jobId);
    return job.status === status ? job : null;
  }, timeoutMs);
}

describe("a store that cannot take files", () => {
  it("pauses the job instead of failing its images, says why on its page, and finishes it once the store is back", async () => {
    const { getJobProgress } = await import("@/server/services/jobs/job-progress");
    const { retryFailedItems } = await import("@/server/services/jobs/job-actions");
    const { checkSystem } = await import("@/server/services/system/check-system");
    const restore = replaceFolderWithFile(path.join(app.dataDir, "blobs"));
    const { jobId, paths } = await createJob("blobs-gone", 30);

    const paused = await waitForStatus(jobId, "paused");
    expect(paused.pausedReason).toBe(
      "storage is not writable (a folder of the store is not a folder, ENOTDIR)",
    );
    const states = await itemStates(jobId);
    expect(states).not.toContain("failed");
    expect(states.filter((s) => s === "pending")).toHaveLength(30);
    // the job's live progress carries the pause and when it tries again
    const progress = await getJobProgress(jobId);
    expect(progress!.job.status).toBe("paused");
    expect(progress!.pause!.reason).toBe(paused.pausedReason);
    expect(Date.parse(progress!.pause!.resumeAt!)).toBeGreaterThan(Date.now() - 1_000);
    // "retry" is not refused: it tries at once (the store is still gone, so it pauses again)
    await expect(retryFailedItems(jobId)).resolves.toEqual({ retriedItems: 0 });
    // the System page checks the real blob folder, not only the temp folder
    const storage = (await checkSystem()).checks.find((c) => c.name === "Storage writable")!;
    expect(storage.isOk).toBe(false);
    expect(storage.detail).toContain("the blob folder");
    expect(storage.detail).toContain("ENOTDIR");

    restore();
    const finished = await waitForStatus(jobId, "completed", 60_000);
    expect(finished.pausedReason).toBeNull();
    expect(await itemStates(jobId)).toEqual(Array(30).fill("downloaded"));
    for (const item of await app.db.imageItem.findMany({ where: { jobId } }))
      expect(await app.runtime.blobs.has(item.sha256!)).toBe(true);
    // the first refusal stopped the job: each image was fetched at most once before the pause
    // and once after it, instead of every image failing one after the other
    for (const p of paths) expect(imageHost.hits(p)).toBeLessThanOrEqual(2);
    expect((await checkSystem()).checks.find((c) => c.name === "Storage writable")!.isOk).toBe(
      true,
    );
  });

  it("pauses when the temp folder cannot take a large download, and resumes by itself", async () => {
    const restore = replaceFolderWithFile(app.runtime.scratchDir);
    // images over 1 MB are streamed to a temp file (smaller ones are kept in memory until stored)
    const { jobId } = await createJob("temp-gone", 12, "?kb=1100");
    const paused = await waitForStatus(jobId, "paused");
    expect(paused.pausedReason).toMatch(/^storage is not writable \(.*, ENOTDIR\)$/);
    expect(await itemStates(jobId)).not.toContain("failed");
    restore();
    await waitForStatus(jobId, "completed", 60_000);
    expect(await itemStates(jobId)).toEqual(Array(12).fill("downloaded"));
  });
});

/**
 * Makes the database refuse what a full disk refuses. SQLite: no page beyond those it has.
 * PostgreSQL's files cannot be capped from SQL: every write of an item fails with its disk_full
 * error instead, raised by a trigger. Returns what puts the space back.
 */
async function fillDatabase(): Promise<() => Promise<unknown>> {
  if (isPostgresRun) {
    await app.db.$executeRawUnsafe(`
      CREATE OR REPLACE FUNCTION "disk_full"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
      END $$`);
    await app.db.$executeRawUnsafe(`
      CREATE TRIGGER "disk_full" BEFORE INSERT OR UPDATE ON "ImageItem"
      FOR EACH STATEMENT EXECUTE FUNCTION "disk_full"()`);
    return () => app.db.$executeRawUnsafe(`DROP TRIGGER "disk_full" ON "ImageItem"`);
  }
  const [row] = await app.db.$queryRawUnsafe<{ page_count: bigint }[]>("PRAGMA page_count");
  await app.db.$queryRawUnsafe(`PRAGMA max_page_count = ${Number(row!.page_count)}`);
  return () => app.db.$queryRawUnsafe("PRAGMA max_page_count = 1073741823");
}

describe("a database that refuses writes (a full disk)", () => {
  it("never leaves the job running with nothing working on it, and finishes it once space is back", async () => {
    const { getRuntime } = await import("@/server/runtime");
    // more images than one claim takes, slow enough that the next claim meets the full database
    const { jobId } = await createJob("db-full", 150, "?delay=50");
    await waitFor(async () => (await jobRow(jobId)).status === "running");
    const restore = await fillDatabase();
    try {
      // the run stops (claims and results are refused), and no image failed for it
      await waitFor(async () => (await getRuntime().queue.stats()).active === 0, 60_000);
      expect(await itemStates(jobId)).not.toContain("failed");
    } finally {
      await restore();
    }
    // nobody restarts anything: the job comes back by itself
    await waitForStatus(jobId, "completed", 90_000);
    expect(await itemStates(jobId)).toEqual(Array(150).fill("downloaded"));
  });
});

describe("a report run whose files cannot be stored", () => {
  it("pauses instead of spending the reports' attempts, says why, and finishes once the store is back", async () => {
    const { saveConnector } = await import("@/server/services/connectors/connectors");
    const { saveReport } = await import("@/server/services/reports/reports");
    const { startReportRun } = await import("@/server/services/reports/start-report-run");
    const { getReportRunProgress } = await import("@/server/services/reports/report-run-progress");
    const { id: connectorId } = await saveConnector({
      name: "Files for the fault test",
      kind: "http",
      baseUrl: csvHost.url,
      settings: { authMethod: "none" },
      secrets: {},
    });
    const reportIds = await Promise.all(
      ["Sales A", "Sales B"].map(
        async (name) =>
          (await saveReport({ name, connectorId, query: { url: "/exports/sales.csv" } })).id,
      ),
    );
    const restore = replaceFolderWithFile(path.join(app.dataDir, "blobs"));
    // two attempts each: without the pause, both reports would fail long before the store is back
    const { jobId } = await startReportRun({ reportIds, createdById: app.userId, maxAttempts: 2 });

    const paused = await waitForStatus(jobId, "paused");
    expect(paused.pausedReason).toBe(
      "storage is not writable (a folder of the store is not a folder, ENOTDIR)",
    );
    const progress = await getReportRunProgress(jobId);
    expect(progress!.pause!.reason).toBe(paused.pausedReason);
    for (const item of progress!.items) {
      expect(item.state).toBe("pending");
      expect(item.attempts).toBe(0);
    }

    restore();
    await waitForStatus(jobId, "completed", 60_000);
    const finished = await getReportRunProgress(jobId);
    expect(finished!.pause).toBeNull();
    expect(finished!.items.map((item) => [item.state, item.attempts])).toEqual([
      ["succeeded", 1],
      ["succeeded", 1],
    ]);
    const files = await app.db.reportRunFile.findMany({ where: { item: { jobId } } });
    expect(files).toHaveLength(2);
    for (const file of files) expect(await app.runtime.blobs.has(file.sha256)).toBe(true);
  });
});
