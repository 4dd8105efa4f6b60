import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Papa from "papaparse";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { DownloadError, type Clock, type TCredentials } from "@/server/downloads";
import { createCancelledError } from "@/server/downloads/errors";
import { ConnectorError } from "../connector-error";
import type { ConnectorHttp } from "../connector-http";
import type { TConnectorContext } from "../types";
import { fetchPagedReport, inWords } from "./fetch-pages";
import { ZHttpFileQuery } from "./schemas";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-pages-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let tempDir: string;
beforeEach(() => {
  tempDir = fs.mkdtempSync(path.join(root, "t-"));
});

type TAnswer = { headers?: Record<string, string>; body: string | Buffer } | DownloadError;
/** a Link header, or none */
const linkHeader = (value: string | null): Record<string, string> => (value ? { link: value } : {});
type TSent = { url: string; credentials?: TCredentials; headers?: Record<string, string> };

/** ConnectorHttp answering from `answer`, as the engine would: failures thrown as DownloadError. */
function fakeHttp(answer: (url: string, n: number) => TAnswer, maxFileBytes = 1e9) {
  const sent: TSent[] = [];
  const respond = (url: string, request: Omit<TSent, "url"> = {}) => {
    sent.push({ url, credentials: request.credentials, headers: request.headers });
    const result = answer(url, sent.length);
    if (result instanceof DownloadError) throw result;
    return result;
  };
  const http: ConnectorHttp = {
    maxFileBytes,
    async requestText(url, request) {
      const result = respond(url, request);
      return { status: 200, headers: result.headers ?? {}, body: result.body.toString() };
    },
    requestJson() {
      throw new Error("not used");
    },
    async downloadToFile(url, request) {
      const result = respond(url, request);
      const file = path.join(tempDir, `report-${randomUUID()}.part`);
      const body = Buffer.from(result.body);
      fs.writeFileSync(file, body);
      return {
        path: file,
        bytes: body.length,
        contentType: result.headers?.["content-type"] ?? null,
        headers: result.headers ?? {},
        firstBytes: body.subarray(0, 64),
        attempts: 1,
        isCutShort: false,
      };
    },
    withOptions() {
      return http;
    },
  };
  return { http, sent, urls: () => sent.map((request) => request.url) };
}

function fakeClock() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const clock: Clock & { sleeps: number[] } = {
    sleeps,
    now: () => now,
    async sleep(ms, signal) {
      if (signal?.aborted) throw createCancelledError(signal.reason);
      sleeps.push(ms);
      now += ms;
    },
  };
  return clock;
}

const ROWS = Array.from({ length: 5 }, (_, i) => ({
  id: i + 1,
  customer: { name: `C${i + 1}`, address: { city: i % 2 ? "Bern" : "Basel" } },
  tags: [i],
  ...(i === 4 ? { late: "yes" } : {}),
}));

/** page (0-based) of ROWS by size, as {data: {items}} */
const pageBody = (page: number, size: number) =>
  JSON.stringify({ data: { items: ROWS.slice(page * size, page * size + size) } });

const rateLimited = (retryAfterMs?: number, status = 429) =>
  new DownloadError("http", `${status}`, { httpStatus: status, retryable: true, retryAfterMs });

async function run(
  query: Record<string, unknown>,
  http: ConnectorHttp,
  more: { clock?: Clock; signal?: AbortSignal; rowLimit?: number; credentials?: TCredentials } = {},
) {
  const context: TConnectorContext = {
    http,
    sessions: {} as TConnectorContext["sessions"],
    tempDir,
    signal: more.signal,
    rowLimit: more.rowLimit,
  };
  const fetched = await fetchPagedReport(
    {
      url: "https://api.example.com/v1/items",
      query: ZHttpFileQuery.parse(query),
      headers: { "x-team": "ops" },
      credentials: more.credentials,
    },
    context,
    { clock: more.clock ?? fakeClock() },
  );
  const text = fs.readFileSync(fetched.files[0]!.path, "utf8");
  return { fetched, text, table: Papa.parse<string[]>(text, { skipEmptyLines: true }).data };
}

const PAGES = {
  format: "json",
  url: "/v1/items",
  pagination: "page",
  sizeParam: "per_page",
  pageSize: 2,
  rowsPath: "data.items",
};
const pageOf = (url: string) => Number(new URL(url).searchParams.get("page"));

