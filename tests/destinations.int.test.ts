// Destinations against their fakes over real HTTP (Power BI over HTTPS, as msal-node demands): the
// connection tests in plain words, pushes of a 25,000-row table in both modes, a schema that does
// not match, an expired token renewed once, Looker as a report source and as a refresh.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGoogle, type FakeGoogle } from "@/e2e/fakes/google-sheets";
import { startFakeLooker, type FakeLooker } from "@/e2e/fakes/looker";
import { startFakePowerBi, type FakePowerBi } from "@/e2e/fakes/powerbi";
import { uploadOrdersTable } from "./support/orders-table";
import { startTestApp, waitForJobEnd } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let google: FakeGoogle;
let powerBi: FakePowerBi;
let looker: FakeLooker;
let certDir: string;
let tableId: string;
const ROWS = 25_000;

const services = async () => ({
  ...(await import("@/server/services/connectors/connectors")),
  ...(await import("@/server/services/destinations/start-push")),
});

beforeAll(async () => {
  [google, powerBi, looker] = await Promise.all([
    startFakeGoogle(),
    startFakePowerBi(),
    startFakeLooker(),
  ]);
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-ca-"));
  const caFile = path.join(certDir, "fake-powerbi.pem");
  fs.writeFileSync(caFile, powerBi.cert);
  app = await startTestApp({ NODE_EXTRA_CA_CERTS: caFile });
  const { startWorker } = await import("@/server/boot");
  await startWorker();
  tableId = await uploadOrdersTable(ROWS, app.userId);
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([google?.close(), powerBi?.close(), looker?.close()]);
  if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
});

async function pushAndWait(input: { connectorId: string; mode: "replace" | "append" }) {
  const { startPush } = await services();
  const { jobId } = await startPush({ ...input, tableId, createdById: app.userId });
  const job = await waitForJobEnd(app, jobId, 120_000);
  const push = await app.db.push.findUniqueOrThrow({ where: { jobId } });
  return { job, push };
}

