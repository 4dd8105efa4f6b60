// Report runs end to end against the fake upstreams over loopback: connectors sign in as the
// real services expect, runs fetch, check, normalise and store files, and summaries tell the truth.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeCsvHost } from "@/e2e/fakes/csv-host";
import { startFakeMetabase } from "@/e2e/fakes/metabase";
import { bigTable, csvLine } from "@/e2e/fakes/report-data";
import { startFakeSalesforce } from "@/e2e/fakes/salesforce";
import { startFakeSuperset } from "@/e2e/fakes/superset";
import { readStoredBlob, startTestApp, waitFor } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let metabase: Awaited<ReturnType<typeof startFakeMetabase>>;
let superset: Awaited<ReturnType<typeof startFakeSuperset>>;
let salesforce: Awaited<ReturnType<typeof startFakeSalesforce>>;
let csvHost: Awaited<ReturnType<typeof startFakeCsvHost>>;
const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const privateKeyPem = keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString();

const services = async () => ({
  connectors: await import("@/server/services/connectors/connectors"),
  reports: await import("@/server/services/reports/reports"),
  runs: await import("@/server/services/reports/start-report-run"),
  files: await import("@/server/services/reports/run-files"),
  progress: await import("@/server/services/reports/report-run-progress"),
});

beforeAll(async () => {
  [metabase, superset, salesforce, csvHost] = await Promise.all([
    startFakeMetabase(),
    startFakeSuperset(),
    startFakeSalesforce({
      jwt: {
        consumerKey: "jwt-consumer",
        username: "ann@acme.example",
        publicKeyPem: keys.publicKey.export({ type: "spki", format: "pem" }).toString(),
      },
    }),
    startFakeCsvHost({ basicAuth: { user: "reader", password: "csv-pass-1" } }),
  ]);
  app = await startTestApp({ REPORT_RETRY_BASE_SECONDS: "0.05" });
  const { startWorker } = await import("@/server/boot");
  await startWorker();
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([metabase, superset, salesforce, csvHost].map((fake) => fake?.close()));
});

async function connector(
  input: Parameters<Awaited<ReturnType<typeof services>>["connectors"]["saveConnector"]>[0],
) {
  const { connectors } = await services();
  return (await connectors.saveConnector(input)).id;
}

async function report(
  name: string,
  connectorId: string,
  query: unknown,
  extra: { fileNameTemplate?: string; format?: "csv" | "json" } = {},
) {
  const { reports } = await services();
  return (await reports.saveReport({ name, connectorId, query, ...extra })).id;
}

async function runToEnd(
  reportIds: string[],
  options: { maxConcurrency?: number; maxAttempts?: number } = {},
) {
  const { runs, progress } = await services();
  const { jobId } = await runs.startReportRun({ reportIds, createdById: app.userId, ...options });
  return waitFor(async () => {
    const state = await progress.getReportRunProgress(jobId);
    return state?.job.finishedAt ? state : null;
  }, 60_000);
}

function storedText(sha256: string): string {
  return readStoredBlob(app.dataDir, sha256).toString("utf8");
}

