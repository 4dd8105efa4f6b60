// Fake paginated JSON/CSV API: one 250-row dataset served in each way real APIs page their lists
// (page number and page size, offset and limit, an opaque cursor, RFC 8288 Link headers), behind a
// bearer token, refusing what such APIs refuse (a page size that is not a number or over the
// maximum, an unknown cursor). One chosen page can be answered 429 with Retry-After the first time
// it is asked for, and every request is recorded (path, page, time, headers).
import { performance } from "node:perf_hooks";
import type { IncomingMessage, ServerResponse } from "node:http";
import { bearerToken, listenFake, sendJson, sendText } from "./fake-http";

export const PAGED_API_ROWS = 250;
/** The page size when a request names none (GitHub's default), and the most one may ask for. */
const DEFAULT_PAGE_SIZE = 30;
export const MAX_PAGE_SIZE = 100;

const CITIES = ["Lisbon", "Zürich", "New York, NY", "Kraków"];

/**
 * Row i of the dataset (0-based) as the API sends it: nested objects, a list, a null, text with a
 * comma, a quote and a line break, an id past 2^53 written as a bare number, and from row 120 on a
 * field the earlier rows lack (a column that first shows up on a later page).
 */
export function pagedApiRow(i: number): Record<string, unknown> {
  return {
    id: i + 1,
    ref: BIG_REF(i),
    name: `Customer ${i + 1}`,
    amount: ((i * 37) % 1000) + 0.25,
    active: i % 3 !== 0,
    customer: {
      email: `c${i + 1}@example.com`,
      address: { city: CITIES[i % CITIES.length], zip: String(1000 + i) },
    },
    tags: i % 5 === 0 ? [] : [`t${i % 3}`, `g${i % 2}`],
    note: i % 7 === 0 ? null : i % 50 === 1 ? `line one\nline "two", ${i}` : `note ${i}`,
    ...(i >= 120 ? { extra: { flag: i % 2 === 0 } } : {}),
  };
}

/** 17 digits: a JavaScript number would round it. Written into the JSON as a bare number. */
const BIG_REF = (i: number) => `9007199254740${String(1000 + i).padStart(4, "0")}`;

/** The columns a client that flattens nested objects should make of the dataset, in first-seen order. */
export const PAGED_API_COLUMNS = [
  "id",
  "ref",
  "name",
  "amount",
  "active",
  "customer.email",
  "customer.address.city",
  "customer.address.zip",
  "tags",
  "note",
  "extra.flag",
];

/** Row i as the text of its cells, by column: what a flattened CSV of it holds. */
export function pagedApiCells(i: number): Record<string, string> {
  const row = pagedApiRow(i) as {
    amount: number;
    active: boolean;
    customer: { email: string; address: { city: string; zip: string } };
    tags: string[];
    note: string | null;
    extra?: { flag: boolean };
  };
  return {
    id: String(i + 1),
    ref: BIG_REF(i),
    name: `Customer ${i + 1}`,
    amount: String(row.amount),
    active: String(row.active),
    "customer.email": row.customer.email,
    "customer.address.city": row.customer.address.city,
    "customer.address.zip": row.customer.address.zip,
    tags: JSON.stringify(row.tags),
    note: row.note ?? "",
    "extra.flag": row.extra ? String(row.extra.flag) : "",
  };
}

function rowJson(i: number): string {
  const ref = BIG_REF(i);
  return JSON.stringify(pagedApiRow(i)).replace(`"ref":"${ref}"`, `"ref":${ref}`);
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export type FakePagedApiOptions = {
  /** every request must carry `Authorization: Bearer <token>`; none needed when unset */
  bearerToken?: string;
  /** 0-based index of the page answered 429 with `Retry-After: 1` the first time it is asked, on each endpoint */
  rateLimitedPage?: number;
  /** where Link headers point: another origin (absolute links); the API's own paths otherwise */
  linkBase?: string;
};

export type TPagedApiRequest = {
  path: string;
  /** 0-based index of the page asked for; null when the request was refused before that */
  page: number | null;
  status: number;
  /** performance.now() when the request came in */
  at: number;
  headers: IncomingMessage["headers"];
};

export type FakePagedApi = {
  url: string;
  close(): Promise<void>;
  /** every request to a path, in order */
  requests(path: string): TPagedApiRequest[];
  /** how often a page of a path was asked for, refusals included */
  pageHits(path: string, page: number): number;
  /** forgets the requests and the pages already rate-limited */
  reset(): void;
};

type TPageRequest = { index: number; offset: number; size: number };
class BadRequest extends Error {}

/** A whole number in [min, max] from a query parameter, as such APIs check it; 400 otherwise. */
function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max)
    throw new BadRequest(`${name} must be a whole number from ${min} to ${max}`);
  return Number(text);
}

/** Cursors are opaque to clients: base64url of "o:<offset>". */
const cursorFor = (offset: number) => Buffer.from(`o:${offset}`).toString("base64url");
function offsetOfCursor(cursor: string): number {
  const match = /^o:(\d+)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match || Number(match[1]) > PAGED_API_ROWS) throw new BadRequest("invalid cursor");
  return Number(match[1]);
}