describe("Google Sheets", () => {
  let connectorId: string;
  let spreadsheetId: string;

  beforeAll(async () => {
    const { saveConnector } = await services();
    spreadsheetId = google.addSpreadsheet({ title: "Weekly orders", sheets: ["Sheet1"] });
    ({ id: connectorId } = await saveConnector({
      name: "Orders sheet",
      kind: "google-sheets",
      baseUrl: google.url,
      settings: {
        spreadsheet: `https://docs.google.com/spreadsheets/d/${spreadsheetId}/edit#gid=0`,
        sheetName: "Orders",
      },
      secrets: { serviceAccountKey: JSON.stringify(google.serviceAccountKey) },
    }));
  });

  it("tests the connection: signed in, the spreadsheet shared, and a missing sheet to be created", async () => {
    const { testConnector } = await services();
    const result = await testConnector(connectorId);
    expect(result).toEqual({
      isOk: true,
      message: `signed in as ${google.serviceAccountKey.client_email}; the spreadsheet "Weekly orders" is shared with it (1 sheet); its sheet "Orders" does not exist yet: the first push creates it. Writing needs Editor access.`,
    });
  });

  it("says which email to share the spreadsheet with when it is not shared", async () => {
    const { saveConnector, testConnector } = await services();
    const { id } = await saveConnector({
      name: "Unshared sheet",
      kind: "google-sheets",
      baseUrl: google.url,
      settings: { spreadsheet: spreadsheetId, sheetName: "Sheet1" },
      secrets: { serviceAccountKey: JSON.stringify(google.otherServiceAccountKey) },
    });
    const result = await testConnector(id);
    expect(result.isOk).toBe(false);
    expect(result.message).toContain(
      `the spreadsheet is not shared with the service account: share it with ${google.otherServiceAccountKey.client_email} as an Editor`,
    );
  });

  it("replaces the sheet with 25,000 rows, then appends them under it without a second header", async () => {
    const first = await pushAndWait({ connectorId, mode: "replace" });
    expect(first.job.status).toBe("completed");
    expect(first.push).toMatchObject({
      state: "succeeded",
      rowsSent: ROWS,
      rowsTotal: ROWS,
      batchInFlight: null,
    });
    let values = google.values(spreadsheetId, "Orders");
    expect(values).toHaveLength(ROWS + 1);
    expect(values[0]).toEqual(["order_id", "region", "amount", "units", "ordered", "paid"]);
    expect(values[1]).toEqual([1, "South", 1.25, 1, "2026-03-02", false]);
    expect(values[ROWS]).toEqual([ROWS, "North", ROWS * 1.25, ROWS % 7, "2026-03-25", false]);
    expect(JSON.parse(first.push.notes)).toContain('sheet "Orders" created');

    const second = await pushAndWait({ connectorId, mode: "append" });
    expect(second.job.status).toBe("completed");
    values = google.values(spreadsheetId, "Orders");
    expect(values).toHaveLength(2 * ROWS + 1);
    expect(values[ROWS + 1]).toEqual(values[1]);
    expect(values.filter((row) => row[0] === "order_id")).toHaveLength(1);

    // replace again: back to one copy, and the grid holds no leftover rows
    const third = await pushAndWait({ connectorId, mode: "replace" });
    expect(third.job.status).toBe("completed");
    expect(google.values(spreadsheetId, "Orders")).toHaveLength(ROWS + 1);

    // every request stayed within Google's 2 MB, and no minute held more than 60 writes
    const writes = google.requests.filter(
      (r) => r.method !== "GET" && !r.path.startsWith("/token"),
    );
    expect(writes.every((r) => r.status < 300)).toBe(true);
    expect(Math.max(...writes.map((r) => r.bytes))).toBeLessThanOrEqual(2 * 1024 * 1024);
    for (const write of writes) {
      expect(
        writes.filter((w) => w.at >= write.at && w.at < write.at + 60_000).length,
      ).toBeLessThanOrEqual(60);
    }
  });

  it("renews an expired token once and goes on", async () => {
    google.expireTokens();
    const tokensBefore = google.requests.filter((r) => r.path.startsWith("/token")).length;
    const { job } = await pushAndWait({ connectorId, mode: "replace" });
    expect(job.status).toBe("completed");
    expect(google.requests.filter((r) => r.path.startsWith("/token")).length).toBe(
      tokensBefore + 1,
    );
  });
});

