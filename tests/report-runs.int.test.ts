// Report runs end to end against the fake upstreams over loopback: connectors sign in as the
// real services expect, runs fetch, check, normalise and store files, and summaries tell the truth.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeCsvHost, WINDOWS_1252_CSV_AS_UTF8 } from "@/test-support/fakes/csv-host";
import {
  BULK_HEADER_BYTES,
  BULK_ROW_BYTES,
  startFakeMetabase,
} from "@/test-support/fakes/metabase";
import { bigTable, csvLine } from "@/test-support/fakes/report-data";
import { startFakeSalesforce } from "@/test-support/fakes/salesforce";
import { startFakeSuperset } from "@/test-support/fakes/superset";
import { readStoredBlob, startTestApp, waitFor } from "./support/test-app";
import { jobTitleFields } from "@/server/services/jobs/job-title";

let app: Awaited<ReturnType<typeof startTestApp>>;
let metabase: Awaited<ReturnType<typeof startFakeMetabase>>;
let superset: Awaited<ReturnType<typeof startFakeSuperset>>;
let salesforce: Awaited<ReturnType<typeof startFakeSalesforce>>;
let csvHost: Awaited<ReturnType<typeof startFakeCsvHost>>;
/** another origin, where csvHost's /exports/to-cdn.csv redirects */
let cdn: Awaited<ReturnType<typeof startFakeCsvHost>>;
let strictSuperset: Awaited<ReturnType<typeof startFakeSuperset>>;
let brokenCsrfSuperset: Awaited<ReturnType<typeof startFakeSuperset>>;
let oldSuperset: Awaited<ReturnType<typeof startFakeSuperset>>;
let quietSalesforce: Awaited<ReturnType<typeof startFakeSalesforce>>;
let limitedSalesforce: Awaited<ReturnType<typeof startFakeSalesforce>>;
const EXPORT_KEY = "export-key-1";
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
  cdn = await startFakeCsvHost();
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
    startFakeCsvHost({
      basicAuth: { user: "reader", password: "csv-pass-1" },
      secretHeader: { name: "x-export-key", value: EXPORT_KEY },
      cdnUrl: `${cdn.url}/exports/sales.csv`,
    }),
  ]);
  [strictSuperset, brokenCsrfSuperset, oldSuperset, quietSalesforce, limitedSalesforce] =
    await Promise.all([
      startFakeSuperset({ csrfOnChartData: true }),
      // every CSRF token is past its time limit the moment it is issued
      startFakeSuperset({ csrfOnChartData: true, csrfTtlMs: 0 }),
      startFakeSuperset({ hasMeEndpoint: false }),
      startFakeSalesforce({ chatterEnabled: false, exportRefused: true }),
      startFakeSalesforce({ syncRunsPerHour: 0 }),
    ]);
  app = await startTestApp({ REPORT_RETRY_BASE_SECONDS: "0.05" });
  const { startWorker } = await import("@/server/boot");
  await startWorker();
});

