// URL reports that page through an HTTP API, end to end against the fake paged API over loopback:
// every pagination style gives the same 250 rows as one CSV with dotted columns, a rate-limited
// page is waited on and asked for once more (not the report from page 1), the page limit cuts a
// report short and says so, credentials stay with their origin when a next link leaves it, and a
// rate limit spaces the requests.
import fs from "node:fs";
import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PAGED_API_COLUMNS,
  PAGED_API_ROWS,
  pagedApiCells,
  startFakePagedApi,
  type FakePagedApi,
} from "@/test-support/fakes/paged-api";
import { readStoredBlob, startTestApp, waitFor } from "./support/test-app";

const TOKEN = "api-token-7";
/** the page (0-based) the API answers 429 with Retry-After: 1 the first time it is asked for */
const LIMITED_PAGE = 2;
/** how much earlier than asked a repeat or a paced request may reach the fake (clocks, loopback) */
const TOLERANCE_MS = 20;

let app: Awaited<ReturnType<typeof startTestApp>>;
let api: FakePagedApi;
/** another origin, with no token of its own: where `linked`'s next links point */
let elsewhere: FakePagedApi;
let linked: FakePagedApi;
let paced: FakePagedApi;
let connectorId: string;

const services = async () => ({
  connectors: await import("@/server/services/connectors/connectors"),
  reports: await import("@/server/services/reports/reports"),
  runs: await import("@/server/services/reports/start-report-run"),
  progress: await import("@/server/services/reports/report-run-progress"),
  preview: await import("@/server/services/reports/preview-report"),
});

beforeAll(async () => {
  elsewhere = await startFakePagedApi();
  [api, linked, paced] = await Promise.all([
    startFakePagedApi({ bearerToken: TOKEN, rateLimitedPage: LIMITED_PAGE }),
    startFakePagedApi({ bearerToken: TOKEN, linkBase: elsewhere.url }),
    startFakePagedApi({ bearerToken: TOKEN }),
  ]);
  app = await startTestApp({ REPORT_RETRY_BASE_SECONDS: "0.05" });
  const { startWorker } = await import("@/server/boot");
  await startWorker();
  connectorId = await connector("Paged API", api.url);
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([api, elsewhere, linked, paced].map((fake) => fake?.close()));
});

async function connector(name: string, baseUrl: string) {
  const { connectors } = await services();
  const saved = await connectors.saveConnector({
    name,
    kind: "http",
    baseUrl,
    settings: { authMethod: "bearer" },
    secrets: { token: TOKEN },
  });
  return saved.id;
}

async function report(name: string, query: Record<string, unknown>, on = connectorId) {
  const { reports } = await services();
  return (await reports.saveReport({ name, connectorId: on, query })).id;
}

async function runToEnd(reportIds: string[]) {
  const { runs, progress } = await services();
  const { jobId } = await runs.startReportRun({
    reportIds,
    createdById: app.userId,
    maxAttempts: 2,
  });
  return waitFor(async () => {
    const state = await progress.getReportRunProgress(jobId);
    return state?.job.finishedAt ? state : null;
  }, 60_000);
}

/** The stored CSV of a succeeded item, parsed with its header. */
async function storedTable(itemId: string) {
  const files = await app.db.reportRunFile.findMany({ where: { itemId } });
  expect(files).toHaveLength(1);
  const text = readStoredBlob(app.dataDir, files[0]!.sha256).toString("utf8");
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  expect(parsed.errors).toEqual([]);
  return { text, columns: parsed.meta.fields, rows: parsed.data, file: files[0]! };
}

function expectTheDataset(table: Awaited<ReturnType<typeof storedTable>>) {
  expect(table.columns).toEqual(PAGED_API_COLUMNS);
  expect(table.rows).toHaveLength(PAGED_API_ROWS);
  table.rows.forEach((row, i) => expect(row, `row ${i}`).toEqual(pagedApiCells(i)));
  expect(table.file.rows).toBe(PAGED_API_ROWS);
}