export async function startFakePagedApi(options: FakePagedApiOptions = {}): Promise<FakePagedApi> {
  let seen: TPagedApiRequest[] = [];
  let throttled = new Set<string>();

  /** The page a request asks for, by the path's style; BadRequest for what the API refuses. */
  function pageOf(path: string, url: URL): TPageRequest | null {
    const max = MAX_PAGE_SIZE;
    switch (path) {
      case "/v1/items":
      case "/v1/items.csv":
      case "/v1/link/items": {
        const size = intParam(url, "per_page", DEFAULT_PAGE_SIZE, 1, max);
        const page = intParam(url, "page", 1, 1, 1_000_000);
        return { index: page - 1, offset: (page - 1) * size, size };
      }
      case "/v0/items": {
        const size = intParam(url, "size", DEFAULT_PAGE_SIZE, 1, max);
        const page = intParam(url, "page", 0, 0, 1_000_000);
        return { index: page, offset: page * size, size };
      }
      case "/v1/offset/items": {
        const size = intParam(url, "limit", DEFAULT_PAGE_SIZE, 1, max);
        const offset = intParam(url, "offset", 0, 0, 1_000_000_000);
        return { index: Math.floor(offset / size), offset, size };
      }
      case "/v1/cursor/items": {
        const size = intParam(url, "limit", DEFAULT_PAGE_SIZE, 1, max);
        const cursor = url.searchParams.get("cursor");
        const offset = cursor === null ? 0 : offsetOfCursor(cursor);
        return { index: Math.floor(offset / size), offset, size };
      }
      default:
        return null;
    }
  }

  function linkHeader(path: string, page: TPageRequest): string {
    const base = options.linkBase ?? "";
    const last = Math.max(1, Math.ceil(PAGED_API_ROWS / page.size));
    const at = (n: number) => `<${base}${path}?per_page=${page.size}&page=${n}>`;
    const current = page.index + 1;
    // several links, a rel list, quoted parameters holding commas and semicolons, as servers send
    const links = [
      `${at(1)}; rel="first"`,
      `${at(last)}; rel="last"; title="page ${last}, the last; end"`,
    ];
    if (current > 1) links.push(`${at(current - 1)}; rel="prev previous"`);
    if (current < last)
      links.push(`${at(current + 1)}; title="next, page ${current + 1}"; rel="next"`);
    return links.join(", ");
  }

  function send(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    record: (page: number | null, status: number) => void,
  ) {
    const path = url.pathname;
    if (req.method !== "GET") {
      record(null, 405);
      return sendText(res, 405, "Method Not Allowed", { allow: "GET" });
    }
    if (options.bearerToken !== undefined && bearerToken(req) !== options.bearerToken) {
      record(null, 401);
      return sendJson(
        res,
        401,
        { message: "Bad credentials" },
        { "www-authenticate": 'Bearer realm="api"' },
      );
    }
    let page: TPageRequest | null;
    try {
      page = pageOf(path, url);
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      record(null, 400);
      return sendJson(res, 400, { error: "bad_request", message: error.message });
    }
    if (!page) {
      record(null, 404);
      return sendJson(res, 404, { message: "Not Found" });
    }
    const key = `${path}#${page.index}`;
    if (page.index === options.rateLimitedPage && !throttled.has(key)) {
      throttled.add(key);
      record(page.index, 429);
      return sendJson(res, 429, { message: "API rate limit exceeded" }, { "retry-after": "1" });
    }
    record(page.index, 200);
    const end = Math.min(PAGED_API_ROWS, page.offset + page.size);
    const indexes: number[] = [];
    for (let i = page.offset; i < end; i++) indexes.push(i);
    const items = `[${indexes.map(rowJson).join(",")}]`;
    switch (path) {
      case "/v1/items":
      case "/v0/items":
        return sendText(
          res,
          200,
          `{"data":{"items":${items}},"meta":{"page":${path === "/v0/items" ? page.index : page.index + 1},"total":${PAGED_API_ROWS}}}`,
          {},
          "application/json; charset=utf-8",
        );
      case "/v1/offset/items":
        return sendText(
          res,
          200,
          `{"data":{"items":${items}},"meta":{"offset":${page.offset},"limit":${page.size},"total":${PAGED_API_ROWS}}}`,
          {},
          "application/json; charset=utf-8",
        );
      case "/v1/cursor/items": {
        const next = end < PAGED_API_ROWS ? JSON.stringify(cursorFor(end)) : "null";
        return sendText(
          res,
          200,
          `{"data":{"items":${items}},"meta":{"next_cursor":${next}}}`,
          {},
          "application/json; charset=utf-8",
        );
      }
      case "/v1/link/items":
        return sendText(
          res,
          200,
          items,
          { link: linkHeader(path, page) },
          "application/json; charset=utf-8",
        );
      case "/v1/items.csv": {
        const lines = [PAGED_API_COLUMNS.map(csvField).join(",")];
        for (const i of indexes) {
          const cells = pagedApiCells(i);
          lines.push(PAGED_API_COLUMNS.map((column) => csvField(cells[column]!)).join(","));
        }
        return sendText(
          res,
          200,
          `${lines.join("\r\n")}\r\n`,
          { link: linkHeader(path, page) },
          "text/csv; charset=utf-8",
        );
      }
    }
  }

  const server = await listenFake(undefined, async (req, res, url) => {
    const at = performance.now();
    const record = (page: number | null, status: number) =>
      seen.push({ path: url.pathname, page, status, at, headers: { ...req.headers } });
    send(req, res, url, record);
  });

  return {
    url: server.url,
    close: () => server.close(),
    requests: (path) => seen.filter((request) => request.path === path),
    pageHits: (path, page) =>
      seen.filter((request) => request.path === path && request.page === page).length,
    reset() {
      seen = [];
      throttled = new Set();
    },
  };
}