describe("fetchPagedReport: JSON pages", () => {
  it("asks page after page until a short one, and writes one CSV of the flattened rows", async () => {
    const { http, urls, sent } = fakeHttp((url) => ({ body: pageBody(pageOf(url) - 1, 2) }));
    const { fetched, table } = await run(PAGES, http);
    expect(urls()).toEqual([
      "https://api.example.com/v1/items?page=1&per_page=2",
      "https://api.example.com/v1/items?page=2&per_page=2",
      "https://api.example.com/v1/items?page=3&per_page=2",
    ]);
    expect(fetched).toMatchObject({
      format: "csv",
      charset: "utf-8",
      isTruncated: false,
      notes: [],
    });
    expect(table).toEqual([
      ["id", "customer.name", "customer.address.city", "tags", "late"],
      ["1", "C1", "Basel", "[0]", ""],
      ["2", "C2", "Bern", "[1]", ""],
      ["3", "C3", "Basel", "[2]", ""],
      ["4", "C4", "Bern", "[3]", ""],
      ["5", "C5", "Basel", "[4]", "yes"],
    ]);
    expect(sent.every((request) => request.headers?.["x-team"] === "ops")).toBe(true);
    expect(fs.readdirSync(tempDir)).toEqual([path.basename(fetched.files[0]!.path)]);
  });

  it("asks one more page when the last one was full, and stops at the empty one", async () => {
    const { http, urls } = fakeHttp((url) => ({ body: pageBody(pageOf(url) - 1, 5) }));
    const { table } = await run({ ...PAGES, pageSize: 5 }, http);
    expect(urls()).toHaveLength(2);
    expect(table).toHaveLength(6);
  });

  it("waits a 429's Retry-After and asks for that page again, not from page 1", async () => {
    const clock = fakeClock();
    const { http, urls } = fakeHttp((url, n) =>
      pageOf(url) === 2 && n === 2 ? rateLimited(1000) : { body: pageBody(pageOf(url) - 1, 2) },
    );
    const { table } = await run(PAGES, http, { clock });
    expect(urls().map(pageOf)).toEqual([1, 2, 2, 3]);
    expect(clock.sleeps).toEqual([1000]);
    expect(table).toHaveLength(6);
  });

  it("a 503 with Retry-After is waited out the same way", async () => {
    const clock = fakeClock();
    const { http, urls } = fakeHttp((url, n) =>
      n === 1 ? rateLimited(2000, 503) : { body: pageBody(pageOf(url) - 1, 2) },
    );
    await run(PAGES, http, { clock });
    expect(urls().map(pageOf)).toEqual([1, 1, 2, 3]);
    expect(clock.sleeps).toEqual([2000]);
  });

  it("a wait longer than a minute fails the attempt, saying how long, for the run to wait", async () => {
    const { http, urls } = fakeHttp((url) =>
      pageOf(url) === 2 ? rateLimited(120_000) : { body: pageBody(pageOf(url) - 1, 2) },
    );
    const failure = await run(PAGES, http).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectorError);
    expect((failure as ConnectorError).message).toBe(
      "page 2 of /v1/items was rate-limited (429): the server asks to wait 2 min, longer than the 60 s one page is waited for",
    );
    expect((failure as ConnectorError).options).toEqual({
      isRetryable: true,
      httpStatus: 429,
      retryAfterMs: 120_000,
    });
    expect(urls()).toHaveLength(2);
    expect(fs.readdirSync(tempDir)).toEqual([]);
  });

  it("asks for a refused page at most 3 more times", async () => {
    const clock = fakeClock();
    const { http, urls } = fakeHttp(() => rateLimited(5000, 503));
    await expect(run(PAGES, http, { clock })).rejects.toThrow(
      "page 1 of /v1/items was still unavailable (503 Service Unavailable) after waiting 3 times as long as the server asked",
    );
    expect(urls()).toHaveLength(4);
    expect(clock.sleeps).toEqual([5000, 5000, 5000]);
  });

  it("a 429 without Retry-After, or any other failure, fails the attempt at once", async () => {
    const { http, urls } = fakeHttp(() => rateLimited(undefined));
    await expect(run(PAGES, http)).rejects.toMatchObject({
      message: "page 1 of /v1/items was rate-limited (429)",
      options: { isRetryable: true, httpStatus: 429 },
    });
    expect(urls()).toHaveLength(1);
    const refused = fakeHttp((url) =>
      pageOf(url) === 2
        ? new DownloadError("http", "401 Unauthorized", { httpStatus: 401 })
        : { body: pageBody(0, 2) },
    );
    await expect(run(PAGES, refused.http)).rejects.toThrow(
      "page 2 of /v1/items was refused: wrong or missing credentials (401)",
    );
  });

  it("a cancel during a Retry-After wait ends it", async () => {
    const controller = new AbortController();
    const clock = fakeClock();
    const { http } = fakeHttp(() => {
      controller.abort();
      return rateLimited(1000);
    });
    await expect(run(PAGES, http, { clock, signal: controller.signal })).rejects.toThrow(
      "cancelled",
    );
    expect(fs.readdirSync(tempDir)).toEqual([]);
  });

  it("stops at the page limit, marks the report cut short and says so", async () => {
    const { http, urls } = fakeHttp((url) => ({ body: pageBody(pageOf(url) - 1, 2) }));
    const { fetched, table } = await run({ ...PAGES, maxPages: 2 }, http);
    expect(urls()).toHaveLength(2);
    expect(table).toHaveLength(5);
    expect(fetched.isTruncated).toBe(true);
    expect(fetched.notes).toEqual(["stopped after 2 pages (the page limit); the API had more"]);
  });

  it("a page limit that is exactly the pages there are is not cut short", async () => {
    const { http } = fakeHttp((url) => ({ body: pageBody(pageOf(url) - 1, 2) }));
    const { fetched } = await run({ ...PAGES, maxPages: 3 }, http);
    expect(fetched.isTruncated).toBe(false);
  });

  it("a preview stops once it has its rows", async () => {
    const { http, urls } = fakeHttp((url) => ({ body: pageBody(pageOf(url) - 1, 2) }));
    const { table, fetched } = await run(PAGES, http, { rowLimit: 3 });
    expect(urls()).toHaveLength(2);
    expect(table).toHaveLength(5);
    expect(fetched.isTruncated).toBe(false);
  });

  it("says where the rows path is not a list, on which page", async () => {
    const { http } = fakeHttp((url) =>
      pageOf(url) === 3
        ? { body: JSON.stringify({ data: { rows: [] }, meta: {} }) }
        : { body: pageBody(pageOf(url) - 1, 2) },
    );
    await expect(run(PAGES, http)).rejects.toThrow(
      "`data.items` is not a list in the answer of page 3; the answer has: data.rows, meta",
    );
    expect(fs.readdirSync(tempDir)).toEqual([]);
  });

  it("an answer that is not JSON is said as such", async () => {
    const html = fakeHttp(() => ({
      headers: { "content-type": "text/html" },
      body: "<!DOCTYPE html><html>Sign in</html>",
    }));
    await expect(run(PAGES, html.http)).rejects.toThrow(
      "the answer of page 1 is an HTML page, not JSON (a login page? check the credentials and the URL)",
    );
    const text = fakeHttp(() => ({ headers: { "content-type": "text/plain" }, body: "a,b\n1,2" }));
    await expect(run(PAGES, text.http)).rejects.toThrow(
      "the answer of page 1 is not JSON (it came as text/plain)",
    );
    const empty = fakeHttp(() => ({ body: "" }));
    await expect(run(PAGES, empty.http)).rejects.toThrow("the answer of page 1 is empty, not JSON");
  });

  it("keeps big ids exactly as the API wrote them", async () => {
    const { http } = fakeHttp(() => ({ body: '[{"id":12345678901234567891,"n":1.50}]' }));
    const { table } = await run(
      { format: "json", url: "/x", rowsPath: "", pagination: "link" },
      http,
    );
    expect(table).toEqual([
      ["id", "n"],
      ["12345678901234567891", "1.50"],
    ]);
  });

  it("with no pages, a rows path makes one answer's rows a CSV", async () => {
    const { http, urls } = fakeHttp(() => ({ body: pageBody(0, 5) }));
    const { table, fetched } = await run(
      { format: "json", url: "/x", rowsPath: "data.items" },
      http,
    );
    expect(urls()).toEqual(["https://api.example.com/v1/items"]);
    expect(table).toHaveLength(6);
    expect(fetched.format).toBe("csv");
  });

  it("the size limit stops the report, naming the page", async () => {
    const { http } = fakeHttp((url) => ({ body: pageBody(pageOf(url) - 1, 2) }), 100);
    await expect(run(PAGES, http)).rejects.toThrow(
      /^the report is larger than 100 bytes \(the report size limit\) by page \d$/,
    );
    expect(fs.readdirSync(tempDir)).toEqual([]);
  });
});