describe("connectors", () => {
  it("test each kind in plain words, and keep secrets sealed and out of every view", async () => {
    const { connectors } = await services();
    const ids = {
      metabaseKey: await connector({
        name: "MB key",
        kind: "metabase",
        baseUrl: metabase.url,
        settings: { authMethod: "api_key" },
        secrets: { apiKey: "mb_test_key" },
      }),
      metabaseSession: await connector({
        name: "MB session",
        kind: "metabase",
        baseUrl: metabase.url,
        settings: { authMethod: "session", email: "analyst@example.com" },
        secrets: { password: "metabase-pass-1" },
      }),
      metabaseWrong: await connector({
        name: "MB wrong",
        kind: "metabase",
        baseUrl: metabase.url,
        settings: { authMethod: "session", email: "analyst@example.com" },
        secrets: { password: "not-it" },
      }),
      superset: await connector({
        name: "Superset",
        kind: "superset",
        baseUrl: superset.url,
        settings: { username: "svc" },
        secrets: { password: "superset-pass-1" },
      }),
      sfClient: await connector({
        name: "SF client",
        kind: "salesforce",
        baseUrl: salesforce.url,
        settings: { authMethod: "client_credentials", clientId: "sf-client-id" },
        secrets: { clientSecret: "sf-client-secret" },
      }),
      sfJwt: await connector({
        name: "SF jwt",
        kind: "salesforce",
        baseUrl: salesforce.url,
        settings: { authMethod: "jwt", clientId: "jwt-consumer", username: "ann@acme.example" },
        secrets: { privateKeyPem },
      }),
      sfBadClient: await connector({
        name: "SF bad",
        kind: "salesforce",
        baseUrl: salesforce.url,
        settings: { authMethod: "client_credentials", clientId: "nobody" },
        secrets: { clientSecret: "x" },
      }),
      unreachable: await connector({
        name: "Down",
        kind: "superset",
        baseUrl: "http://127.0.0.1:9",
        settings: { username: "svc" },
        secrets: { password: "superset-pass-1" },
      }),
    };
    const results = Object.fromEntries(
      await Promise.all(
        Object.entries(ids).map(
          async ([key, id]) => [key, await connectors.testConnector(id)] as const,
        ),
      ),
    );
    expect(results.metabaseKey).toEqual({
      isOk: true,
      message: expect.stringMatching(/^API key accepted/),
    });
    expect(results.metabaseSession).toEqual({
      isOk: true,
      message: "signed in as analyst@example.com",
    });
    expect(results.metabaseWrong).toEqual({
      isOk: false,
      message: "wrong email or password (Metabase refused the sign-in)",
    });
    expect(results.superset).toEqual({ isOk: true, message: "signed in as svc" });
    expect(results.sfClient?.isOk).toBe(true);
    expect(results.sfJwt?.message).toMatch(/^signed in as /);
    expect(results.sfJwt?.isOk).toBe(true);
    expect(results.sfBadClient).toEqual({
      isOk: false,
      message: expect.stringMatching(/unknown consumer key/),
    });
    expect(results.unreachable).toEqual({
      isOk: false,
      message: expect.stringMatching(/^host not reachable/),
    });

    const rows = await app.db.connector.findMany();
    const stored = JSON.stringify(rows);
    for (const secret of [
      "mb_test_key",
      "metabase-pass-1",
      "superset-pass-1",
      "sf-client-secret",
      "BEGIN PRIVATE KEY",
    ]) {
      expect(stored).not.toContain(secret);
      expect(JSON.stringify(await connectors.listConnectors())).not.toContain(secret);
    }
    const views = await connectors.listConnectors();
    expect(views.find((v) => v.name === "MB session")?.secretsSet).toEqual({
      apiKey: false,
      password: true,
    });

    // an edit without the secret keeps it; clearing removes it
    await connectors.saveConnector({
      id: ids.metabaseSession,
      name: "MB session",
      kind: "metabase",
      baseUrl: metabase.url,
      settings: { authMethod: "session", email: "analyst@example.com" },
    });
    expect((await connectors.testConnector(ids.metabaseSession)).isOk).toBe(true);
    for (const id of [ids.metabaseWrong, ids.sfBadClient, ids.unreachable])
      await connectors.deleteConnector(id);
  });
});