describe("Power BI", () => {
  let made = 0;
  let salesId: string;
  const connectorInput = (dataset: string, clientSecret = powerBi.clientSecret) => ({
    name: `Power BI ${dataset} ${++made}`,
    kind: "powerbi" as const,
    baseUrl: powerBi.url,
    settings: {
      tenantId: powerBi.tenantId,
      clientId: powerBi.clientId,
      workspaceId: powerBi.groupId,
      dataset,
      tableName: "Orders",
      authorityHost: powerBi.url,
    },
    secrets: { clientSecret },
  });

  it("tests the connection, and says Microsoft's reason for a wrong secret", async () => {
    const { saveConnector, testConnector } = await services();
    const good = await saveConnector(connectorInput("Sales"));
    expect(await testConnector(good.id)).toEqual({
      isOk: true,
      message: `signed in; the workspace has ${powerBi.datasets().length} datasets; "Sales" does not exist yet: the first push creates it as a push dataset`,
    });
    const bad = await saveConnector(connectorInput("Sales", "not-the-secret"));
    const result = await testConnector(bad.id);
    expect(result.isOk).toBe(false);
    expect(result.message).toMatch(
      /^Microsoft refused the sign-in: AADSTS7000215: Invalid client secret/,
    );
    expect(result.message).not.toContain("Trace ID");
  });

  it("creates the push dataset, replaces 25,000 rows in posts of at most 10,000, then appends", async () => {
    const { saveConnector } = await services();
    const { id } = await saveConnector(connectorInput("Sales"));
    salesId = id;
    const posted = () =>
      powerBi.requests.filter((r) => r.method === "POST" && r.path.endsWith("/rows"));
    const first = await pushAndWait({ connectorId: id, mode: "replace" });
    expect(first.job.status).toBe("completed");
    const dataset = powerBi.datasets().find((d) => d.name === "Sales")!;
    expect(dataset.mode).toBe("push");
    expect(dataset.tables[0]!.columns).toEqual([
      { name: "order_id", dataType: "Int64" },
      { name: "region", dataType: "String" },
      { name: "amount", dataType: "Double" },
      { name: "units", dataType: "Int64" },
      { name: "ordered", dataType: "DateTime" },
      { name: "paid", dataType: "Boolean" },
    ]);
    let rows = powerBi.rowsOf(dataset.id, "Orders");
    expect(rows).toHaveLength(ROWS);
    expect(rows[0]).toEqual({
      order_id: 1,
      region: "South",
      amount: 1.25,
      units: 1,
      ordered: "2026-03-02T00:00:00Z",
      paid: false,
    });
    expect(posted().map((r) => r.rows)).toEqual([10_000, 10_000, 5_000]);
    expect(first.push).toMatchObject({ batchesConfirmed: 3, rowsSent: ROWS });

    const second = await pushAndWait({ connectorId: id, mode: "append" });
    expect(second.job.status).toBe("completed");
    rows = powerBi.rowsOf(dataset.id, "Orders");
    expect(rows).toHaveLength(2 * ROWS);
    // one dataset of the name: the second push found the first's
    expect(powerBi.datasets().filter((d) => d.name === "Sales")).toHaveLength(1);
  });

  it("refuses a dataset whose table differs, listing every mismatch, before sending a row", async () => {
    const { saveConnector } = await services();
    powerBi.addDataset({
      name: "Legacy",
      mode: "push",
      tables: [
        {
          name: "Orders",
          columns: [
            { name: "order_id", dataType: "String" },
            { name: "region", dataType: "String" },
            { name: "amount", dataType: "Double" },
            { name: "units", dataType: "Int64" },
            { name: "ordered", dataType: "DateTime" },
            { name: "customer", dataType: "String" },
          ],
        },
      ],
    });
    const { id } = await saveConnector(connectorInput("Legacy"));
    const postsBefore = powerBi.requests.filter((r) => r.path.endsWith("/rows")).length;
    const { job, push } = await pushAndWait({ connectorId: id, mode: "replace" });
    expect(job.status).toBe("failed");
    expect(push.error).toBe(
      'the table "Orders" of "Legacy" does not match: column "order_id" is String in Power BI but Int64 (integer) here; column "paid" is not in the dataset\'s table; the dataset\'s column "customer" is not in the table. Nothing was sent.',
    );
    expect(powerBi.requests.filter((r) => r.path.endsWith("/rows")).length).toBe(postsBefore);
  });

  it("renews an expired token once in the middle of a push", async () => {
    // the connector's token is cached from the pushes before: now it expires
    powerBi.expireTokens();
    const tokens = () =>
      powerBi.requests.filter((r) => r.path.endsWith("/oauth2/v2.0/token")).length;
    const before = tokens();
    const { job } = await pushAndWait({ connectorId: salesId, mode: "replace" });
    expect(job.status).toBe("completed");
    expect(tokens()).toBe(before + 1);
    expect(powerBi.requests.filter((r) => r.status === 403)).toHaveLength(1);
  });

  it("refreshes an imported dataset and reports the service's own error when it fails", async () => {
    const { saveConnector } = await services();
    const { startRefresh } = await services();
    const importedId = powerBi.addDataset({ name: "Finance", mode: "import" });
    const { id } = await saveConnector(connectorInput("Finance"));
    const ok = await startRefresh({ connectorId: id, createdById: app.userId });
    expect((await waitForJobEnd(app, ok.jobId, 60_000)).status).toBe("completed");
    expect((await app.db.push.findUniqueOrThrow({ where: { jobId: ok.jobId } })).message).toBe(
      '"Finance" refreshed',
    );

    powerBi.setRefreshOutcome(importedId, {
      status: "Failed",
      message: "The credentials of the data source are missing.",
    });
    const failed = await startRefresh({ connectorId: id, createdById: app.userId });
    expect((await waitForJobEnd(app, failed.jobId, 60_000)).status).toBe("failed");
    expect(
      (await app.db.push.findUniqueOrThrow({ where: { jobId: failed.jobId } })).error,
    ).toContain("The credentials of the data source are missing.");
  });
});