const STYLES = [
  {
    style: "page numbers from 1",
    path: "/v1/items",
    pages: 6, // five full pages of 50, then an empty one
    query: { pagination: "page", sizeParam: "per_page", pageSize: 50, rowsPath: "data.items" },
  },
  {
    style: "page numbers from 0",
    path: "/v0/items",
    pages: 6,
    query: {
      pagination: "page",
      firstPage: 0,
      sizeParam: "size",
      pageSize: 50,
      rowsPath: "data.items",
    },
  },
  {
    style: "offset and limit",
    path: "/v1/offset/items",
    pages: 6,
    query: { pagination: "offset", sizeParam: "limit", pageSize: 50, rowsPath: "data.items" },
  },
  {
    style: "a cursor",
    path: "/v1/cursor/items",
    pages: 5, // the fifth answer's next_cursor is null
    query: {
      pagination: "cursor",
      cursorPath: "meta.next_cursor",
      cursorParam: "cursor",
      sizeParam: "limit",
      pageSize: 50,
      rowsPath: "data.items",
    },
  },
  {
    style: "Link headers",
    path: "/v1/link/items",
    url: "/v1/link/items?per_page=50",
    pages: 5, // the fifth answer has no rel="next"
    query: { pagination: "link", rowsPath: "" },
  },
];

