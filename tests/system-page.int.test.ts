// What the System page shows an admin beside its checks: which jobs hold the most stored bytes
// (a file several jobs share counted for each, and once in the distinct total), deleting a finished
// one from that list, the version the process runs, and its latest warn and error lines.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startImageHost } from "@/test-support/fakes/image-host";
import {
  callerWithToken,
  isPostgresRun,
  startTestApp,
  waitFor,
  waitForJobEnd,
} from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let imageHost: Awaited<ReturnType<typeof startImageHost>>;
let adminToken: string;

beforeAll(async () => {
  imageHost = await startImageHost();
  app = await startTestApp();
  const { startWorker } = await import("@/server/boot");
  await startWorker();
  const { createApiToken } = await import("@/server/services/tokens/api-tokens");
  adminToken = (await createApiToken(app.userId, { name: "admin", scope: "admin" })).token;
});

afterAll(async () => {
  await app?.stop();
  await imageHost?.close();
});

const storage = () => import("@/server/services/storage/job-storage");

const asAdmin = () => callerWithToken(adminToken);

/** A finished image batch of these lines. */
async function finishedBatch(lines: string[]): Promise<string> {
  const { jobId } = await app.createBatch(lines);
  expect((await waitForJobEnd(app, jobId)).status).toBe("completed");
  return jobId;
}

/** The size of a stored file as the local store's folder holds it: what the list must add up. */
function storedSize(sha256: string): number {
  return fs.statSync(path.join(app.dataDir, "blobs", sha256.slice(0, 2), sha256)).size;
}

async function hashesOf(jobId: string): Promise<string[]> {
  const refs = await app.db.blobRef.findMany({ where: { jobId }, select: { sha256: true } });
  return refs.map((ref) => ref.sha256);
}

const sizeOf = async (jobId: string) =>
  (await hashesOf(jobId)).reduce((sum, sha256) => sum + storedSize(sha256), 0);