describe("fetchPagedReport: each style", () => {
  it("offsets: the rows fetched so far", async () => {
    const { http, urls } = fakeHttp((url) => {
      const offset = Number(new URL(url).searchParams.get("start"));
      return { body: JSON.stringify({ data: { items: ROWS.slice(offset, offset + 2) } }) };
    });
    const { table } = await run(
      { ...PAGES, pagination: "offset", offsetParam: "start", sizeParam: "count" },
      http,
    );
    expect(urls().map((url) => new URL(url).search)).toEqual([
      "?start=0&count=2",
      "?start=2&count=2",
      "?start=4&count=2",
    ]);
    expect(table).toHaveLength(6);
  });

  it("a cursor: sent back until it is null; a size parameter only when named", async () => {
    const { http, urls } = fakeHttp((url) => {
      const at = Number(new URL(url).searchParams.get("after") ?? 0);
      const next = at + 2 < ROWS.length ? at + 2 : null;
      return { body: JSON.stringify({ items: ROWS.slice(at, at + 2), paging: { next } }) };
    });
    const { table } = await run(
      {
        format: "json",
        url: "/v1/items",
        pagination: "cursor",
        rowsPath: "items",
        cursorPath: "paging.next",
        cursorParam: "after",
      },
      http,
    );
    expect(urls().map((url) => new URL(url).search)).toEqual(["", "?after=2", "?after=4"]);
    expect(table).toHaveLength(6);
  });

  it("a cursor path missing on page 1 is a plain error; the same cursor again stops a loop", async () => {
    const cursor = { ...PAGES, pagination: "cursor", cursorPath: "meta.next", cursorParam: "c" };
    const missing = fakeHttp(() => ({ body: JSON.stringify({ data: { items: [] }, meta: {} }) }));
    await expect(run(cursor, missing.http)).rejects.toThrow(
      "the next cursor `meta.next` is not in the answer of page 1; the answer has: data, meta",
    );
    const stuck = fakeHttp(() => ({
      body: JSON.stringify({ data: { items: [] }, meta: { next: "x" } }),
    }));
    await expect(run(cursor, stuck.http)).rejects.toThrow(
      'page 2 of /v1/items gave the same cursor as the one it was asked for ("x") as the next page; stopped rather than fetch the same page again and again',
    );
    expect(stuck.urls()).toHaveLength(2);
  });

  it("Link: follows rel=next, relative or on another origin, until there is none", async () => {
    const { http, urls, sent } = fakeHttp((url, n) => ({
      headers: linkHeader(
        n === 1
          ? '</v1/items?p=2>; rel="next", </v1/items?p=9>; rel="last"'
          : n === 2
            ? '<https://cdn.example.net/p3>; title="a, b"; rel="next"'
            : null,
      ),
      body: JSON.stringify(ROWS.slice((n - 1) * 2, n * 2)),
    }));
    const credentials = {
      origin: "https://api.example.com",
      headers: { authorization: "Bearer t" },
    };
    const { table } = await run({ format: "json", url: "/v1/items", pagination: "link" }, http, {
      credentials,
    });
    expect(urls()).toEqual([
      "https://api.example.com/v1/items",
      "https://api.example.com/v1/items?p=2",
      "https://cdn.example.net/p3",
    ]);
    expect(table).toHaveLength(6);
    // the engine keeps them to their origin: every call names it, the link elsewhere too
    expect(sent.map((request) => request.credentials)).toEqual([
      credentials,
      credentials,
      credentials,
    ]);
  });

  it("without connector credentials, a secret among the plain headers stays with the first page's origin", async () => {
    const { http, sent } = fakeHttp(() => ({ body: "[]" }));
    await run({ format: "json", url: "/v1/items", pagination: "link" }, http);
    expect(sent[0]!.credentials).toEqual({ origin: "https://api.example.com", headers: {} });
  });

  it("the rate limit spaces the requests", async () => {
    const clock = fakeClock();
    const { http } = fakeHttp((url) => ({ body: pageBody(pageOf(url) - 1, 2) }));
    await run({ ...PAGES, requestsPerSecond: 4 }, http, { clock });
    // the fake pages take no time: each request waits its full quarter second
    expect(clock.sleeps).toEqual([250, 250]);
  });
});