describe("Looker", () => {
  let connectorId: string;

  beforeAll(async () => {
    const { saveConnector } = await services();
    ({ id: connectorId } = await saveConnector({
      name: "Looker",
      kind: "looker",
      baseUrl: looker.url,
      settings: {
        clientId: looker.clientId,
        datagroup: "thelook::orders_datagroup",
        derivedTable: "thelook/daily_orders",
      },
      secrets: { clientSecret: looker.clientSecret },
    }));
  });

  it("tests the connection and finds the datagroup", async () => {
    const { testConnector } = await services();
    expect(await testConnector(connectorId)).toEqual({
      isOk: true,
      message: `signed in; the instance has ${looker.datagroups().length} datagroups; the datagroup thelook::orders_datagroup exists`,
    });
  });

  it("runs a Look as a report, every row of it, not its saved display limit", async () => {
    const { saveReport } = await import("@/server/services/reports/reports");
    const { startReportRun } = await import("@/server/services/reports/start-report-run");
    const big = looker.looks.find((look) => look.title.startsWith("Customers"))!;
    const report = await saveReport({
      name: "Customers",
      connectorId,
      query: { target: "look", lookId: big.id },
    });
    const { jobId } = await startReportRun({ reportIds: [report.id], createdById: app.userId });
    expect((await waitForJobEnd(app, jobId, 60_000)).status).toBe("completed");
    const item = await app.db.reportRunItem.findFirstOrThrow({ where: { jobId } });
    expect(item.rows).toBe(5_200);
  });

  it("lists Looks by title for the report picker, each ready to be saved as a report", async () => {
    const { browseConnector } = await import("@/server/services/reports/report-picker");
    const all = await browseConnector({ connectorId, search: "", parent: null });
    expect(all.items.map((item) => item.name)).toEqual([
      "Customers (5,200 rows)",
      "Sales by Region",
    ]);
    const found = await browseConnector({ connectorId, search: "sales", parent: null });
    expect(found.items).toEqual([
      expect.objectContaining({
        type: "Look",
        name: "Sales by Region",
        query: { target: "look", lookId: 1 },
      }),
    ]);
    expect(found.total).toBe(1);
  });

  it("refreshes: resets and triggers the datagroup, and rebuilds the derived table", async () => {
    const { startRefresh } = await services();
    const { jobId } = await startRefresh({ connectorId, createdById: app.userId });
    expect((await waitForJobEnd(app, jobId, 60_000)).status).toBe("completed");
    const datagroup = looker
      .datagroups()
      .find((d) => `${d.model_name}::${d.name}` === "thelook::orders_datagroup")!;
    expect(datagroup.triggered_at).toBeGreaterThan(0);
    expect(datagroup.stale_before).toBeGreaterThan(0);
    expect(
      looker.derivedTables().find((t) => t.view === "daily_orders")!.builds,
    ).toBeGreaterThanOrEqual(1);
    expect((await app.db.push.findUniqueOrThrow({ where: { jobId } })).message).toBe(
      "datagroup thelook::orders_datagroup reset and triggered; derived table thelook/daily_orders rebuilt",
    );
  });

  it("refuses rows: Looker only refreshes", async () => {
    const { startPush } = await services();
    await expect(startPush({ connectorId, tableId, createdById: app.userId })).rejects.toThrow(
      /^Looker takes no rows: it can only be refreshed\./,
    );
  });
});