describe("report runs", () => {
  it("fetches several reports at once, checks and normalises them, and records every attempt", async () => {
    const byName = async (name: string) =>
      (await app.db.connector.findUniqueOrThrow({ where: { name } })).id;
    const csvConnector = await connector({
      name: "Files",
      kind: "http",
      baseUrl: csvHost.url,
      settings: { authMethod: "basic", username: "reader" },
      secrets: { password: "csv-pass-1" },
    });
    const ids = [
      await report("Sales EU", await byName("MB key"), {
        target: "card",
        cardId: 1,
        parameters: [
          { type: "category", target: ["variable", ["template-tag", "region"]], value: "EU" },
        ],
      }),
      await report("Customers", await byName("MB session"), { target: "card", cardId: 2 }),
      await report("Broken card", await byName("MB key"), { target: "card", cardId: 3 }),
      await report("Chart 5", await byName("Superset"), { target: "chart", chartId: 5 }),
      await report("Opportunities", await byName("SF client"), { reportId: "00O000000000001AAA" }),
      await report(
        "With BOM",
        csvConnector,
        { url: "/exports/bom.csv" },
        { fileNameTemplate: "bom_{date:yyyy}.csv" },
      ),
      await report("Protected", csvConnector, { url: "/exports/protected.csv?x=1" }),
      await report("Captive", csvConnector, { url: "/exports/login.csv" }),
    ];
    const run = await runToEnd(ids, { maxConcurrency: 3, maxAttempts: 2 });
    const item = (name: string) => run.items.find((i) => i.reportName === name)!;

    expect(run.job.status).toBe("completed_with_errors");
    expect(item("Sales EU")).toMatchObject({ state: "succeeded", rows: 1, attempts: 1 });
    expect(metabase.lastExportBody()).toBeTruthy();
    expect(item("Customers")).toMatchObject({
      state: "succeeded",
      rows: 100_000,
      isTruncated: false,
    });
    expect(item("Chart 5")).toMatchObject({ state: "succeeded", rows: 1000 });
    // the Reports API stops at 2,000 rows; the full export has them all, footer removed
    expect(item("Opportunities")).toMatchObject({
      state: "succeeded",
      rows: 2500,
      isTruncated: false,
    });
    expect(item("Opportunities").note).toMatch(/fetched in full/);
    expect(item("With BOM")).toMatchObject({
      state: "succeeded",
      fileName: `bom_${new Date().getUTCFullYear()}.csv`,
    });
    expect(item("With BOM").note).toMatch(/byte-order mark removed/);
    // a 200 with a JSON error is a failure, retried up to the limit, every attempt recorded
    expect(item("Broken card")).toMatchObject({ state: "failed", attempts: 2 });
    expect(item("Broken card").error).toMatch(/Metabase reported an error instead of the CSV/);
    expect(item("Protected")).toMatchObject({ state: "succeeded", rows: 3 });
    expect(item("Captive")).toMatchObject({ state: "failed", attempts: 1 });
    expect(item("Captive").error).toMatch(/HTML page instead of a CSV/);
    const attempts = await app.db.reportAttempt.findMany({
      where: { itemId: item("Broken card").id },
    });
    expect(attempts.map((a) => a.outcome)).toEqual(["failed", "failed"]);

    const rows = await app.db.reportRunItem.findMany({ where: { jobId: run.job.id } });
    const stored = (name: string) => storedText(rows.find((r) => r.reportName === name)!.sha256!);
    expect(stored("Sales EU")).toBe("region,amount\r\nEU,10\r\n");
    const customers = stored("Customers");
    expect(customers.startsWith("id,name,amount,created_at\r\n")).toBe(true);
    expect(customers.endsWith(`${csvLine(bigTable(100_000).row(99_999), "\r\n")}`)).toBe(true);
    expect(stored("With BOM").charCodeAt(0)).not.toBe(0xfeff);
    expect(stored("With BOM")).not.toMatch(/[^\r]\n/);
    const opportunities = stored("Opportunities");
    expect(opportunities).not.toMatch(/Copyright|Generated By/);
    expect(opportunities.trimEnd().split("\r\n")).toHaveLength(2501);

    const { files } = await services();
    const summary = await files.buildRunSummary(run.job.id, "csv");
    const summaryLines = summary.body.trim().split("\r\n");
    expect(summaryLines[0]).toBe(
      "report,status,attempts,rows,bytes,duration_s,file,truncated,note,error",
    );
    expect(summaryLines).toHaveLength(ids.length + 1);
    expect(summaryLines.find((l) => l.startsWith("Customers,succeeded,1,100000,"))).toBeTruthy();
    const json = JSON.parse((await files.buildRunSummary(run.job.id, "json")).body) as {
      reports: Array<{ report: string; attemptLog: unknown[] }>;
    };
    expect(json.reports.find((r) => r.report === "Broken card")?.attemptLog).toHaveLength(2);

    // the run ZIP: every file plus both summaries, the exact length announced, unzip accepts it
    const archive = await files.buildRunArchive(run.job.id);
    const zipPath = path.join(app.dataDir, "run.zip");
    await new Promise<void>((resolve, reject) => {
      const out = fs.createWriteStream(zipPath);
      archive.open().pipe(out).on("finish", resolve).on("error", reject);
    });
    expect(fs.statSync(zipPath).size).toBe(archive.size);
    const listing = execFileSync("unzip", ["-Z1", zipPath], { encoding: "utf8" })
      .trim()
      .split("\n")
      .sort();
    expect(listing).toHaveLength(6 + 2);
    expect(listing).toContain("summary.csv");
    expect(execFileSync("unzip", ["-t", zipPath], { encoding: "utf8" })).toMatch(
      /No errors detected/,
    );
  });

  it("renews an expired session once and goes on; a truncated Reports API answer is flagged", async () => {
    const byName = async (name: string) =>
      (await app.db.connector.findUniqueOrThrow({ where: { name } })).id;
    const sfNoExport = await connector({
      name: "SF rest only",
      kind: "salesforce",
      baseUrl: salesforce.url,
      settings: { authMethod: "client_credentials", clientId: "sf-client-id", fullExport: false },
      secrets: { clientSecret: "sf-client-secret" },
    });
    const ids = [
      await report("Customers again", await byName("MB session"), {
        target: "card",
        cardId: 1,
        parameters: [],
      }),
      await report("Chart payload", await byName("Superset"), {
        target: "payload",
        payload: {
          datasource: { id: 7, type: "table" },
          queries: [{ columns: ["id"], row_limit: 10 }],
        },
      }),
      await report("Opps REST", sfNoExport, { reportId: "00O000000000001AAA" }),
    ];
    await runToEnd(ids);
    const logins = {
      metabase: metabase.logins(),
      superset: superset.logins(),
      salesforce: salesforce.tokenRequests(),
    };
    metabase.expireSessions();
    superset.expireAccessTokens();
    salesforce.expireSessions();
    const run = await runToEnd(ids);
    expect(run.items.map((i) => i.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(run.items.map((i) => i.attempts)).toEqual([1, 1, 1]);
    expect(metabase.logins()).toBe(logins.metabase + 1);
    expect(superset.logins()).toBe(logins.superset + 1);
    expect(salesforce.tokenRequests()).toBe(logins.salesforce + 1);
    const opps = run.items.find((i) => i.reportName === "Opps REST")!;
    expect(opps).toMatchObject({ rows: 2000, isTruncated: true });
    expect(opps.note).toMatch(/truncated/);
  });
});

describe("edge cases", () => {
  it("a pasted Salesforce session id works until it expires, then says so once instead of looping", async () => {
    const { connectors } = await services();
    const id = await connector({
      name: "SF pasted",
      kind: "salesforce",
      baseUrl: salesforce.url,
      settings: { authMethod: "session_id" },
      secrets: { sessionId: salesforce.issueSession() },
    });
    expect((await connectors.testConnector(id)).isOk).toBe(true);
    const reportId = await report("Opps pasted", id, { reportId: "00O000000000002AAA" });
    expect((await runToEnd([reportId])).items[0]).toMatchObject({ state: "succeeded", rows: 3 });
    salesforce.expireSessions();
    const before = salesforce.tokenRequests();
    const failed = (await runToEnd([reportId], { maxAttempts: 3 })).items[0]!;
    expect(failed).toMatchObject({ state: "failed", attempts: 1 });
    expect(failed.error).toMatch(/paste a new one/);
    expect(salesforce.tokenRequests()).toBe(before);
  });

  it("a 503 with Retry-After is waited out inside one attempt", async () => {
    const files = (await app.db.connector.findUniqueOrThrow({ where: { name: "Files" } })).id;
    const reportId = await report("Flaky", files, { url: "/exports/flaky.csv" });
    const started = Date.now();
    const item = (await runToEnd([reportId])).items[0]!;
    expect(item).toMatchObject({ state: "succeeded", attempts: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(csvHost.hits("/exports/flaky.csv")).toBe(2);
  });
});

describe("request.json", () => {
  it("imports every entry or none, and exports what it imported", async () => {
    const { reports } = await services();
    const superId = (await app.db.connector.findUniqueOrThrow({ where: { name: "Superset" } })).id;
    const good = {
      "Imported chart": {
        request_url: "/api/v1/chart/data",
        payload: { datasource: { id: 7, type: "table" }, force: false },
      },
      "Imported card": {
        request_url: `${metabase.url}/api/card/1/query/csv`,
        payload: { format_rows: "true" },
      },
    };
    const bad = {
      ...good,
      Mystery: { request_url: "https://elsewhere.example/x.csv", payload: {} },
    };
    const before = await app.db.report.count();
    const refused = await reports.importRequestJson({
      text: JSON.stringify(bad),
      defaultConnectorId: superId,
    });
    expect(refused.imported).toBe(0);
    expect(refused.problems).toEqual([
      { report: "Mystery", problem: expect.stringMatching(/no connector has the address/) },
    ]);
    // several Metabase connectors (one per account) share the fake's address: none is guessed
    const metabaseConnectors = await app.db.connector.findMany({ where: { kind: "metabase" } });
    expect(metabaseConnectors.length).toBeGreaterThan(1);
    expect(refused.choices).toEqual([
      {
        address: metabaseConnectors[0]!.baseUrl,
        reports: ["Imported card"],
        connectors: expect.arrayContaining(
          metabaseConnectors.map((c) => ({ id: c.id, name: c.name })),
        ),
      },
    ]);
    expect(await app.db.report.count()).toBe(before);
    await expect(reports.importRequestJson({ text: "{nope" })).rejects.toThrow(/not valid JSON/);

    const stillUndecided = await reports.importRequestJson({
      text: JSON.stringify(good),
      defaultConnectorId: superId,
    });
    expect(stillUndecided).toMatchObject({ imported: 0, problems: [] });
    expect(stillUndecided.choices.map((c) => c.reports)).toEqual([["Imported card"]]);

    const chosen = metabaseConnectors.find((c) => c.name === "MB key")!;
    const imported = await reports.importRequestJson({
      text: JSON.stringify(good),
      defaultConnectorId: superId,
      connectorForAddress: { [chosen.baseUrl]: chosen.id },
    });
    expect(imported).toEqual({ imported: 2, problems: [], choices: [] });
    const card = await app.db.report.findUniqueOrThrow({
      where: { name: "Imported card" },
      include: { connector: true },
    });
    expect(card.connector.id).toBe(chosen.id);
    expect(JSON.parse(card.query)).toMatchObject({ target: "card", cardId: 1, formatRows: true });

    const exported = await reports.exportRequestJson();
    expect(exported["Imported chart"]).toEqual({
      request_url: `${superset.url}/api/v1/chart/data`,
      payload: good["Imported chart"].payload,
    });
    expect(exported["Imported card"]?.request_url).toBe(`${metabase.url}/api/card/1/query/csv`);
    expect(JSON.stringify(exported)).not.toMatch(/mb_test_key|metabase-pass-1|superset-pass-1/);
  });

  it("compares addresses as URLs: host case and a trailing slash do not matter, a longer path does", async () => {
    const { reports } = await services();
    const port = new URL(metabase.url).port;
    const byName = await connector({
      name: "MB by name",
      kind: "metabase",
      baseUrl: `http://LocalHost:${port}/metabase/`,
      settings: { authMethod: "api_key" },
      secrets: { apiKey: "mb_test_key" },
    });
    const entries = {
      "By name": {
        request_url: `http://localhost:${port}/metabase/api/card/1/query/csv`,
        payload: {},
      },
      // the same letters and one more: another path, not one under the connector's address
      "Other path": {
        request_url: `http://localhost:${port}/metabase2/api/card/1/query/csv`,
        payload: {},
      },
    };
    const refused = await reports.importRequestJson({ text: JSON.stringify(entries) });
    expect(refused).toMatchObject({ imported: 0, choices: [] });
    expect(refused.problems).toEqual([
      {
        report: "Other path",
        problem: expect.stringContaining(`no connector has the address http://localhost:${port}`),
      },
    ]);
    const imported = await reports.importRequestJson({
      text: JSON.stringify({ "By name": entries["By name"] }),
    });
    expect(imported).toEqual({ imported: 1, problems: [], choices: [] });
    const report = await app.db.report.findUniqueOrThrow({ where: { name: "By name" } });
    expect(report.connectorId).toBe(byName);
    expect(JSON.parse(report.query)).toMatchObject({ target: "card", cardId: 1 });
    await reports.deleteReports([report.id]);
  });
});

describe("schedules", () => {
  it("a due slot starts a scheduled run; a failed one shows up for the dashboard", async () => {
    const {
      saveSchedule,
      listSchedules,
      listFailedScheduledRuns,
      previewSchedule,
      startScheduledRun,
    } = await import("@/server/services/schedules/schedules");
    const { fireDueSchedules } = await import("@/server/schedules/fire-due-schedules");
    const broken = (await app.db.report.findUniqueOrThrow({ where: { name: "Broken card" } })).id;

    const preview = previewSchedule(
      { kind: "cron", cronExpression: "0 6 * * 1-5", timeZone: "Europe/Berlin" },
      new Date("2026-11-20T12:00:00Z"),
    );
    expect(preview.ok && preview.runs.map((r) => r.at.toISOString())).toEqual([
      "2026-11-23T05:00:00.000Z",
      "2026-11-24T05:00:00.000Z",
      "2026-11-25T05:00:00.000Z",
      "2026-11-26T05:00:00.000Z",
      "2026-11-27T05:00:00.000Z",
    ]);
    expect(
      previewSchedule({ kind: "cron", cronExpression: "61 * * * *", timeZone: "UTC" }),
    ).toEqual({ ok: false, message: expect.stringMatching(/minute 61/) });
    await expect(
      saveSchedule(
        {
          name: "Bad",
          kind: "interval",
          intervalMinutes: 10,
          laterJitterMinMinutes: 9,
          laterJitterMaxMinutes: 2,
          reportIds: [broken],
        },
        app.userId,
      ),
    ).rejects.toThrow();

    const { id, nextRunAt } = await saveSchedule(
      {
        name: "Nightly broken",
        kind: "interval",
        intervalMinutes: 60,
        reportIds: [broken],
        maxAttempts: 1,
      },
      app.userId,
    );
    // the first run lands 1 to 5 minutes after it is switched on
    expect(nextRunAt!.getTime() - Date.now()).toBeGreaterThanOrEqual(60_000 - 1_000);
    expect(nextRunAt!.getTime() - Date.now()).toBeLessThanOrEqual(5 * 60_000 + 1_000);

    const fired = await fireDueSchedules({
      now: new Date(nextRunAt!.getTime() + 1_000),
      random: () => 0.5,
      startRun: startScheduledRun,
    });
    expect(fired).toEqual([
      { scheduleId: id, slot: nextRunAt, outcome: "started", jobId: expect.any(String) },
    ]);
    const jobId = fired[0]!.jobId!;
    await waitFor(
      async () => (await app.db.job.findUniqueOrThrow({ where: { id: jobId } })).finishedAt,
      30_000,
    );
    const job = await app.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({
      status: "failed",
      scheduleId: id,
      title: "Nightly broken (scheduled)",
    });

    const [view] = (await listSchedules()).filter((s) => s.id === id);
    expect(view?.lastJob?.id).toBe(jobId);
    expect(view?.nextRunAt!.getTime()).toBeGreaterThan(nextRunAt!.getTime() + 60 * 60_000);
    expect((await listFailedScheduledRuns()).map((r) => r.jobId)).toContain(jobId);
  });
});

describe("recovery", () => {
  it("a run left behind by a dead worker finishes: its stale claim goes back in line", async () => {
    const { REPORT_RUN_QUEUE } = await import("@/server/services/reports/run-report-job");
    const { progress } = await services();
    const reportId = (await app.db.report.findUniqueOrThrow({ where: { name: "Sales EU" } })).id;
    const past = new Date(Date.now() - 60_000);
    const job = await app.db.job.create({
      data: {
        kind: "report_run",
        title: "left behind",
        status: "running",
        totalItems: 1,
        options: JSON.stringify({ maxConcurrency: 1, maxAttempts: 3 }),
        createdById: app.userId,
        leaseUntil: past,
        reportItems: {
          create: [
            {
              reportId,
              reportName: "Sales EU",
              position: 0,
              state: "running",
              attempts: 1,
              leaseUntil: past,
            },
          ],
        },
      },
    });
    await app.runtime.queue.enqueue(REPORT_RUN_QUEUE, { jobId: job.id }, { key: job.id });
    const done = await waitFor(async () => {
      const state = await progress.getReportRunProgress(job.id);
      return state?.job.finishedAt ? state : null;
    });
    expect(done.job.status).toBe("completed");
    // the dead worker's attempt still counts: this was the second
    expect(done.items[0]).toMatchObject({ state: "succeeded", attempts: 2, rows: 1 });
  });
});