describe("fetchPagedReport: CSV pages", () => {
  const CSV_PAGES = {
    url: "/v1/items.csv",
    pagination: "page",
    sizeParam: "per_page",
    pageSize: 2,
  };
  const csvPage = (page: number, header = "id,name") => {
    const rows = ROWS.slice((page - 1) * 2, page * 2).map((row) => `${row.id},"N ${row.id}, x"`);
    return [header, ...rows].join("\n") + "\n";
  };

  it("keeps the first page's header and leaves out the others'", async () => {
    const { http } = fakeHttp((url) => ({
      headers: { "content-type": "text/csv" },
      body: csvPage(pageOf(url)),
    }));
    const { text, fetched } = await run(CSV_PAGES, http);
    expect(text).toBe(
      'id,name\r\n1,"N 1, x"\r\n2,"N 2, x"\r\n3,"N 3, x"\r\n4,"N 4, x"\r\n5,"N 5, x"\r\n',
    );
    expect(fetched.notes).toEqual(["line endings converted to CRLF"]);
    expect(fs.readdirSync(tempDir)).toHaveLength(1);
  });

  it("a later header written with other quotes is the same header", async () => {
    const { http } = fakeHttp((url) => ({
      body: csvPage(pageOf(url), pageOf(url) === 1 ? "id,name" : '"id","name"'),
    }));
    const { table } = await run(CSV_PAGES, http);
    expect(table).toHaveLength(6);
  });

  it("a page with other columns is a plain error", async () => {
    const { http } = fakeHttp((url) => ({
      body: csvPage(pageOf(url), pageOf(url) === 3 ? "id,title" : "id,name"),
    }));
    await expect(run(CSV_PAGES, http)).rejects.toThrow(
      "the columns of page 3 are not those of page 1: page 1 has id, name; page 3 has id, title",
    );
    expect(fs.readdirSync(tempDir)).toEqual([]);
  });

  it("each page is read in its own character set", async () => {
    const latin1 = Buffer.concat([
      Buffer.from("id,name\r\n1,"),
      Buffer.from([0xe9]),
      Buffer.from("\r\n"),
    ]);
    const { http } = fakeHttp((url) =>
      pageOf(url) === 1
        ? { headers: { "content-type": "text/csv; charset=iso-8859-1" }, body: latin1 }
        : { headers: { "content-type": "text/csv" }, body: "id,name\r\n" },
    );
    const { text, fetched } = await run({ ...CSV_PAGES, pageSize: 1 }, http);
    expect(text).toBe("id,name\r\n1,é\r\n");
    expect(fetched.notes).toEqual(["converted from Windows-1252 (declared iso-8859-1) to UTF-8"]);
  });

  it("an HTML page instead of a CSV is refused as a single CSV would be", async () => {
    const { http } = fakeHttp(() => ({ headers: {}, body: "<html><body>Sign in</body></html>" }));
    await expect(run(CSV_PAGES, http)).rejects.toThrow(
      "api.example.com (page 1 of /v1/items) answered with an HTML page instead of a CSV (a login page?)",
    );
  });

  it("Link pages of CSV", async () => {
    const { http, urls } = fakeHttp((url, n) => ({
      headers: linkHeader(n < 3 ? `<?page=${n + 1}>; rel=next` : null),
      body: csvPage(n),
    }));
    const { table } = await run({ url: "/v1/items.csv", pagination: "link" }, http);
    expect(urls()).toHaveLength(3);
    expect(table).toHaveLength(6);
  });
});

describe("inWords", () => {
  it("says a wait in seconds, minutes or hours", () => {
    expect([1000, 60_000, 119_000, 120_000, 3_600_000, 7_200_000].map(inWords)).toEqual([
      "1 s",
      "60 s",
      "119 s",
      "2 min",
      "60 min",
      "2 h",
    ]);
  });
});