afterAll(async () => {
  await app?.stop();
  await Promise.all(
    [
      metabase,
      superset,
      salesforce,
      csvHost,
      cdn,
      strictSuperset,
      brokenCsrfSuperset,
      oldSuperset,
      quietSalesforce,
      limitedSalesforce,
    ].map((fake) => fake?.close()),
  );
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

/** The one stored file of a report run item. */
async function fileOf(itemId: string) {
  const files = await app.db.reportRunFile.findMany({ where: { itemId } });
  expect(files).toHaveLength(1);
  return files[0]!;
}

function storedText(sha256: string): string {
  return readStoredBlob(app.dataDir, sha256).toString("utf8");
}

type TSummaryAttempt = {
  attempt: number;
  outcome: string;
  startedAt: string;
  finishedAt: string;
  error: string | null;
  waitSeconds: number | null;
  isRetryAfter: boolean;
  requests: Array<{
    method: string;
    url: string;
    httpStatus: number | null;
    error: string | null;
    durationMs: number;
  }>;
};

/** A report's attempts as the run's JSON summary lists them. */
async function attemptLog(jobId: string, reportName: string): Promise<TSummaryAttempt[]> {
  const { files } = await services();
  const summary = JSON.parse((await files.buildRunSummary(jobId, "json")).body) as {
    reports: Array<{ report: string; attemptLog: TSummaryAttempt[] }>;
  };
  return summary.reports.find((r) => r.report === reportName)!.attemptLog;
}

function leftoverTempFiles(): string[] {
  return fs.readdirSync(app.runtime.scratchDir).filter((name) => /\.part/.test(name));
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
      await report("Warehouse hiccup", await byName("MB key"), { target: "card", cardId: 4 }),
      await report("Chart 5", await byName("Superset"), { target: "chart", chartId: 5 }),
      await report("Opportunities", await byName("SF client"), { reportId: "00O000000000001AAA" }),
      await report(
        "With BOM",
        csvConnector,
        { url: "/exports/bom.csv" },
        { fileNameTemplate: "bom_{date:yyyy}.csv" },
      ),
      // a name a spreadsheet would run as a formula: the file gets a safe name, not a guarded cell
      await report(
        "Protected",
        csvConnector,
        { url: "/exports/protected.csv?x=1" },
        { fileNameTemplate: "-{report}" },
      ),
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
      files: [expect.objectContaining({ fileName: `bom_${new Date().getUTCFullYear()}.csv` })],
    });
    expect(item("With BOM").note).toMatch(/byte-order mark removed/);
    // a 200 with a JSON error is a failure; a SQL error is the query's own, so it is not retried,
    // while trouble in the warehouse may pass and is retried up to the limit
    expect(item("Broken card")).toMatchObject({ state: "failed", attempts: 1 });
    expect(item("Broken card").error).toMatch(/Metabase reported an error instead of the CSV/);
    expect(item("Warehouse hiccup")).toMatchObject({ state: "failed", attempts: 2 });
    expect(item("Warehouse hiccup").error).toMatch(/connection to the data warehouse was reset/);
    expect(item("Protected")).toMatchObject({ state: "succeeded", rows: 3 });
    expect(item("Captive")).toMatchObject({ state: "failed", attempts: 1 });
    expect(item("Captive").error).toMatch(/HTML page instead of a CSV/);
    const attempts = await app.db.reportAttempt.findMany({
      where: { itemId: item("Warehouse hiccup").id },
    });
    expect(attempts.map((a) => a.outcome)).toEqual(["failed", "failed"]);

    const storedFiles = await app.db.reportRunFile.findMany({
      where: { item: { jobId: run.job.id } },
      include: { item: true },
    });
    const stored = (name: string) =>
      storedText(storedFiles.find((f) => f.item.reportName === name)!.sha256);
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
    expect(json.reports.find((r) => r.report === "Warehouse hiccup")?.attemptLog).toHaveLength(2);

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
    // the summary names every file as it is in the ZIP, a formula-looking one included
    expect(listing).toContain("_-Protected.csv");
    expect(summaryLines.find((l) => l.startsWith("Protected,"))).toContain(",_-Protected.csv,");
    expect(execFileSync("unzip", ["-t", zipPath], { encoding: "utf8" })).toMatch(
      /No errors detected/,
    );
    // refused downloads (the captive page, the JSON errors) leave no file behind
    expect(leftoverTempFiles()).toEqual([]);
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

  it("a 503 with Retry-After is the wait before the next attempt, and the summary says so", async () => {
    const files = (await app.db.connector.findUniqueOrThrow({ where: { name: "Files" } })).id;
    const reportId = await report("Flaky", files, { url: "/exports/flaky.csv" });
    const run = await runToEnd([reportId]);
    expect(run.items[0]).toMatchObject({ state: "succeeded", attempts: 2 });
    // one request per attempt: nothing is retried inside an attempt
    expect(csvHost.hits("/exports/flaky.csv")).toBe(2);
    const log = await attemptLog(run.job.id, "Flaky");
    expect(log.map((a) => [a.outcome, a.waitSeconds, a.isRetryAfter])).toEqual([
      ["failed", 1, true],
      ["succeeded", null, false],
    ]);
    expect(log[0]!.requests).toEqual([
      expect.objectContaining({
        method: "GET",
        httpStatus: 503,
        url: `${csvHost.url}/exports/flaky.csv`,
      }),
    ]);
    // the second attempt was not claimed before the wait the server asked for was over
    expect(Date.parse(log[1]!.startedAt) - Date.parse(log[0]!.finishedAt)).toBeGreaterThanOrEqual(
      1000,
    );
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

    const savedFrom = Date.now();
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
    const savedBy = Date.now();
    // the first run lands 1 to 5 minutes after it is switched on, whenever within the save that was
    expect(nextRunAt!.getTime()).toBeGreaterThanOrEqual(savedFrom + 60_000);
    expect(nextRunAt!.getTime()).toBeLessThanOrEqual(savedBy + 5 * 60_000);

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
  /**
   * A run a dead worker left "running" with its one report claimed under `itemLeaseUntil`, handed
   * to this process's worker as the queue hands on a dead worker's message; resolves once it ends.
   */
  async function runLeftBehind(title: string, itemLeaseUntil: Date) {
    const { REPORT_RUN_QUEUE } = await import("@/server/services/reports/run-report-job");
    const { progress } = await services();
    const reportId = (await app.db.report.findUniqueOrThrow({ where: { name: "Sales EU" } })).id;
    const job = await app.db.job.create({
      data: {
        kind: "report_run",
        ...jobTitleFields(title),
        status: "running",
        totalItems: 1,
        options: JSON.stringify({ maxConcurrency: 1, maxAttempts: 3 }),
        createdById: app.userId,
        leaseUntil: new Date(Date.now() - 60_000),
        reportItems: {
          create: [
            {
              reportId,
              reportName: "Sales EU",
              position: 0,
              state: "running",
              attempts: 1,
              leaseUntil: itemLeaseUntil,
            },
          ],
        },
      },
    });
    await app.runtime.queue.enqueue(REPORT_RUN_QUEUE, { jobId: job.id }, { key: job.id });
    return waitFor(async () => {
      const state = await progress.getReportRunProgress(job.id);
      return state?.job.finishedAt ? state : null;
    });
  }

  it("a run left behind by a dead worker finishes: its stale claim goes back in line", async () => {
    const done = await runLeftBehind("left behind", new Date(Date.now() - 60_000));
    expect(done.job.status).toBe("completed");
    // the dead worker's attempt still counts: this was the second
    expect(done.items[0]).toMatchObject({ state: "succeeded", attempts: 2, rows: 1 });
  });

  it("a run handed on while a dead worker's lease still holds waits for it to run out, then ends", async () => {
    const leaseEnd = new Date(Date.now() + 1_500);
    const done = await runLeftBehind("handed on", leaseEnd);
    expect(done.job.status).toBe("completed");
    expect(done.items[0]).toMatchObject({ state: "succeeded", attempts: 2, rows: 1 });
    expect(new Date(done.job.finishedAt!).getTime()).toBeGreaterThanOrEqual(leaseEnd.getTime());
  });
});

describe("one retry budget per report", () => {
  it("3 attempts against a server that answers 500 send 3 requests, each listed with its wait", async () => {
    const files = (await app.db.connector.findUniqueOrThrow({ where: { name: "Files" } })).id;
    const reportId = await report("Always 500", files, { url: "/exports/always-500.csv?x=1" });
    const run = await runToEnd([reportId], { maxAttempts: 3 });
    expect(run.items[0]).toMatchObject({ state: "failed", attempts: 3 });
    expect(run.items[0]!.requestsPerAttempt).toEqual([1, 1, 1]);
    expect(csvHost.hits("/exports/always-500.csv")).toBe(3);
    const log = await attemptLog(run.job.id, "Always 500");
    expect(log.map((a) => a.requests.map((r) => [r.method, r.httpStatus]))).toEqual([
      [["GET", 500]],
      [["GET", 500]],
      [["GET", 500]],
    ]);
    // a query value may be a secret: the summary names the parameter only
    expect(log[0]!.requests[0]!.url).toBe(`${csvHost.url}/exports/always-500.csv?x=***`);
    expect(log.map((a) => a.waitSeconds === null)).toEqual([false, false, true]);
    expect(log.map((a) => a.isRetryAfter)).toEqual([false, false, false]);
  });

  it("does not retry what waiting cannot heal: a Salesforce hourly limit, a wait longer than a run's", async () => {
    const limited = await connector({
      name: "SF limited",
      kind: "salesforce",
      baseUrl: limitedSalesforce.url,
      settings: { authMethod: "client_credentials", clientId: "sf-client-id" },
      secrets: { clientSecret: "sf-client-secret" },
    });
    const files = (await app.db.connector.findUniqueOrThrow({ where: { name: "Files" } })).id;
    const ids = [
      await report("Over the hourly limit", limited, { reportId: "00O000000000002AAA" }),
      await report("Come back in two hours", files, { url: "/exports/rate-limited-long.csv" }),
    ];
    const run = await runToEnd(ids, { maxAttempts: 4 });
    const [overLimit, later] = run.items;
    expect(overLimit).toMatchObject({ state: "failed", attempts: 1 });
    expect(overLimit!.error).toMatch(/^Salesforce.s limit is used up, try again later/);
    expect(later).toMatchObject({ state: "failed", attempts: 1 });
    expect(later!.error).toMatch(/asks to wait 120 min before trying again/);
  });
});

describe("credentials", () => {
  it("a secret header goes to the connector's origin only: not after a redirect, not to another absolute URL", async () => {
    const keyed = await connector({
      name: "Files (key)",
      kind: "http",
      baseUrl: csvHost.url,
      settings: { authMethod: "header", headerName: "X-Export-Key" },
      secrets: { headerValue: EXPORT_KEY },
    });
    const ids = [
      await report("Own origin", keyed, { url: "/exports/protected.csv" }),
      await report("Via CDN", keyed, { url: "/exports/to-cdn.csv" }),
      await report("Elsewhere", keyed, { url: `${cdn.url}/exports/bom.csv` }),
    ];
    const run = await runToEnd(ids);
    expect(run.items.map((i) => i.state)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(csvHost.lastHeaders("/exports/protected.csv")?.["x-export-key"]).toBe(EXPORT_KEY);
    for (const path of ["/exports/sales.csv", "/exports/bom.csv"]) {
      expect(cdn.hits(path)).toBe(1);
      expect(JSON.stringify(cdn.lastHeaders(path))).not.toContain(EXPORT_KEY);
    }
  });

  it("an HTTP connector with credentials and no base URL refuses to send them, and says why", async () => {
    const { connectors } = await services();
    const nowhere = await connector({
      name: "Files (no base)",
      kind: "http",
      baseUrl: "",
      settings: { authMethod: "bearer", testUrl: `${csvHost.url}/exports/sales.csv` },
      secrets: { token: "t0k-nowhere" },
    });
    const reportId = await report("No base", nowhere, { url: `${csvHost.url}/exports/sales.csv` });
    const item = (await runToEnd([reportId], { maxAttempts: 3 })).items[0]!;
    expect(item).toMatchObject({ state: "failed", attempts: 1 });
    expect(item.error).toMatch(/credentials but no base URL/);
    expect(await connectors.testConnector(nowhere)).toEqual({
      isOk: false,
      message: expect.stringMatching(/credentials but no base URL/),
    });
  });
});

describe("what a run checks", () => {
  it("stores a 60 MB report: reports have their own size limit, not the images' 50 MB", async () => {
    const mbKey = (await app.db.connector.findUniqueOrThrow({ where: { name: "MB key" } })).id;
    const reportId = await report("All events", mbKey, { target: "card", cardId: 6 });
    const item = (await runToEnd([reportId])).items[0]!;
    expect(item).toMatchObject({
      state: "succeeded",
      rows: 3_000_000,
      bytes: BULK_HEADER_BYTES + 3_000_000 * BULK_ROW_BYTES,
    });
    expect(item.bytes!).toBeGreaterThan(50 * 1024 * 1024);
  });

  it("decodes gzip and br bodies, and refuses a compression it cannot decode", async () => {
    const files = (await app.db.connector.findUniqueOrThrow({ where: { name: "Files" } })).id;
    const ids = [
      await report("Gzipped", files, { url: "/exports/gzip.csv" }),
      await report("Brotli", files, { url: "/exports/br.csv" }),
      await report("Zstandard", files, { url: "/exports/zstd.csv" }),
    ];
    const run = await runToEnd(ids, { maxAttempts: 3 });
    const expected = 'region,amount\r\nEU,10\r\n"US, East",20\r\n"APAC ""North""",30.5\r\n';
    for (const item of run.items.slice(0, 2)) {
      expect(item).toMatchObject({ state: "succeeded", rows: 3 });
      expect(storedText((await fileOf(item.id)).sha256)).toBe(expected);
    }
    expect(run.items[2]).toMatchObject({ state: "failed", attempts: 1 });
    expect(run.items[2]!.error).toMatch(
      /compressed its answer as "zstd", which DataHaul cannot decode/,
    );
  });

  it("stores every CSV as UTF-8: by the declared charset (0x80-0x9F as Windows-1252) or a BOM", async () => {
    const files = (await app.db.connector.findUniqueOrThrow({ where: { name: "Files" } })).id;
    const ids = [
      await report("Latin-1", files, { url: "/exports/windows-1252.csv?charset=iso-8859-1" }),
      await report("UTF-16", files, { url: "/exports/utf16.csv" }),
    ];
    const run = await runToEnd(ids);
    const [latin, utf16] = run.items;
    expect(latin).toMatchObject({ state: "succeeded", rows: 2 });
    expect(latin!.note).toMatch(/converted from Windows-1252 \(declared iso-8859-1\) to UTF-8/);
    const stored = async (id: string) => storedText((await fileOf(id)).sha256);
    expect(await stored(latin!.id)).toBe(WINDOWS_1252_CSV_AS_UTF8);
    expect(utf16).toMatchObject({ state: "succeeded", rows: 3 });
    expect(utf16!.note).toMatch(/converted from UTF-16LE \(by its byte-order mark\)/);
    expect(await stored(utf16!.id)).toMatch(/^region,amount\r\nEU,10\r\n/);
  });

  it("a JSON error over 64 KB in a 200 answer is a failure, not a CSV of 0 rows", async () => {
    const files = (await app.db.connector.findUniqueOrThrow({ where: { name: "Files" } })).id;
    const mbKey = (await app.db.connector.findUniqueOrThrow({ where: { name: "MB key" } })).id;
    const ids = [
      await report("Long JSON error", files, { url: "/exports/json-error.csv" }),
      await report("Long Metabase trace", mbKey, { target: "card", cardId: 5 }),
    ];
    const run = await runToEnd(ids);
    expect(run.items[0]).toMatchObject({ state: "failed", attempts: 1 });
    expect(run.items[0]!.error).toMatch(
      /reported an error instead of the CSV: Export failed: the query timed out/,
    );
    expect(run.items[1]).toMatchObject({ state: "failed", attempts: 1 });
    expect(run.items[1]!.error).toMatch(/missing_table/);
    expect(leftoverTempFiles()).toEqual([]);
  });

  it("checks and counts a JSON report as a stream, and refuses one cut off", async () => {
    const files = (await app.db.connector.findUniqueOrThrow({ where: { name: "Files" } })).id;
    const ids = [
      await report(
        "Big JSON",
        files,
        { url: "/exports/big.json", format: "json" },
        { fileNameTemplate: "big.json" },
      ),
      await report("Cut JSON", files, { url: "/exports/broken.json", format: "json" }),
    ];
    const run = await runToEnd(ids);
    expect(run.items[0]).toMatchObject({ state: "succeeded", rows: 50_000 });
    const row = await fileOf(run.items[0]!.id);
    const stored = readStoredBlob(app.dataDir, row.sha256);
    expect(stored.length).toBe(row.bytes);
    expect((JSON.parse(stored.toString("utf8")) as unknown[]).length).toBe(50_000);
    expect(run.items[1]).toMatchObject({ state: "failed", error: "the answer is not valid JSON" });
  });
});

describe("connector behaviour against real-service answers", () => {
  it("Superset: a payload of several queries (its ZIP answer) becomes one file per query", async () => {
    const supersetId = (await app.db.connector.findUniqueOrThrow({ where: { name: "Superset" } }))
      .id;
    const twoQueries = await report(
      "Table with totals",
      supersetId,
      {
        target: "payload",
        payload: {
          datasource: { id: 7, type: "table" },
          queries: [
            { columns: ["id"], row_limit: 4 },
            { columns: ["id"], row_limit: 2 },
          ],
        },
      },
      { fileNameTemplate: "{report}.csv" },
    );
    const run = await runToEnd([twoQueries]);
    const [item] = run.items;
    expect(item).toMatchObject({ state: "succeeded", rows: 6 });
    expect(item!.note).toContain("Superset answered 2 queries: one file per query");
    expect(item!.files.map((f) => [f.fileName, f.rows])).toEqual([
      ["Table with totals_query_1.csv", 4],
      ["Table with totals_query_2.csv", 2],
    ]);
    const storedFiles = await app.db.reportRunFile.findMany({
      where: { itemId: item!.id },
      orderBy: { position: "asc" },
    });
    for (const [index, file] of storedFiles.entries()) {
      const lines = storedText(file.sha256).trimEnd().split("\r\n");
      expect(lines[0]).toBe(csvLine(bigTable(1).columns, ""));
      expect(lines).toHaveLength([4, 2][index]! + 1);
    }

    const { files } = await services();
    // a row per file in the CSV summary; one entry with both files in the JSON one
    const summary = (await files.buildRunSummary(run.job.id, "csv")).body.trim().split("\r\n");
    expect(summary.slice(1).map((line) => line.split(",").slice(0, 7).join(","))).toEqual([
      expect.stringMatching(
        /^Table with totals,succeeded,1,4,\d+,[\d.]+,Table with totals_query_1\.csv$/,
      ),
      expect.stringMatching(
        /^Table with totals,succeeded,1,2,\d+,[\d.]+,Table with totals_query_2\.csv$/,
      ),
    ]);
    const json = JSON.parse((await files.buildRunSummary(run.job.id, "json")).body) as {
      reports: Array<{ file: string | null; rows: number; files: { file: string }[] }>;
    };
    expect(json.reports[0]).toMatchObject({ file: null, rows: 6 });
    expect(json.reports[0]!.files.map((f) => f.file)).toEqual([
      "Table with totals_query_1.csv",
      "Table with totals_query_2.csv",
    ]);
    const archive = await files.buildRunArchive(run.job.id);
    const zipPath = path.join(app.dataDir, "two-queries.zip");
    await new Promise<void>((resolve, reject) => {
      const out = fs.createWriteStream(zipPath);
      archive.open().pipe(out).on("finish", resolve).on("error", reject);
    });
    expect(
      execFileSync("unzip", ["-Z1", zipPath], { encoding: "utf8" }).trim().split("\n"),
    ).toEqual([
      "Table with totals_query_1.csv",
      "Table with totals_query_2.csv",
      "summary.csv",
      "summary.json",
    ]);
    const single = await files.openRunFile({ jobId: run.job.id, fileId: item!.files[1]!.id });
    expect(single.fileName).toBe("Table with totals_query_2.csv");
    expect(leftoverTempFiles()).toEqual([]);
  });

  it("Superset: a CSRF token past its hour is renewed once; a second refusal is an error, not a loop", async () => {
    const payload = {
      target: "payload",
      payload: {
        datasource: { id: 7, type: "table" },
        queries: [{ columns: ["id"], row_limit: 5 }],
      },
    };
    const strict = await connector({
      name: "Superset strict",
      kind: "superset",
      baseUrl: strictSuperset.url,
      settings: { username: "svc" },
      secrets: { password: "superset-pass-1" },
    });
    const broken = await connector({
      name: "Superset broken CSRF",
      kind: "superset",
      baseUrl: brokenCsrfSuperset.url,
      settings: { username: "svc" },
      secrets: { password: "superset-pass-1" },
    });
    const strictReport = await report("Strict chart", strict, payload);
    expect((await runToEnd([strictReport])).items[0]).toMatchObject({
      state: "succeeded",
      rows: 5,
    });
    const logins = strictSuperset.logins();
    strictSuperset.expireCsrfTokens();
    const renewed = await runToEnd([strictReport]);
    expect(renewed.items[0]).toMatchObject({ state: "succeeded", attempts: 1, rows: 5 });
    expect(strictSuperset.logins()).toBe(logins + 1);
    const requests = (await attemptLog(renewed.job.id, "Strict chart"))[0]!.requests;
    expect(requests.map((r) => [r.method, new URL(r.url).pathname, r.httpStatus])).toEqual([
      ["POST", "/api/v1/chart/data", 400],
      ["POST", "/api/v1/security/login", 200],
      ["GET", "/api/v1/security/csrf_token/", 200],
      ["POST", "/api/v1/chart/data", 200],
    ]);

    const brokenReport = await report("Broken CSRF chart", broken, payload);
    const failed = (await runToEnd([brokenReport], { maxAttempts: 3 })).items[0]!;
    expect(failed).toMatchObject({ state: "failed", attempts: 1 });
    expect(failed.error).toMatch(
      /signed in again, but the new session was refused too \(400 Bad Request: The CSRF token has expired\.\); not retrying/,
    );
    expect(brokenCsrfSuperset.logins()).toBe(2);
  });

  it("test connection reports the sign-in when the identity call is missing; an HTTP login page fails", async () => {
    const { connectors } = await services();
    const old = await connector({
      name: "Old Superset",
      kind: "superset",
      baseUrl: oldSuperset.url,
      settings: { username: "svc" },
      secrets: { password: "superset-pass-1" },
    });
    const quiet = await connector({
      name: "SF no Chatter",
      kind: "salesforce",
      baseUrl: quietSalesforce.url,
      settings: { authMethod: "client_credentials", clientId: "sf-client-id" },
      secrets: { clientSecret: "sf-client-secret" },
    });
    const captive = await connector({
      name: "Captive files",
      kind: "http",
      baseUrl: csvHost.url,
      settings: { testUrl: "/exports/login.csv" },
    });
    expect(await connectors.testConnector(old)).toEqual({
      isOk: true,
      message:
        "signed in as svc (the user's details could not be read: /api/v1/me/ answered 404 Not Found)",
    });
    expect(await connectors.testConnector(quiet)).toEqual({
      isOk: true,
      message: expect.stringMatching(/^signed in: Salesforce accepted the sign-in/),
    });
    expect(await connectors.testConnector(captive)).toEqual({
      isOk: false,
      message: expect.stringMatching(/answered with an HTML page instead of a file/),
    });
  });

  it("Metabase's reason for a 400 is shown, not only '400 Bad Request'", async () => {
    const mbKey = (await app.db.connector.findUniqueOrThrow({ where: { name: "MB key" } })).id;
    const reportId = await report("Bad parameter", mbKey, {
      target: "dashcard",
      dashboardId: 10,
      dashcardId: 20,
      cardId: 1,
      parameters: [{ id: "nope", value: "EU" }],
    });
    const item = (await runToEnd([reportId], { maxAttempts: 3 })).items[0]!;
    expect(item).toMatchObject({ state: "failed", attempts: 1 });
    expect(item.error).toBe(
      'Metabase refused card 1: parameters: Dashboard 10 does not have a parameter with ID "nope".',
    );
  });

  it("Salesforce writes the same CSV through the Reports API as through the export, and says why the export was not used", async () => {
    const viaExport = await connector({
      name: "SF export",
      kind: "salesforce",
      baseUrl: salesforce.url,
      settings: { authMethod: "client_credentials", clientId: "sf-client-id" },
      secrets: { clientSecret: "sf-client-secret" },
    });
    const viaRest = await connector({
      name: "SF REST",
      kind: "salesforce",
      baseUrl: salesforce.url,
      settings: { authMethod: "client_credentials", clientId: "sf-client-id", fullExport: false },
      secrets: { clientSecret: "sf-client-secret" },
    });
    const refused = await connector({
      name: "SF export refused",
      kind: "salesforce",
      baseUrl: quietSalesforce.url,
      settings: { authMethod: "client_credentials", clientId: "sf-client-id" },
      secrets: { clientSecret: "sf-client-secret" },
    });
    const query = { reportId: "00O000000000003AAA" };
    const ids = [
      await report("Typed export", viaExport, query),
      await report("Typed REST", viaRest, query),
      await report("Typed refused", refused, query),
    ];
    const run = await runToEnd(ids);
    const [full, rest, fallback] = run.items;
    expect(full).toMatchObject({ state: "succeeded", rows: 2500, isTruncated: false });
    expect(rest).toMatchObject({ state: "succeeded", rows: 2000, isTruncated: true });
    const text = async (id: string) => storedText((await fileOf(id)).sha256);
    const exportLines = (await text(full!.id)).split("\r\n");
    const restLines = (await text(rest!.id)).split("\r\n");
    expect(restLines.slice(0, 2001)).toEqual(exportLines.slice(0, 2001));
    expect(exportLines[1]).toBe('"Deal 0, Prospecting","","0","","1/15/2024","1/15/2024 12:00 AM"');
    expect(exportLines[2]).toBe(
      '"Deal 1, Qualification","79.69","12.5","13","1/16/2024","1/15/2024 1:01 AM"',
    );
    expect(rest!.note).toMatch(/and the report export is switched off for this connector/);
    expect(fallback).toMatchObject({ state: "succeeded", rows: 2000, isTruncated: true });
    expect(fallback!.note).toMatch(/the report export answered with Salesforce's login page/);
  });
});

describe("a cancel that lands while a report's answer is on its way", () => {
  it("logs the attempt as cancelled, not succeeded, and stores no file for it", async () => {
    const http = await import("node:http");
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let requests = 0;
    // answers only once released, so the cancel lands while the request is in flight
    const server = http.createServer((_request, response) => {
      requests++;
      void held.then(() => {
        response.writeHead(200, { "content-type": "text/csv" });
        response.end("a,b\r\n1,2\r\n");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as import("node:net").AddressInfo;
      const url = `http://127.0.0.1:${port}/held.csv`;
      const plain = await connector({
        name: "Held files",
        kind: "http",
        baseUrl: "",
        settings: { authMethod: "none" },
        secrets: {},
      });
      const reportId = await report("Held", plain, { url });
      const { runs } = await services();
      const { jobId } = await runs.startReportRun({
        reportIds: [reportId],
        createdById: app.userId,
      });
      await waitFor(() => requests > 0 || null, 10_000);
      // the cancel another process wrote: its item is cancelled before its stop reaches this worker
      const item = await app.db.reportRunItem.findFirstOrThrow({ where: { jobId } });
      await app.db.reportRunItem.update({
        where: { id: item.id },
        data: { state: "cancelled", error: "cancelled", leaseUntil: null },
      });
      release();
      const attempt = await waitFor(
        () => app.db.reportAttempt.findFirst({ where: { itemId: item.id } }),
        10_000,
      );
      expect(attempt).toMatchObject({ outcome: "cancelled", error: "cancelled" });
      expect(
        await app.db.reportRunItem.findUniqueOrThrow({ where: { id: item.id } }),
      ).toMatchObject({ state: "cancelled" });
      expect(await app.db.reportRunFile.count({ where: { itemId: item.id } })).toBe(0);
    } finally {
      release();
      server.close();
    }
  });
});