describe("pipelines", () => {
  it("run a Look, take two rows of its table through a transform, and replace a sheet with them", async () => {
    const { saveConnector } = await services();
    const { saveReport } = await import("@/server/services/reports/reports");
    const { createReportTable } = await import("@/server/services/tables/tables");
    const { createTransform } = await import("@/server/services/tables/transforms");
    const { savePipeline, startPipelineRun } =
      await import("@/server/services/pipelines/pipelines");
    const { getPipelineProgress } = await import("@/server/services/pipelines/pipeline-progress");
    const lookerId = (
      await saveConnector({
        name: "Looker for a pipeline",
        kind: "looker",
        baseUrl: looker.url,
        settings: { clientId: looker.clientId },
        secrets: { clientSecret: looker.clientSecret },
      })
    ).id;
    const spreadsheetId = google.addSpreadsheet({ title: "Pipeline sheet" });
    const sheetId = (
      await saveConnector({
        name: "Pipeline sheet",
        kind: "google-sheets",
        baseUrl: google.url,
        settings: { spreadsheet: spreadsheetId, sheetName: "Sales" },
        secrets: { serviceAccountKey: JSON.stringify(google.serviceAccountKey) },
      })
    ).id;
    const look = looker.looks.find((l) => l.title === "Sales by Region")!;
    const report = await saveReport({
      name: "Sales by region",
      connectorId: lookerId,
      query: { target: "look", lookId: look.id },
    });
    const table = await createReportTable({ reportId: report.id, createdById: app.userId });
    const transform = await createTransform({
      name: "Top two regions",
      tableId: table.id,
      steps: [{ kind: "limit", rows: 2 }],
    });
    const pipeline = await savePipeline({
      name: "Sales to the sheet",
      reportId: report.id,
      transformId: transform.id,
      connectorId: sheetId,
      action: "push",
      mode: "replace",
      createdById: app.userId,
    });
    const { jobId } = await startPipelineRun({ pipelineId: pipeline.id, createdById: app.userId });
    const job = await waitForJobEnd(app, jobId, 90_000);
    expect(job.status).toBe("completed");
    const progress = await getPipelineProgress(jobId);
    expect(progress!.stages.map((s) => [s.label, s.status])).toEqual([
      ["Run the report", "completed"],
      ["Push the rows (replace)", "completed"],
    ]);
    const values = google.values(spreadsheetId, "Sales");
    expect(values).toHaveLength(3);
    expect(values.slice(1).map((row) => row[1])).toEqual([10, 20]);
  });

  it("a pipeline whose report fails stops there, with the report's reason, and pushes nothing", async () => {
    const { saveConnector } = await services();
    const { saveReport } = await import("@/server/services/reports/reports");
    const { savePipeline, startPipelineRun } =
      await import("@/server/services/pipelines/pipelines");
    const { getPipelineProgress } = await import("@/server/services/pipelines/pipeline-progress");
    const lookerId = (
      await saveConnector({
        name: "Looker with a missing Look",
        kind: "looker",
        baseUrl: looker.url,
        settings: { clientId: looker.clientId, datagroup: "thelook::orders_datagroup" },
        secrets: { clientSecret: looker.clientSecret },
      })
    ).id;
    const report = await saveReport({
      name: "A Look that is gone",
      connectorId: lookerId,
      query: { target: "look", lookId: 999 },
    });
    const pipeline = await savePipeline({
      name: "Refresh after a gone Look",
      reportId: report.id,
      connectorId: lookerId,
      action: "refresh",
      createdById: app.userId,
    });
    const datagroupBefore = looker
      .datagroups()
      .find((d) => d.name === "orders_datagroup")!.triggered_at;
    const { jobId } = await startPipelineRun({ pipelineId: pipeline.id, createdById: app.userId });
    expect((await waitForJobEnd(app, jobId, 90_000)).status).toBe("failed");
    const progress = await getPipelineProgress(jobId);
    expect(progress!.stages.map((s) => s.status)).toEqual(["failed", "waiting"]);
    expect(progress!.stages[0]!.error).toContain("Looker did not find Look 999");
    expect(looker.datagroups().find((d) => d.name === "orders_datagroup")!.triggered_at).toBe(
      datagroupBefore,
    );
  });

  it("a schedule of a pipeline starts a run of it when its slot comes", async () => {
    const { saveConnector } = await services();
    const { savePipeline } = await import("@/server/services/pipelines/pipelines");
    const { saveSchedule, startScheduledRun } =
      await import("@/server/services/schedules/schedules");
    const { fireDueSchedules } = await import("@/server/schedules/fire-due-schedules");
    const lookerId = (
      await saveConnector({
        name: "Looker every 6 hours",
        kind: "looker",
        baseUrl: looker.url,
        settings: { clientId: looker.clientId, datagroup: "thelook::orders_datagroup" },
        secrets: { clientSecret: looker.clientSecret },
      })
    ).id;
    const pipeline = await savePipeline({
      name: "Refresh the orders cache",
      connectorId: lookerId,
      action: "refresh",
      createdById: app.userId,
    });
    const schedule = await saveSchedule(
      {
        name: "Every 6 hours",
        kind: "cron",
        cronExpression: "0 */6 * * *",
        timeZone: "UTC",
        pipelineId: pipeline.id,
      },
      app.userId,
    );
    const slot = schedule.nextRunAt!;
    const fired = await fireDueSchedules({
      now: new Date(slot.getTime() + 1_000),
      random: () => 0,
      startRun: startScheduledRun,
    });
    const mine = fired.find((f) => f.scheduleId === schedule.id)!;
    expect(mine.outcome).toBe("started");
    const job = await waitForJobEnd(app, mine.jobId!, 60_000);
    expect(job).toMatchObject({ kind: "pipeline", status: "completed", scheduleId: schedule.id });
  });
});

