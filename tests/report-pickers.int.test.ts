// Pickers and preview against the fake Metabase, Superset, Salesforce and CSV host, over HTTP on
// loopback: what each connector lists, the parameters it describes, and a preview of an unsaved
// query through the run's own fetch, checks and normalising.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeCsvHost } from "@/test-support/fakes/csv-host";
import { startFakeMetabase } from "@/test-support/fakes/metabase";
import { startFakeSalesforce } from "@/test-support/fakes/salesforce";
import { startFakeSuperset } from "@/test-support/fakes/superset";
import { startTestApp, waitFor } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let metabase: Awaited<ReturnType<typeof startFakeMetabase>>;
let superset: Awaited<ReturnType<typeof startFakeSuperset>>;
let salesforce: Awaited<ReturnType<typeof startFakeSalesforce>>;
let csvHost: Awaited<ReturnType<typeof startFakeCsvHost>>;
const ids: Record<"metabase" | "superset" | "salesforce" | "http", string> = {
  metabase: "",
  superset: "",
  salesforce: "",
  http: "",
};

const services = async () => ({
  connectors: await import("@/server/services/connectors/connectors"),
  picker: await import("@/server/services/reports/report-picker"),
  preview: await import("@/server/services/reports/preview-report"),
});

const REGION = ["variable", ["template-tag", "region"]];

beforeAll(async () => {
  [metabase, superset, salesforce, csvHost] = await Promise.all([
    startFakeMetabase(),
    startFakeSuperset(),
    startFakeSalesforce(),
    startFakeCsvHost(),
  ]);
  app = await startTestApp();
  const { connectors } = await services();
  // kind, address, settings, secrets
  const inputs: [keyof typeof ids, string, Record<string, unknown>, Record<string, string>][] = [
    ["metabase", metabase.url, { authMethod: "api_key" }, { apiKey: "mb_test_key" }],
    ["superset", superset.url, { username: "svc" }, { password: "superset-pass-1" }],
    [
      "salesforce",
      salesforce.url,
      { authMethod: "client_credentials", clientId: "sf-client-id" },
      { clientSecret: "sf-client-secret" },
    ],
    ["http", csvHost.url, {}, {}],
  ];
  for (const [kind, baseUrl, settings, secrets] of inputs) {
    const input = { name: `${kind} connector`, kind, baseUrl, settings, secrets };
    ids[kind] = (await connectors.saveConnector(input)).id;
  }
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([metabase, superset, salesforce, csvHost].map((fake) => fake?.close()));
});

async function browse(kind: keyof typeof ids, search = "", parent: string | null = null) {
  const { picker } = await services();
  return picker.browseConnector({ connectorId: ids[kind], search, parent });
}

async function preview(kind: keyof typeof ids, query: unknown) {
  const { preview } = await services();
  return preview.previewReport({ connectorId: ids[kind], query });
}

function leftoverTempFiles(): string[] {
  return fs.readdirSync(app.runtime.scratchDir);
}

describe("connector capabilities", () => {
  it("tells the form which kinds list what they reach; a plain URL has nothing to list", async () => {
    const { connectors } = await services();
    const views = await connectors.listConnectors();
    const byKind = Object.fromEntries(views.map((view) => [view.kind, view]));
    expect(byKind.metabase).toMatchObject({ canBrowse: true, canDescribeParameters: true });
    expect(byKind.superset).toMatchObject({ canBrowse: true, canDescribeParameters: false });
    expect(byKind.salesforce).toMatchObject({ canBrowse: true, canDescribeParameters: false });
    expect(byKind.http).toMatchObject({ canBrowse: false, canDescribeParameters: false });
    await expect(browse("http")).rejects.toThrow("has nothing to list");
  });
});

