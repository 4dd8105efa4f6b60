import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startImageHost } from "@/test-support/fakes/image-host";
import { isZipIntact, zipEntries, zipEntryText } from "@/test-support/zip";
import { startTestApp } from "./support/test-app";

// No queue consumer here: each test runs a job's worker pass itself, so it owns the moments
// between a file landing in the store and the job's rows naming it.
let app: Awaited<ReturnType<typeof startTestApp>>;
let imageHost: Awaited<ReturnType<typeof startImageHost>>;

beforeAll(async () => {
  imageHost = await startImageHost();
  app = await startTestApp();
});

afterAll(async () => {
  await app?.stop();
  await imageHost?.close();
});

const u = (p: string) => `${imageHost.url}${p}`;
const blobPath = (sha256: string) => path.join(app.dataDir, "blobs", sha256.slice(0, 2), sha256);

async function services() {
  return {
    ...(await import("@/server/services/batches/create-batch-job")),
    ...(await import("@/server/services/batches/run-batch-job")),
    ...(await import("@/server/services/jobs/job-actions")),
    ...(await import("@/server/services/jobs/build-job-archive")),
    ...(await import("@/server/services/storage/sweep-blobs")),
  };
}

async function createJob(lines: string[][]) {
  const { createBatchJob } = await services();
  const text = lines.map((line) => line.join("\t")).join("\n");
  return (await createBatchJob({ userId: app.userId, text, source: "paste" })).jobId;
}

async function runToEnd(jobId: string) {
  const { runBatchJob } = await services();
  await runBatchJob(jobId, new AbortController().signal);
  return app.db.imageItem.findMany({ where: { jobId }, orderBy: { line: "asc" } });
}

async function saveZip(args: { jobId: string; productNumber?: string }) {
  const { buildJobArchive } = await services();
  const archive = await buildJobArchive(args);
  const file = path.join(app.dataDir, `zip-${crypto.randomUUID()}.zip`);
  await pipeline(archive.open(), fs.createWriteStream(file));
  expect(fs.statSync(file).size).toBe(archive.size);
  return file;
}

describe("a file that lands while another job using it is deleted", () => {
  it("stays, because its reference is written before it is moved in", async () => {
    const { runBatchJob, deleteJob, sweepUnreferencedBlobs } = await services();
    const first = await createJob([["SKU-FIRST", u("/img/shared-race.png")]]);
    const [stored] = await runToEnd(first);
    expect(stored!.state).toBe("downloaded");
    const sha256 = stored!.sha256!;
    const inodeBefore = fs.statSync(blobPath(sha256)).ino;

    // the second job fetches the same bytes, and one more image that the host holds back; its
    // first write of results is held after the move and before the rows, so the delete lands there
    const second = await createJob([
      ["SKU-SECOND", u("/img/shared-race.png?again=1")],
      ["SKU-SECOND", u("/img/held-back.png?hold=race")],
    ]);
    let releaseWrite!: () => void;
    const writeHeld = new Promise<void>((resolve) => (releaseWrite = resolve));
    let isStored = false;
    const pass = runBatchJob(second, new AbortController().signal, {
      beforeRecording: () => {
        isStored = true;
        return writeHeld;
      },
    });
    const { waitFor } = await import("./support/test-app");
    // the second job's first write has stored its file (the bytes were there: left as they are)
    // and waits before its rows: no row of that job names the file yet
    await waitFor(() => isStored);
    expect(fs.statSync(blobPath(sha256)).ino).toBe(inodeBefore);
    expect(await app.db.imageItem.count({ where: { jobId: second, sha256: { not: null } } })).toBe(
      0,
    );

    await deleteJob(first);
    await sweepUnreferencedBlobs({ graceMs: 0 });
    releaseWrite();
    imageHost.release("race");
    await pass;

    const items = await app.db.imageItem.findMany({ where: { jobId: second } });
    expect(items.map((i) => i.state)).toEqual(["downloaded", "downloaded"]);
    expect(items.find((i) => i.url.includes("shared-race"))!.sha256).toBe(sha256);
    expect(await app.runtime.blobs.has(sha256)).toBe(true);
    const zip = await saveZip({ jobId: second });
    expect(isZipIntact(zip)).toBe(true);
    expect(zipEntries(zip)).toContain("SKU-SECOND/SKU-SECOND_001.png");
  });
});

describe("the sweep", () => {
  it("removes files nothing refers to once past the grace period, a page at a time, and keeps the rest", async () => {
    const { sweepUnreferencedBlobs, SWEEP_GRACE_MS } = await services();
    const kept = await createJob([["SKU-KEPT", u("/img/kept-by-a-job.png")]]);
    const [keptItem] = await runToEnd(kept);
    // files a killed delete left behind (or an older version that deleted rows first): in the
    // store, named by no reference; more than one page of them
    const { blobs } = app.runtime;
    const leftovers: string[] = [];
    for (let i = 0; i < 1_200; i++) {
      const content = `left behind ${i}`;
      const temp = path.join(app.runtime.scratchDir, `leftover-${i}`);
      fs.writeFileSync(temp, content);
      const sha256 = crypto.createHash("sha256").update(content).digest("hex");
      await blobs.moveIn(temp, sha256);
      leftovers.push(sha256);
    }
    const longAgo = new Date(Date.now() - 2 * SWEEP_GRACE_MS);
    for (const sha256 of leftovers.slice(1)) fs.utimesSync(blobPath(sha256), longAgo, longAgo);
    fs.utimesSync(blobPath(keptItem!.sha256!), longAgo, longAgo);
    const recent = leftovers[0]!;

    const result = await sweepUnreferencedBlobs();
    expect(result.removed).toBe(1_199);
    expect(result.checked).toBeGreaterThanOrEqual(1_201);
    for (const sha256 of leftovers.slice(1)) expect(fs.existsSync(blobPath(sha256))).toBe(false);
    expect(await blobs.has(recent)).toBe(true);
    expect(await blobs.has(keptItem!.sha256!)).toBe(true);

    // past its grace period the recent one goes too; the job's file never does
    const later = await sweepUnreferencedBlobs({
      now: () => new Date(Date.now() + 2 * SWEEP_GRACE_MS),
    });
    expect(later.removed).toBe(1);
    expect(await blobs.has(recent)).toBe(false);
    expect(await blobs.has(keptItem!.sha256!)).toBe(true);
  });
});