describe("paged URL reports", () => {
  it.each(STYLES)(
    "$style: all 250 rows in one CSV, the rate-limited page waited on and asked once more",
    async ({ style, path, url, pages, query }) => {
      const id = await report(`API by ${style}`, { url: url ?? path, format: "json", ...query });
      const run = await runToEnd([id]);
      const item = run.items[0]!;
      expect(item).toMatchObject({
        state: "succeeded",
        attempts: 1,
        rows: 250,
        isTruncated: false,
      });
      expectTheDataset(await storedTable(item.id));

      // each page asked for once, the rate-limited one twice, its repeat after the Retry-After
      for (let page = 0; page < pages; page++)
        expect(api.pageHits(path, page), `page ${page}`).toBe(page === LIMITED_PAGE ? 2 : 1);
      const requests = api.requests(path);
      expect(requests.map((r) => r.status)).toEqual(
        Array.from({ length: pages + 1 }, (_, i) => (i === LIMITED_PAGE ? 429 : 200)),
      );
      const [refused, repeated] = requests.filter((r) => r.page === LIMITED_PAGE);
      expect(repeated!.at - refused!.at).toBeGreaterThanOrEqual(1000 - TOLERANCE_MS);
      expect(requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
      // the attempt's log has every request, the refused one among them
      const [attempt] = await app.db.reportAttempt.findMany({
        where: { itemId: item.id },
        include: { requests: { orderBy: { position: "asc" } } },
      });
      expect(attempt!.requests.map((r) => r.httpStatus)).toEqual(requests.map((r) => r.status));
    },
  );

  it("CSV pages: one header, the pages' records after it", async () => {
    const id = await report("API as CSV pages", {
      url: "/v1/items.csv",
      format: "csv",
      pagination: "page",
      sizeParam: "per_page",
      pageSize: 50,
    });
    const item = (await runToEnd([id])).items[0]!;
    expect(item).toMatchObject({ state: "succeeded", rows: 250 });
    const table = await storedTable(item.id);
    expectTheDataset(table);
    expect(table.text.split(PAGED_API_COLUMNS.join(","))).toHaveLength(2);
    expect(api.pageHits("/v1/items.csv", LIMITED_PAGE)).toBe(2);
  });

  it("stops at the page limit, marks the report cut short and says why", async () => {
    api.reset();
    const id = await report("API, two pages at most", {
      url: "/v1/items",
      format: "json",
      rowsPath: "data.items",
      pagination: "page",
      sizeParam: "per_page",
      pageSize: 50,
      maxPages: 2,
    });
    const item = (await runToEnd([id])).items[0]!;
    expect(item).toMatchObject({ state: "succeeded", rows: 100, isTruncated: true });
    expect(item.note).toBe("stopped after 2 pages (the page limit); the API had more");
    expect(api.requests("/v1/items")).toHaveLength(2);
    const table = await storedTable(item.id);
    // the rows of the first two pages have no extra.flag yet: the column is not there
    expect(table.columns).toEqual(PAGED_API_COLUMNS.filter((c) => c !== "extra.flag"));
    expect(table.rows.at(-1)!.id).toBe("100");
  });

  it("a next link to another origin is followed without the connector's credentials", async () => {
    const id = await report(
      "API linking elsewhere",
      { url: "/v1/link/items?per_page=50", format: "json", pagination: "link" },
      await connector("Paged API (links elsewhere)", linked.url),
    );
    const item = (await runToEnd([id])).items[0]!;
    expect(item).toMatchObject({ state: "succeeded", rows: 250 });
    expectTheDataset(await storedTable(item.id));
    const own = linked.requests("/v1/link/items");
    expect(own).toHaveLength(1);
    expect(own[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const away = elsewhere.requests("/v1/link/items");
    expect(away.map((r) => r.page)).toEqual([1, 2, 3, 4]);
    for (const request of away) {
      expect(request.headers.authorization).toBeUndefined();
      expect(JSON.stringify(request.headers)).not.toContain(TOKEN);
    }
  });

  it("a rate limit spaces the page requests at least 1/rate apart", async () => {
    const rate = 5;
    const id = await report(
      "API, 5 requests a second",
      {
        url: "/v1/offset/items",
        format: "json",
        rowsPath: "data.items",
        pagination: "offset",
        sizeParam: "limit",
        pageSize: 50,
        requestsPerSecond: rate,
      },
      await connector("Paged API (paced)", paced.url),
    );
    const item = (await runToEnd([id])).items[0]!;
    expect(item).toMatchObject({ state: "succeeded", rows: 250 });
    const times = paced.requests("/v1/offset/items").map((r) => r.at);
    expect(times).toHaveLength(6);
    const gaps = times.slice(1).map((at, i) => at - times[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1000 / rate - TOLERANCE_MS);
  });

  it("says in plain words what is wrong with a rows path, a cursor path or a non-JSON answer", async () => {
    const ids = [
      await report("Wrong rows path", {
        url: "/v1/items",
        format: "json",
        rowsPath: "data.rows",
        pagination: "page",
        sizeParam: "per_page",
      }),
      await report("Wrong cursor path", {
        url: "/v1/cursor/items",
        format: "json",
        rowsPath: "data.items",
        pagination: "cursor",
        cursorPath: "meta.next",
      }),
      await report("CSV read as JSON", {
        url: "/v1/items.csv",
        format: "json",
        pagination: "link",
      }),
    ];
    const run = await runToEnd(ids);
    expect(run.items.map((i) => [i.state, i.attempts, i.error])).toEqual([
      [
        "failed",
        1,
        "`data.rows` is not a list in the answer of page 1; the answer has: data.items, meta",
      ],
      [
        "failed",
        1,
        "the next cursor `meta.next` is not in the answer of page 1; the answer has: data, meta.next_cursor",
      ],
      ["failed", 1, "the answer of page 1 is not JSON (it came as text/csv; charset=utf-8)"],
    ]);
    expect(fs.readdirSync(app.runtime.scratchDir).filter((n) => /\.part/.test(n))).toEqual([]);
  });

  it("refuses to save pages that cannot work, naming the field", async () => {
    const { reports } = await services();
    await expect(
      reports.saveReport({
        name: "No page size",
        connectorId,
        query: { url: "/v1/items", format: "json", pagination: "page" },
      }),
    ).rejects.toMatchObject({
      fieldErrors: { "query.sizeParam": expect.stringMatching(/^Name the parameter/) },
    });
  });

  it("a preview reads the first pages only", async () => {
    paced.reset();
    const { preview } = await services();
    const shown = await preview.previewReport({
      connectorId: await connector("Paged API (preview)", paced.url),
      query: {
        url: "/v1/items",
        format: "json",
        rowsPath: "data.items",
        pagination: "page",
        sizeParam: "per_page",
        pageSize: 10,
      },
    });
    expect(shown.columns).toEqual(PAGED_API_COLUMNS.slice(0, -1));
    expect(shown.rows).toHaveLength(20);
    expect(shown.hasMore).toBe(true);
    expect(paced.requests("/v1/items")).toHaveLength(3);
  });
});