describe("Metabase", () => {
  it("lists questions and dashboards by name, a page at a time, with the total", async () => {
    const all = await browse("metabase");
    // 66 questions and one dashboard, shown 25 at a time
    expect(all.total).toBe(67);
    expect(all.items).toHaveLength(25);
    expect(all.limit).toBe(25);

    const kpis = await browse("metabase", "kpi 0");
    expect(kpis.total).toBe(9);
    expect(kpis.items.map((item) => item.name)).toContain("Weekly KPI 07");
    expect(kpis.items[0]).toMatchObject({
      type: "question",
      detail: "KPIs",
      query: { target: "card", cardId: expect.any(Number) },
    });

    // search text is a parameter value, never part of the URL's structure
    expect((await browse("metabase", "50% & 'x'=\"y\"")).total).toBe(0);
  });

  it("opens a dashboard to its cards, leaving out text cards", async () => {
    const found = await browse("metabase", "regional");
    expect(found.items).toEqual([
      expect.objectContaining({
        key: "dashboard:10",
        type: "dashboard",
        hasChildren: true,
        query: null,
      }),
    ]);
    const cards = await browse("metabase", "", "dashboard:10");
    expect(cards).toEqual({
      total: 1,
      limit: 25,
      items: [
        expect.objectContaining({
          name: "Sales by region",
          query: { target: "dashcard", dashboardId: 10, dashcardId: 20, cardId: 1 },
        }),
      ],
    });
    await expect(browse("metabase", "", "dashboard:404")).rejects.toThrow(
      "dashboard 404 was not found (404)",
    );
  });

  it("describes a card's template tags and a dashboard card's filters as the export takes them", async () => {
    const { picker } = await services();
    const card = await picker.describeReportParameters({
      connectorId: ids.metabase,
      query: { target: "card", cardId: 1 },
    });
    expect(card).toEqual([
      {
        name: "region",
        displayName: "Region",
        type: "category",
        valueType: "text",
        isRequired: false,
        defaultValue: null,
        template: { type: "category", target: REGION },
      },
    ]);
    const dashcard = await picker.describeReportParameters({
      connectorId: ids.metabase,
      query: { target: "dashcard", dashboardId: 10, dashcardId: 20, cardId: 1 },
    });
    expect(dashcard).toEqual([
      expect.objectContaining({
        name: "region",
        displayName: "Region",
        template: { type: "string/=", id: "region_param" },
      }),
    ]);
    expect(
      await picker.describeReportParameters({
        connectorId: ids.metabase,
        query: { target: "card", cardId: 100 },
      }),
    ).toEqual([]);
    await expect(
      picker.describeReportParameters({
        connectorId: ids.metabase,
        query: { target: "card", cardId: 999 },
      }),
    ).rejects.toThrow("card 999 was not found (404)");
  });

  it("previews a card with a parameter built from its description", async () => {
    const shown = await preview("metabase", {
      target: "card",
      cardId: 1,
      parameters: [{ type: "category", target: REGION, value: "EU" }],
    });
    expect(shown).toMatchObject({ columns: ["region", "amount"], rows: [["EU", "10"]] });
    expect(shown.hasMore).toBe(false);
    expect(metabase.lastExportBody()).toMatchObject({ format_rows: false });

    const onDashboard = await preview("metabase", {
      target: "dashcard",
      dashboardId: 10,
      dashcardId: 20,
      cardId: 1,
      parameters: [{ id: "region_param", type: "string/=", value: ["US, East"] }],
    });
    expect(onDashboard.rows).toEqual([["US, East", "20"]]);
  });

  it("reads only the first rows of a 60 MB export and drops the connection", async () => {
    const before = metabase.abandonedExports();
    const started = Date.now();
    const shown = await preview("metabase", { target: "card", cardId: 6 });
    expect(shown.columns).toEqual(["id", "region", "amount"]);
    expect(shown.rows).toHaveLength(20);
    expect(shown.rows[19]).toEqual(["0000019", "EU", "1234.50"]);
    expect(shown.hasMore).toBe(true);
    await waitFor(() => metabase.abandonedExports() === before + 1, 10_000);
    // reading 60 MB takes seconds here; 21 lines do not
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(leftoverTempFiles()).toEqual([]);
  });

  it("says what went wrong: an error streamed with status 200, an invalid query", async () => {
    await expect(preview("metabase", { target: "card", cardId: 5 })).rejects.toThrow(
      'The preview failed: Metabase reported an error instead of the CSV: ERROR: relation "missing_table" does not exist',
    );
    const { AppError } = await import("@/server/errors");
    const invalid = await preview("metabase", { target: "card", cardId: -1 }).catch((e) => e);
    expect(invalid).toBeInstanceOf(AppError);
    expect((invalid as InstanceType<typeof AppError>).fieldErrors).toHaveProperty("query.cardId");
    expect(leftoverTempFiles()).toEqual([]);
  });
});

