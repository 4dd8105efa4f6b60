// Run history per report and per schedule, as the charts and the REST API read it: the latest
// ended runs oldest first, with rows, bytes and duration, and a failure marked with its reason.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFakeCsvHost, type FakeCsvHost } from "@/test-support/fakes/csv-host";
import { startTestApp, waitForJobEnd } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let csvHost: FakeCsvHost;

beforeAll(async () => {
  csvHost = await startFakeCsvHost();
  app = await startTestApp();
  const { startWorker } = await import("@/server/boot");
  await startWorker();
});

afterAll(async () => {
  await app?.stop();
  await csvHost?.close();
});

it("shows a report's and a schedule's runs oldest first, with what each brought and a failure's reason", async () => {
  const { saveConnector } = await import("@/server/services/connectors/connectors");
  const { saveReport } = await import("@/server/services/reports/reports");
  const { saveSchedule, startScheduledRun } = await import("@/server/services/schedules/schedules");
  const { getReportHistory, getScheduleHistory } =
    await import("@/server/services/reports/run-history");
  const { id: connectorId } = await saveConnector({
    name: "Exports host",
    kind: "http",
    baseUrl: csvHost.url,
    settings: {},
  });
  const { id: reportId } = await saveReport({
    name: "Sales",
    connectorId,
    query: { url: `${csvHost.url}/exports/sales.csv` },
  });
  const { id: scheduleId } = await saveSchedule(
    {
      name: "Mornings",
      kind: "cron",
      cronExpression: "0 6 * * *",
      reportIds: [reportId],
      isEnabled: false,
    },
    app.userId,
  );
  const run = async () => {
    const { jobId } = await startScheduledRun({
      scheduleId,
      reportIds: [reportId],
      createdById: app.userId,
      maxConcurrency: 1,
      maxAttempts: 1,
    });
    return waitForJobEnd(app, jobId);
  };
  expect((await getReportHistory({ id: reportId })).points).toEqual([]);

  const first = await run();
  const second = await run();
  await saveReport({
    id: reportId,
    name: "Sales",
    connectorId,
    query: { url: `${csvHost.url}/exports/missing.csv` },
  });
  const third = await run();
  expect([first.status, second.status, third.status]).toEqual(["completed", "completed", "failed"]);

  const report = await getReportHistory({ id: reportId });
  expect(report.name).toBe("Sales");
  expect(report.points.map((p) => [p.jobId, p.status])).toEqual([
    [first.id, "succeeded"],
    [second.id, "succeeded"],
    [third.id, "failed"],
  ]);
  const [a, b, c] = report.points;
  expect(a!.rows).toBeGreaterThan(0);
  expect(b).toMatchObject({ rows: a!.rows, bytes: a!.bytes, isTruncated: false, error: null });
  expect(a!.durationMs).toBeGreaterThanOrEqual(0);
  expect(c).toMatchObject({ rows: null, bytes: null });
  expect(c!.error).toMatch(/404/);
  expect((await getReportHistory({ id: reportId, limit: 2 })).points.map((p) => p.jobId)).toEqual([
    second.id,
    third.id,
  ]);

  const schedule = await getScheduleHistory({ id: scheduleId });
  expect(schedule.points.map((p) => [p.jobId, p.status])).toEqual([
    [first.id, "completed"],
    [second.id, "completed"],
    [third.id, "failed"],
  ]);
  expect(schedule.points[0]).toMatchObject({ rows: a!.rows, bytes: a!.bytes });
  expect(schedule.points[2]!.error).toBe(c!.error);
  await expect(getScheduleHistory({ id: crypto.randomUUID() })).rejects.toThrow(
    "This schedule does not exist",
  );
});