describe("storage per job", () => {
  let large: string;
  let medium: string;
  let small: string;
  let sharedHash: string;

  beforeAll(async () => {
    const img = (name: string, kb: number) => `${imageHost.url}/img/${name}.png?kb=${kb}`;
    // "shared" is fetched by two jobs: equal bytes, one stored file, kept by both
    large = await finishedBatch([`L-1\t${img("large-a", 60)}`, `L-2\t${img("shared", 20)}`]);
    medium = await finishedBatch([`M-1\t${img("medium-a", 12)}`, `M-2\t${img("shared", 20)}`]);
    small = await finishedBatch([`S-1\t${img("small-a", 4)}`]);
    const [sharedItem] = await app.db.imageItem.findMany({
      where: { jobId: large, url: img("shared", 20) },
    });
    sharedHash = sharedItem!.sha256!;
  });

  it("lists the jobs holding the most bytes first, a shared file counted for each job and once in the distinct total", async () => {
    const { listJobStorage } = await storage();
    const report = await listJobStorage();
    const expected = [
      { jobId: large, bytes: await sizeOf(large), files: 2 },
      { jobId: medium, bytes: await sizeOf(medium), files: 2 },
      { jobId: small, bytes: await sizeOf(small), files: 1 },
    ];
    expect(expected.map((e) => e.bytes)).toEqual(
      [...expected.map((e) => e.bytes)].sort((a, b) => b - a),
    );
    expect(report.jobs.map(({ jobId, bytes, files }) => ({ jobId, bytes, files }))).toEqual(
      expected,
    );
    expect(report.jobs.map((job) => job.sharedBytes)).toEqual([
      storedSize(sharedHash),
      storedSize(sharedHash),
      0,
    ]);
    expect(report.jobs.every((job) => job.isDeletable && job.unsizedFiles === 0)).toBe(true);
    const countedPerJob = expected.reduce((sum, e) => sum + e.bytes, 0);
    expect(report).toMatchObject({
      jobCount: 3,
      bytesCountedPerJob: countedPerJob,
      distinctBytes: countedPerJob - storedSize(sharedHash),
      distinctFiles: 4,
      unsizedFiles: 0,
    });
  });

  it("counts a kept file no row records a size for by its size in the store", async () => {
    const { storeBlob } = await import("@/server/services/storage/blob-references");
    const { createHash } = await import("node:crypto");
    // the kind of file an export keeps of its table: stored, referenced, its size in no row
    const bytes = Buffer.alloc(300_000, "parquet-ish");
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const tempPath = path.join(app.runtime.scratchDir, `unsized-${Date.now()}`);
    fs.mkdirSync(app.runtime.scratchDir, { recursive: true });
    fs.writeFileSync(tempPath, bytes);
    await storeBlob({ jobId: small, tempPath, sha256 });

    const { listJobStorage } = await storage();
    const report = await listJobStorage();
    expect(report.jobs.map((job) => job.jobId)).toEqual([small, large, medium]);
    expect(report.jobs[0]).toMatchObject({ files: 2, bytes: await sizeOf(small), unsizedFiles: 0 });
    expect(report.jobs[0]!.bytes).toBeGreaterThan(300_000);
  });

  it("deletes a finished job from the list: its row goes, a file it shared stays with the other job", async () => {
    const caller = await asAdmin();
    const largeOnly = (await hashesOf(large)).filter((sha256) => sha256 !== sharedHash);
    expect(largeOnly).toHaveLength(1);
    expect(await caller.system.deleteFinishedJob({ jobId: large })).toEqual({ jobId: large });
    expect(await app.db.job.findUnique({ where: { id: large } })).toBeNull();
    expect(await hashesOf(large)).toEqual([]);

    const report = await caller.system.jobStorage();
    expect(report.jobs.map((job) => job.jobId)).toEqual([small, medium]);
    // the file "large" shared with "medium" is now medium's alone
    expect(report.jobs.find((job) => job.jobId === medium)?.sharedBytes).toBe(0);
    expect(report.jobCount).toBe(2);

    const audit = await app.db.auditEvent.findFirst({
      where: { action: "system.deleteFinishedJob" },
    });
    expect(audit?.target).toBe(`job ${large} (API token)`);

    // the sweep removes the files nobody keeps now, and leaves the shared one
    const { sweepUnreferencedBlobs } = await import("@/server/services/storage/sweep-blobs");
    await sweepUnreferencedBlobs({ graceMs: 0 });
    expect(await app.runtime.blobs.has(sharedHash)).toBe(true);
    expect(await app.runtime.blobs.has(largeOnly[0]!)).toBe(false);
  });

  it("refuses to delete a job that is still running, and leaves it running", async () => {
    const { deleteFinishedJob } = await storage();
    const { jobId } = await app.createBatch([`R-1\t${imageHost.url}/img/held.png?hold=running`]);
    await waitFor(async () => {
      const job = await app.db.job.findUnique({ where: { id: jobId } });
      return job?.status === "running";
    });
    await expect(deleteFinishedJob(jobId)).rejects.toThrow(
      "This job is running: only a finished job can be deleted here. Cancel it on its page first.",
    );
    const caller = await asAdmin();
    await expect(caller.system.deleteFinishedJob({ jobId })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect((await app.db.job.findUnique({ where: { id: jobId } }))?.status).toBe("running");

    imageHost.release("running");
    expect((await waitForJobEnd(app, jobId)).status).toBe("completed");
    await deleteFinishedJob(jobId);
    expect(await app.db.job.findUnique({ where: { id: jobId } })).toBeNull();
  });
});

describe("version and build", () => {
  it("says the package.json version, the Node.js version and how the process runs", async () => {
    const packageJson = JSON.parse(fs.readFileSync("package.json", "utf8")) as { version: string };
    const info = await (await asAdmin()).system.version();
    expect(info).toMatchObject({
      version: packageJson.version,
      nodeVersion: process.versions.node,
      runMode: "all",
      queue: "in-process",
      storage: "local",
      database: isPostgresRun ? "PostgreSQL" : "SQLite",
      pid: process.pid,
    });
    expect(info.commit).toMatch(/^([0-9a-f]{4,40}|unknown)$/);
    expect(info.startedAt.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("reads the commit from git where a .git is, and says unknown elsewhere", async () => {
    const { readGitCommit } = await import("@/server/services/system/version-info");
    const notACheckout = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-no-git-"));
    expect(readGitCommit(notACheckout)).toBe("unknown");
    fs.rmSync(notACheckout, { recursive: true, force: true });
    if (fs.existsSync(".git")) expect(readGitCommit()).toMatch(/^[0-9a-f]{4,40}$|^unknown$/);
  });
});

describe("latest warn and error lines", () => {
  it("shows this process's warn and error lines, newest first, without secrets", async () => {
    const { logger } = await import("@/server/logger");
    logger.info({ step: 1 }, "system page test: info");
    logger.warn({ step: 2, apiKey: "k-secret" }, "system page test: warn");
    logger.error({ step: 3 }, "system page test: error");
    const log = await (await asAdmin()).system.recentWarnings();
    const ours = log.lines.filter((line) => line.message.startsWith("system page test"));
    expect(ours.map((line) => `${line.level} ${line.message}`)).toEqual([
      "error system page test: error",
      "warn system page test: warn",
    ]);
    expect(ours[1]!.fields).toEqual({ step: 2, apiKey: "[redacted]" });
    expect(log).toMatchObject({ pid: process.pid, isWorkerHere: true });
  });
});