describe("a stored file that is missing", () => {
  it("refuses the ZIP before its first byte, fails the image with the reason, and a retry fetches it again", async () => {
    const { retryFailedItems } = await services();
    const jobId = await createJob([
      ["SKU-LOST", u("/img/lost-one.png")],
      ["SKU-LOST", u("/img/lost-two.jpg")],
      ["SKU-FINE", u("/img/fine-one.png")],
    ]);
    const items = await runToEnd(jobId);
    expect((await app.db.job.findUniqueOrThrow({ where: { id: jobId } })).status).toBe("completed");
    const lost = items[0]!;
    fs.rmSync(blobPath(lost.sha256!));

    const { buildJobArchive, openItemImage } = await services();
    // its thumbnail says so instead of answering a broken image
    await expect(openItemImage({ jobId, itemId: lost.id })).rejects.toThrow(
      "The stored file of this image is missing.",
    );
    await expect(buildJobArchive({ jobId, productNumber: "SKU-LOST" })).rejects.toThrow(
      "1 stored file is missing, so the ZIP would be incomplete. That image is now marked failed: retry failed items to fetch it again.",
    );
    const failed = await app.db.imageItem.findUniqueOrThrow({ where: { id: lost.id } });
    expect(failed).toMatchObject({ state: "failed", error: "the stored file is missing" });
    const job = await app.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job.status).toBe("completed_with_errors");
    // the ZIPs now hold what is there, and their manifests say which image failed and why
    const master = await saveZip({ jobId });
    expect(isZipIntact(master)).toBe(true);
    expect(zipEntries(master)).not.toContain("SKU-LOST/SKU-LOST_001.png");
    expect(zipEntryText(master, "manifest.csv")).toContain("the stored file is missing");

    expect(await retryFailedItems(jobId)).toEqual({ retriedItems: 1 });
    const again = await runToEnd(jobId);
    expect(again.map((i) => i.state)).toEqual(["downloaded", "downloaded", "downloaded"]);
    expect(imageHost.hits("/img/lost-one.png")).toBe(2);
    const zip = await saveZip({ jobId });
    expect(isZipIntact(zip)).toBe(true);
    expect(zipEntries(zip)).toContain("SKU-LOST/SKU-LOST_001.png");
  });
});

describe("upgrading a database whose files were stored before references existed", () => {
  it("gives every stored file a reference from the rows that name it, so the first sweep keeps it", () => {
    const migrations = path.resolve("prisma/migrations");
    const folders = fs
      .readdirSync(migrations)
      .filter((name) => fs.statSync(path.join(migrations, name)).isDirectory())
      .sort();
    const ours = folders.find((name) => name.endsWith("_blob_references_and_pause"))!;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "upgrade-")), "old.db");
    const db = new Database(file);
    try {
      for (const folder of folders.filter((name) => name < ours))
        db.exec(fs.readFileSync(path.join(migrations, folder, "migration.sql"), "utf8"));
      db.exec(`
        INSERT INTO "user" ("id", "name", "email", "updatedAt") VALUES ('u1', 'U', 'u@example.com', 0);
        INSERT INTO "Job" ("id", "kind", "title", "totalItems", "createdById") VALUES
          ('img-job', 'image_batch', 'images', 2, 'u1'), ('run-job', 'report_run', 'reports', 1, 'u1');
        INSERT INTO "Product" ("id", "jobId", "number", "position") VALUES ('p1', 'img-job', 'P', 1);
        INSERT INTO "ImageItem" ("id", "jobId", "productId", "position", "line", "url", "state", "sha256") VALUES
          ('i1', 'img-job', 'p1', 1, 1, 'http://a/1', 'downloaded', '${"a".repeat(64)}'),
          ('i2', 'img-job', 'p1', 2, 2, 'http://a/2', 'duplicate', '${"a".repeat(64)}'),
          ('i3', 'img-job', 'p1', 3, 3, 'http://a/3', 'failed', NULL);
        INSERT INTO "ReportRunItem" ("id", "jobId", "reportName", "position", "state", "sha256") VALUES
          ('r1', 'run-job', 'R', 1, 'succeeded', '${"b".repeat(64)}');`);
      db.exec(fs.readFileSync(path.join(migrations, ours, "migration.sql"), "utf8"));
      const refs = db.prepare(`SELECT "sha256", "jobId" FROM "BlobRef" ORDER BY "sha256"`).all();
      expect(refs).toEqual([
        { sha256: "a".repeat(64), jobId: "img-job" },
        { sha256: "b".repeat(64), jobId: "run-job" },
      ]);
      // and they go with their job
      db.pragma("foreign_keys = ON");
      db.exec(`DELETE FROM "Job" WHERE "id" = 'img-job'`);
      expect(db.prepare(`SELECT count(*) AS n FROM "BlobRef"`).get()).toEqual({ n: 1 });
    } finally {
      db.close();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});
