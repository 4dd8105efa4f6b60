// Daily use: retry or delete several jobs at once, pause or resume several schedules, duplicate a
// report or a schedule; through the procedures the pages call, with each refusal reported by id
// and the rest done, and one audit line per action.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startImageHost } from "@/test-support/fakes/image-host";
import { callerWithToken, startTestApp, waitFor } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let imageHost: Awaited<ReturnType<typeof startImageHost>>;
let adminToken: string;

beforeAll(async () => {
  imageHost = await startImageHost();
  app = await startTestApp();
  const { startWorker } = await import("@/server/boot");
  await startWorker();
  const { createApiToken } = await import("@/server/services/tokens/api-tokens");
  adminToken = (await createApiToken(app.userId, { name: "bulk", scope: "admin" })).token;
});

afterAll(async () => {
  await app?.stop();
  await imageHost?.close();
});

const caller = () => callerWithToken(adminToken);

const FINAL = ["completed", "completed_with_errors", "failed", "cancelled"];

async function finishedBatch(paths: string[]): Promise<string> {
  const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
  const text = paths.map((p, i) => `SKU-${i}\t${imageHost.url}${p}`).join("\n");
  const { jobId } = await createBatchJob({ userId: app.userId, text, source: "paste" });
  await waitFor(async () => {
    const job = await app.db.job.findUnique({ where: { id: jobId } });
    return job && FINAL.includes(job.status) ? job : null;
  }, 60_000);
  return jobId;
}

const lastAudit = (action: string) =>
  app.db.auditEvent.findFirstOrThrow({ where: { action }, orderBy: { at: "desc" } });

describe("bulk actions", () => {
  it("retries the jobs that have something to retry and says why the others were left", async () => {
    const flaky = await finishedBatch(["/img/ok-1.png", "/status/503"]);
    const clean = await finishedBatch(["/img/ok-2.png"]);
    const before = await app.db.job.findMany({ where: { id: { in: [flaky, clean] } } });
    const finishedAt = new Map(before.map((job) => [job.id, job.finishedAt!.getTime()]));
    const api = await caller();
    const outcome = await api.jobs.retryMany({ ids: [flaky, clean] });
    expect(outcome.done).toBe(1);
    expect(outcome.refused).toEqual([{ id: clean, reason: expect.stringMatching(/nothing|no /i) }]);
    // the flaky job ran its failed image again and finished a second time; the clean one stayed
    await waitFor(async () => {
      const job = await app.db.job.findUniqueOrThrow({ where: { id: flaky } });
      return FINAL.includes(job.status) && job.finishedAt!.getTime() > finishedAt.get(flaky)!;
    }, 60_000);
    const untouched = await app.db.job.findUniqueOrThrow({ where: { id: clean } });
    expect([untouched.status, untouched.finishedAt!.getTime()]).toEqual([
      "completed",
      finishedAt.get(clean),
    ]);
    expect((await lastAudit("jobs.retryMany")).target).toMatch(/^1 of 2 jobs · not: /);
  });

  it("deletes several jobs, and reports the one that does not exist", async () => {
    const first = await finishedBatch(["/img/ok-3.png"]);
    const second = await finishedBatch(["/img/ok-4.png"]);
    const missing = crypto.randomUUID();
    const outcome = await (await caller()).jobs.deleteMany({ ids: [first, second, missing] });
    expect(outcome).toEqual({
      done: 2,
      refused: [{ id: missing, reason: expect.stringContaining("does not exist") }],
    });
    expect(await app.db.job.count({ where: { id: { in: [first, second] } } })).toBe(0);
    expect((await lastAudit("jobs.deleteMany")).target).toContain(`2 of 3 jobs · not: ${missing}`);
  });

  it("pauses and resumes several schedules, and duplicates a report and a schedule", async () => {
    const api = await caller();
    const { id: connectorId } = await api.connectors.save({
      name: "Shop",
      kind: "http",
      baseUrl: imageHost.url,
      settings: { authMethod: "none" },
      secrets: {},
    });
    const report = await api.reports.save({ name: "Sales", connectorId, query: { url: "/a.csv" } });
    const schedule = (name: string) =>
      api.schedules.save({
        name,
        kind: "cron",
        cronExpression: "0 6 * * 1-5",
        timeZone: "Europe/Berlin",
        reportIds: [report.id],
        isEnabled: true,
        alertRules: { onFailure: true, rowDropPercent: 40 },
      });
    const morning = await schedule("Mornings");
    const evening = await schedule("Evenings");
    const ids = [morning.id, evening.id];

    expect(await api.schedules.setEnabledMany({ ids, isEnabled: false })).toEqual({
      done: 2,
      refused: [],
    });
    const paused = await app.db.schedule.findMany({ where: { id: { in: ids } } });
    expect(paused.map((s) => [s.isEnabled, s.nextRunAt])).toEqual([
      [false, null],
      [false, null],
    ]);
    await api.schedules.setEnabledMany({ ids, isEnabled: true });
    const resumed = await app.db.schedule.findMany({ where: { id: { in: ids } } });
    expect(resumed.every((s) => s.isEnabled && s.nextRunAt !== null)).toBe(true);

    const copy = await api.schedules.duplicate({ id: morning.id });
    expect(copy.name).toBe("Mornings (copy)");
    expect((await api.schedules.duplicate({ id: copy.id })).name).toBe("Mornings (copy 2)");
    const stored = await app.db.schedule.findUniqueOrThrow({
      where: { id: copy.id },
      include: { reports: true },
    });
    const original = await app.db.schedule.findUniqueOrThrow({ where: { id: morning.id } });
    expect(stored).toMatchObject({
      isEnabled: false,
      nextRunAt: null,
      cronExpression: "0 6 * * 1-5",
      timeZone: "Europe/Berlin",
      alertRules: original.alertRules,
    });
    expect(stored.reports.map((r) => r.reportId)).toEqual([report.id]);

    const reportCopy = await api.reports.duplicate({ id: report.id });
    expect(reportCopy.name).toBe("Sales (copy)");
    const copiedReport = await app.db.report.findUniqueOrThrow({ where: { id: reportCopy.id } });
    const originalReport = await app.db.report.findUniqueOrThrow({ where: { id: report.id } });
    expect(JSON.parse(copiedReport.query)).toMatchObject({ url: "/a.csv" });
    expect(copiedReport).toMatchObject({
      connectorId,
      query: originalReport.query,
      fileNameTemplate: originalReport.fileNameTemplate,
    });
  });
});