describe("the REST API", () => {
  async function api(method: string, path: string, token: string, json?: unknown) {
    const { dispatchRest } = await import("@/server/api/rest/dispatch");
    const headers = new Headers({ authorization: `Bearer ${token}` });
    if (json !== undefined) headers.set("content-type", "application/json");
    const request = new Request(`http://127.0.0.1/api/v1${path}`, {
      method,
      headers,
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    return dispatchRest(request, new URL(request.url).pathname.split("/").filter(Boolean).slice(2));
  }

  it("lists destinations without their secrets, tests one, and pushes to it within the token's scope", async () => {
    const { createApiToken } = await import("@/server/services/tokens/api-tokens");
    const read = (await createApiToken(app.userId, { name: "dest-reader", scope: "read" })).token;
    const run = (await createApiToken(app.userId, { name: "dest-runner", scope: "run" })).token;
    const { saveConnector } = await services();
    await saveConnector({
      name: "Sheet for scripts",
      kind: "google-sheets",
      baseUrl: google.url,
      settings: { spreadsheet: google.addSpreadsheet({ title: "Scripted" }), sheetName: "Data" },
      secrets: { serviceAccountKey: JSON.stringify(google.serviceAccountKey) },
    });
    const listed = await api("GET", "/destinations", read);
    expect(listed.status).toBe(200);
    const text = await listed.text();
    expect(text).not.toContain("PRIVATE KEY");
    expect(text).not.toContain(powerBi.clientSecret);
    const destinations = JSON.parse(text) as { id: string; name: string; kind: string }[];
    const sheet = destinations.find((d) => d.name === "Sheet for scripts")!;
    expect(sheet.kind).toBe("google-sheets");
    expect(destinations.every((d) => ["google-sheets", "powerbi", "looker"].includes(d.kind))).toBe(
      true,
    );

    // a test may pin an SFTP host key: it is the admin's, like editing the connector
    expect((await api("POST", `/destinations/${sheet.id}/test`, run)).status).toBe(403);
    const admin = (await createApiToken(app.userId, { name: "dest-admin", scope: "admin" })).token;
    const tested = await api("POST", `/destinations/${sheet.id}/test`, admin);
    expect(await tested.json()).toMatchObject({ isOk: true });

    const refused = await api("POST", "/pushes", read, { connectorId: sheet.id, tableId });
    expect(refused.status).toBe(403);
    const started = await api("POST", "/pushes", run, {
      connectorId: sheet.id,
      tableId,
      mode: "replace",
    });
    expect(started.status).toBe(202);
    const { jobId, statusUrl } = (await started.json()) as { jobId: string; statusUrl: string };
    expect(statusUrl).toBe(`/api/v1/pushes/${jobId}`);
    await waitForJobEnd(app, jobId, 120_000);
    const status = (await (await api("GET", `/pushes/${jobId}`, read)).json()) as {
      job: { status: string };
      push: { rowsSent: number; batchesConfirmed: number; batchesTotal: number };
    };
    expect(status.job.status).toBe("completed");
    expect(status.push).toMatchObject({
      rowsSent: ROWS,
      batchesConfirmed: status.push.batchesTotal,
    });
  });
});