describe("Superset", () => {
  it("lists saved charts by name through the rison-filtered chart list", async () => {
    const all = await browse("superset");
    expect(all.total).toBe(42);
    expect(all.items).toHaveLength(25);
    const weeks = await browse("superset", "week 0");
    expect(weeks.total).toBe(9);
    expect(weeks.items[0]).toEqual({
      key: "chart:100",
      type: "chart",
      name: "Revenue by week 01",
      detail: "echarts_timeseries_line · customers",
      query: { target: "chart", chartId: 100 },
    });
    // rison's own characters in the search text are quoted, not read as syntax
    expect((await browse("superset", "it's!(x)")).total).toBe(0);
  });

  it("previews a saved chart, or says why it cannot", async () => {
    const shown = await preview("superset", { target: "chart", chartId: 5 });
    expect(shown.columns).toEqual(["id", "name", "amount", "created_at"]);
    expect(shown.rows).toHaveLength(20);
    expect(shown.hasMore).toBe(true);
    await expect(preview("superset", { target: "chart", chartId: 6 })).rejects.toThrow(
      "Chart has no query context saved",
    );
  });
});

describe("Salesforce", () => {
  it("finds reports by name with SOQL, escaping quotes, backslashes and LIKE wildcards", async () => {
    const all = await browse("salesforce");
    expect(all.total).toBe(5);
    const bob = await browse("salesforce", "bob's pipeline \\");
    expect(bob.items).toEqual([
      {
        key: "report:00O000000000004EAA",
        type: "report",
        name: "Bob's pipeline \\ Q1",
        detail: "Sales Reports · tabular",
        query: { reportId: "00O000000000004EAA" },
      },
    ]);
    // % and _ match themselves, not any text
    expect((await browse("salesforce", "100%")).items.map((i) => i.name)).toEqual([
      "100% Club_2026",
    ]);
    expect((await browse("salesforce", "_")).total).toBe(1);
    expect((await browse("salesforce", 'no "such" report\n')).total).toBe(0);
  });

  it("previews a report from the Reports API's first rows, without the full export", async () => {
    const shown = await preview("salesforce", { reportId: "00O000000000001" });
    expect(shown.columns).toEqual(["id", "name", "amount", "created_at"]);
    expect(shown.rows).toHaveLength(20);
    expect(shown.hasMore).toBe(true);
    expect(shown.notes).toEqual([]);
    await expect(preview("salesforce", { reportId: "00O0000000000XX" })).rejects.toThrow(
      "The preview failed: report 00O0000000000XX: NOT_FOUND",
    );
  });
});

describe("CSV and JSON at a URL", () => {
  it("previews a CSV and a JSON list, and refuses a login page and a JSON too big to read whole", async () => {
    const csv = await preview("http", { url: "/exports/sales.csv" });
    expect(csv).toMatchObject({
      columns: ["region", "amount"],
      rows: [
        ["EU", "10"],
        ["US, East", "20"],
        ['APAC "North"', "30.5"],
      ],
      hasMore: false,
    });
    const json = await preview("http", { url: "/exports/big.json", format: "json" });
    expect(json.columns).toEqual(["id", "name", "amount", "created_at"]);
    expect(json.rows).toHaveLength(20);
    expect(json.hasMore).toBe(true);
    await expect(preview("http", { url: "/exports/login.csv" })).rejects.toThrow(
      "answered with an HTML page instead of a CSV",
    );
    await expect(
      preview("http", { url: "/exports/huge.json?mb=20", format: "json" }),
    ).rejects.toThrow("a preview reads the first rows of a CSV, but a JSON document");
    expect(leftoverTempFiles()).toEqual([]);
  });
});
