// Fake Looker instance, API 4.0: API-key login, Looks, saved and inline queries run as CSV or JSON,
// the Look picker's list and search, and the two refreshes Looker offers in place of a row-push API
// (datagroup cache invalidation, PDT rebuilds). Shapes follow Looker.4.0.oas.json
// (looker-open-source/sdk-codegen) and §5 and §8 of the upstream wire contracts; where neither says
// what Looker does, the choice is marked UNVERIFIED where it is made.
import { randomBytes } from "node:crypto";
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import {
  bearerToken,
  isRecord,
  listenFake,
  mediaType,
  parseJson,
  readBody,
  sendJson,
  sendText,
} from "../../test-support/fakes/fake-http";
import {
  bigTable,
  csvLine,
  jsonArrayPieces,
  SMALL_SALES,
  writeChunks,
  type FakeTable,
} from "../../test-support/fakes/report-data";

export type FakeLookerOptions = {
  port?: number;
  clientId?: string;
  clientSecret?: string;
  // `expires_in` of every token issued; 0 gives tokens that are expired on their first use.
  tokenLifetimeSeconds?: number;
  // The status poll that reports a PDT build complete (the earlier ones report it running).
  pdtPollsUntilDone?: number;
};

export type FakeLookerLook = { id: number; title: string; queryId: number };

export type FakeLookerDatagroup = {
  id: string;
  model_name: string;
  name: string;
  stale_before: number | null;
  triggered_at: number | null;
};

export type FakeLookerDerivedTable = { model: string; view: string; builds: number };

// `path` is the request target as sent (query string included); `auth` the Authorization header.
export type FakeLookerRequest = {
  method: string;
  path: string;
  at: number;
  status: number;
  auth?: string;
};

export type FakeLooker = {
  url: string;
  clientId: string;
  clientSecret: string;
  looks: FakeLookerLook[];
  datagroups(): FakeLookerDatagroup[];
  // `builds` counts completed builds: a start polled to "complete", or a trigger of its datagroup.
  derivedTables(): FakeLookerDerivedTable[];
  requests: FakeLookerRequest[];
  // Every token issued so far stops working (the next call answers 401).
  expireTokens(): void;
  // The next n requests, whatever they are, answer `status` with `body` (a Looker Error by default)
  // and no Retry-After, as Looker documents its 429s.
  failNext(n: number, status: number, body?: unknown): void;
  close(): Promise<void>;
};

export const FAKE_LOOKER_DEFAULTS = {
  clientId: "looker-client-id",
  clientSecret: "looker-client-secret",
  tokenLifetimeSeconds: 3600,
  pdtPollsUntilDone: 3,
} as const;

const API_PREFIX = "/api/4.0";
const DAY_MS = 86_400_000;
// Looker's answer when a query states no limit (UNVERIFIED: the spec names no default).
const DEFAULT_QUERY_LIMIT = 5000;
const RESULT_FORMATS = new Set([
  "json",
  "json_bi",
  "json_detail",
  "csv",
  "txt",
  "html",
  "md",
  "xlsx",
  "sql",
  "png",
  "jpg",
]);
const RENDERED_FORMATS = new Set(["json", "csv", "txt"]);

/**
 * Looker links every error to a page named after the status and the route, as its SDK test
 * fixtures show ("https://docs.looker.com/r/err/4.0/404/post/login"); today's host is
 * cloud.google.com.
 */
function documentationUrl(status: number, method: string, template: string): string {
  return `https://cloud.google.com/looker/docs/r/err/4.0/${status}/${method.toLowerCase()}${template}`;
}

type Cell = string | number | null;

type LookerField = {
  name: string;
  label: string;
  type: "string" | "number" | "date" | "time";
  // Dimensions read a source row; measures fold a group of them.
  value?: (row: Cell[]) => Cell;
  measure?: (rows: Cell[][]) => number;
  // Only applied with apply_formatting=true, as Looker does.
  format?: "usd" | "decimal_0";
};

type Explore = { name: string; source: FakeTable; fields: LookerField[] };

const dimension = (
  name: string,
  label: string,
  type: LookerField["type"],
  column: number,
  format?: LookerField["format"],
): LookerField => ({ name, label, type, value: (row) => row[column] ?? null, format });

const countMeasure = (view: string, label: string): LookerField => ({
  name: `${view}.count`,
  label: `${label} Count`,
  type: "number",
  measure: (rows) => rows.length,
  format: "decimal_0",
});

function isoDay(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

function dayNumberOf(text: string): number | null {
  const match = /^(\d{4})[-/](\d{2})[-/](\d{2})/.exec(text);
  if (!match) return null;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / DAY_MS;
}

const ORDER_STATUSES = [
  "complete",
  "complete",
  "complete",
  "complete",
  "complete",
  "complete",
  "shipped",
  "shipped",
  "pending",
  "cancelled",
];

/**
 * 500 orders: order i has status ORDER_STATUSES[i % 10] and was created floor(i / 10) % 30 days
 * before `today`, so relative date filters ("7 days") select a predictable set.
 */
function ordersTable(today: number): FakeTable {
  return {
    columns: ["id", "status", "created_date"],
    rowCount: 500,
    row: (i) => [i + 1, ORDER_STATUSES[i % 10]!, isoDay(today - (Math.floor(i / 10) % 30))],
  };
}

export const FAKE_LOOKER_CUSTOMER_ROWS = 5200;

function thelookExplores(today: number): Map<string, Explore> {
  const customers = bigTable(FAKE_LOOKER_CUSTOMER_ROWS);
  const explores: Explore[] = [
    {
      name: "orders",
      source: ordersTable(today),
      fields: [
        dimension("orders.id", "Orders ID", "number", 0),
        dimension("orders.status", "Orders Status", "string", 1),
        dimension("orders.created_date", "Orders Created Date", "date", 2),
        countMeasure("orders", "Orders"),
      ],
    },
    {
      name: "sales",
      source: SMALL_SALES,
      fields: [
        dimension("sales.region", "Sales Region", "string", 0),
        dimension("sales.amount", "Sales Amount", "number", 1, "usd"),
        countMeasure("sales", "Sales"),
        {
          name: "sales.total_amount",
          label: "Sales Total Amount",
          type: "number",
          measure: (rows) => rows.reduce((sum, row) => sum + Number(row[1] ?? 0), 0),
          format: "usd",
        },
      ],
    },
    {
      name: "customers",
      source: customers,
      fields: [
        dimension("customers.id", "Customers ID", "number", 0),
        dimension("customers.name", "Customers Name", "string", 1),
        dimension("customers.amount", "Customers Amount", "number", 2, "usd"),
        {
          // Looker renders a time dimension as "2024-01-01 00:00:00", not ISO 8601.
          name: "customers.created_time",
          label: "Customers Created Time",
          type: "time",
          value: (row) => String(row[3]).slice(0, 19).replace("T", " "),
        },
        countMeasure("customers", "Customers"),
      ],
    },
  ];
  return new Map(explores.map((explore) => [explore.name, explore]));
}

type SavedQuery = {
  id: number;
  model: string;
  view: string;
  fields: string[];
  filters: Record<string, string>;
  sorts: string[];
  limit: string | null;
};

// Looks are saved with a row limit (the UI caps it at 5,000), so the big Look only comes out whole
// when the caller overrides it with limit=-1.
const SAVED_QUERIES: SavedQuery[] = [
  {
    id: 101,
    model: "thelook",
    view: "sales",
    fields: ["sales.region", "sales.amount"],
    filters: {},
    sorts: ["sales.amount"],
    limit: "500",
  },
  {
    id: 102,
    model: "thelook",
    view: "customers",
    fields: ["customers.id", "customers.name", "customers.amount", "customers.created_time"],
    filters: {},
    sorts: ["customers.id"],
    limit: "5000",
  },
];

const SEED_LOOKS: (FakeLookerLook & { description: string })[] = [
  { id: 1, title: "Sales by Region", queryId: 101, description: "Three regions" },
  {
    id: 2,
    title: "Customers (5,200 rows)",
    queryId: 102,
    description: "Every customer, one row each",
  },
];

type DatagroupState = FakeLookerDatagroup & {
  created_at: number;
  trigger_check_at: number | null;
  trigger_error: string | null;
  trigger_value: string | null;
};

type DerivedTableState = FakeLookerDerivedTable & { datagroupId: string };

type Materialization = {
  id: string;
  table: DerivedTableState;
  polls: number;
  state: "running" | "complete" | "killed";
  startedAt: number;
  taskSlug: string;
};

const nowSeconds = () => Math.floor(Date.now() / 1000);

const TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// Same look as the documented example token: 40 letters and digits.
function newAccessToken(): string {
  return [...randomBytes(40)].map((byte) => TOKEN_ALPHABET[byte % 62]).join("");
}

type ValidationDetail = { field: string; code: string; message: string };

type QueryRequest = {
  model: string;
  view: string;
  fields: string[];
  filters: Record<string, string>;
  sorts: string[];
  limit: string | null;
};

type QueryOutcome =
  | { ok: true; fields: LookerField[]; rows: Cell[][] }
  | { ok: false; status: 400 | 404; message: string }
  | { ok: false; status: 422; errors: ValidationDetail[] };

function likeRegExp(pattern: string): RegExp {
  const source = [...pattern]
    .map((c) => (c === "%" ? ".*" : c === "_" ? "." : c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, "is");
}

type RowTest = (value: Cell) => boolean;

/**
 * The part of Looker's filter expression language the fake evaluates: for strings equals, `%`
 * wildcards, `-` to exclude and commas for alternatives; for numbers `N`, `>N`, `>=N`, `<N`, `<=N`,
 * `!=N` with commas; for dates "N days" (the last N days, today included), "today", "yesterday",
 * a day, "A to B" (B excluded), "after A" and "before B". Null for anything else, which the fake
 * refuses (Looker would run it).
 */
function filterTest(field: LookerField, expression: string, today: number): RowTest | null {
  const text = expression.trim();
  if (field.type === "string") {
    const parts = text.split(",").map((part) => part.trim());
    const include = parts.filter((part) => !part.startsWith("-")).map(likeRegExp);
    const exclude = parts.filter((part) => part.startsWith("-")).map((p) => likeRegExp(p.slice(1)));
    return (value) => {
      const cell = String(value ?? "");
      if (exclude.some((pattern) => pattern.test(cell))) return false;
      return include.length === 0 || include.some((pattern) => pattern.test(cell));
    };
  }
  if (field.type === "number") {
    const tests: RowTest[] = [];
    for (const part of text.split(",")) {
      const match = /^\s*(>=|<=|!=|>|<|=)?\s*(-?\d+(?:\.\d+)?)\s*$/.exec(part);
      if (!match) return null;
      const bound = Number(match[2]);
      const op = match[1] ?? "=";
      tests.push((value) => {
        if (value === null || value === "") return false;
        const n = Number(value);
        if (op === ">=") return n >= bound;
        if (op === "<=") return n <= bound;
        if (op === ">") return n > bound;
        if (op === "<") return n < bound;
        if (op === "!=") return n !== bound;
        return n === bound;
      });
    }
    return (value) => tests.some((test) => test(value));
  }
  const range = dateRange(text.toLowerCase(), today);
  if (!range) return null;
  return (value) => {
    const day = value === null ? null : dayNumberOf(String(value));
    return day !== null && day >= range[0] && day < range[1];
  };
}

// [first day, first day after], as day numbers.
function dateRange(text: string, today: number): [number, number] | null {
  const lastDays = /^(\d+) days?$/.exec(text);
  if (lastDays) return [today - Number(lastDays[1]) + 1, today + 1];
  if (text === "today") return [today, today + 1];
  if (text === "yesterday") return [today - 1, today];
  const between = /^(\S+) to (\S+)$/.exec(text);
  if (between) {
    const from = dayNumberOf(between[1]!);
    const to = dayNumberOf(between[2]!);
    return from === null || to === null ? null : [from, to];
  }
  const after = /^after (\S+)$/.exec(text);
  if (after) {
    const from = dayNumberOf(after[1]!);
    return from === null ? null : [from, Infinity];
  }
  const before = /^before (\S+)$/.exec(text);
  if (before) {
    const to = dayNumberOf(before[1]!);
    return to === null ? null : [-Infinity, to];
  }
  if (/^\d{4}[-/]\d{2}[-/]\d{2}$/.test(text)) {
    const day = dayNumberOf(text)!;
    return [day, day + 1];
  }
  return null;
}

function compareCells(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/**
 * Runs a query the way Looker's SQL would: filter the source rows on dimensions, group by the
 * selected dimensions, fold the measures, filter on measures, sort, limit. `limit` is null for
 * "all rows".
 */
function runExploreQuery(
  explore: Explore,
  request: QueryRequest,
  limit: number | null,
  today: number,
): QueryOutcome {
  const byName = new Map(explore.fields.map((field) => [field.name, field]));
  const fields: LookerField[] = [];
  for (const name of request.fields) {
    const field = byName.get(name);
    // UNVERIFIED: Looker may instead drop an unknown field with a warning; refusing catches typos.
    if (!field) {
      return {
        ok: false,
        status: 422,
        errors: [{ field: "fields", code: "invalid", message: `Unknown field "${name}".` }],
      };
    }
    fields.push(field);
  }
  if (fields.length === 0) {
    return {
      ok: false,
      status: 422,
      errors: [{ field: "fields", code: "missing", message: "Select at least one field." }],
    };
  }
  const rowTests: { field: LookerField; test: RowTest }[] = [];
  for (const [name, expression] of Object.entries(request.filters)) {
    const field = byName.get(name);
    if (!field) {
      return {
        ok: false,
        status: 422,
        errors: [{ field: "filters", code: "invalid", message: `Unknown field "${name}".` }],
      };
    }
    if (expression === "") continue; // Looker treats an empty filter as "any value"
    const test = filterTest(field, expression, today);
    if (!test) {
      return {
        ok: false,
        status: 400,
        message: `The fake Looker cannot evaluate the filter "${expression}" on ${name}.`,
      };
    }
    rowTests.push({ field, test });
  }

  const dimensionFields = fields.filter((field) => field.value);
  const groups = new Map<string, Cell[][]>();
  const keys = new Map<string, Cell[]>();
  for (let i = 0; i < explore.source.rowCount; i++) {
    const row = explore.source.row(i);
    const kept = rowTests.every(({ field, test }) => !field.value || test(field.value(row)));
    if (!kept) continue;
    const key = dimensionFields.map((field) => field.value!(row));
    const keyText = JSON.stringify(key);
    const group = groups.get(keyText);
    if (group) group.push(row);
    else {
      groups.set(keyText, [row]);
      keys.set(keyText, key);
    }
  }
  // A query of measures only is one row, even over no rows at all.
  if (dimensionFields.length === 0 && groups.size === 0) groups.set("[]", []);

  let rows: Cell[][] = [];
  for (const [keyText, group] of groups) {
    const key = keys.get(keyText) ?? [];
    const cells = new Map<string, Cell>();
    dimensionFields.forEach((field, index) => cells.set(field.name, key[index] ?? null));
    for (const field of explore.fields) {
      if (field.measure) cells.set(field.name, field.measure(group));
    }
    const havingOk = rowTests.every(
      ({ field, test }) => !field.measure || test(cells.get(field.name) ?? null),
    );
    if (havingOk) rows.push(fields.map((field) => cells.get(field.name) ?? null));
  }

  const sortKeys = parseSorts(request.sorts, fields);
  rows.sort((a, b) => {
    for (const { index, desc } of sortKeys) {
      const order = compareCells(a[index] ?? null, b[index] ?? null);
      if (order !== 0) return desc ? -order : order;
    }
    return 0;
  });
  if (limit !== null) rows = rows.slice(0, limit);
  return { ok: true, fields, rows };
}

/**
 * "view.field", "view.field desc" and the UI's "view.field desc 0". A sort on a field the query
 * does not select is dropped (UNVERIFIED). Without sorts Looker orders by the first date or time
 * descending, else the first measure descending, else the first dimension ascending.
 */
function parseSorts(sorts: string[], fields: LookerField[]): { index: number; desc: boolean }[] {
  const keys: { index: number; desc: boolean }[] = [];
  for (const sort of sorts) {
    const [name, direction] = sort.trim().split(/\s+/);
    const index = fields.findIndex((field) => field.name === name);
    if (index >= 0) keys.push({ index, desc: direction?.toLowerCase() === "desc" });
  }
  if (keys.length > 0) return keys;
  const dateIndex = fields.findIndex((f) => f.value && (f.type === "date" || f.type === "time"));
  if (dateIndex >= 0) return [{ index: dateIndex, desc: true }];
  const measureIndex = fields.findIndex((field) => field.measure);
  if (measureIndex >= 0) return [{ index: measureIndex, desc: true }];
  return [{ index: 0, desc: false }];
}

const usd = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  minimumFractionDigits: 2,
});
const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function formatCell(field: LookerField, value: Cell): Cell {
  if (value === null || typeof value !== "number") return value;
  if (field.format === "usd") return usd.format(value);
  if (field.format === "decimal_0") return grouped.format(value);
  return String(value);
}

function* textLines(fields: LookerField[], rows: Cell[][], format: "csv" | "txt") {
  const line = (values: Cell[]) =>
    format === "csv"
      ? csvLine(
          values.map((value) => value ?? ""),
          "\n",
        )
      : values.map((value) => String(value ?? "").replace(/[\t\r\n]/g, " ")).join("\t") + "\n";
  yield line(fields.map((field) => field.label));
  for (const row of rows) yield line(row);
}

function lookSummary(look: (typeof SEED_LOOKS)[number], createdAt: string) {
  return {
    can: { show: true, run: true, update: true, destroy: true, download: true },
    id: String(look.id),
    title: look.title,
    description: look.description,
    query_id: String(look.queryId),
    user_id: "1",
    folder_id: "1",
    folder: { id: "1", name: "Shared" },
    model: { id: "thelook", label: "The Look" },
    content_metadata_id: String(look.id + 10),
    public: false,
    deleted: false,
    is_run_on_load: false,
    created_at: createdAt,
    updated_at: createdAt,
    view_count: 0,
  };
}

// The `fields` parameter: keep only the named top-level properties ("model(id)" keeps model).
function pickFields(object: Record<string, unknown>, fields: string | null) {
  if (!fields) return object;
  const names = new Set(fields.split(",").map((field) => field.split("(")[0]!.trim()));
  return Object.fromEntries(Object.entries(object).filter(([key]) => names.has(key)));
}

type Route = {
  method: string;
  // Spec path with ":name" parameters; also what error documentation links are named after.
  template: string;
  handle(ctx: Ctx): Promise<void> | void;
};

type Ctx = {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  route: Route;
};

function matchRoute(route: Route, segments: string[]): Record<string, string> | null {
  const parts = route.template.split("/").slice(1);
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    let segment: string;
    try {
      segment = decodeURIComponent(segments[i]!);
    } catch {
      return null;
    }
    if (part.startsWith(":")) {
      if (segment === "") return null;
      params[part.slice(1)] = segment;
    } else if (part !== segment) return null;
  }
  return params;
}

function sendError(ctx: Ctx, status: number, message: string) {
  const docs = documentationUrl(status, ctx.req.method ?? "GET", ctx.route.template);
  sendJson(ctx.res, status, { message, documentation_url: docs });
}

function sendValidation(ctx: Ctx, errors: ValidationDetail[], status = 422) {
  const docs = documentationUrl(status, ctx.req.method ?? "GET", ctx.route.template);
  sendJson(ctx.res, status, {
    message: "Validation Failed",
    errors: errors.map((error) => ({ ...error, documentation_url: docs })),
    documentation_url: docs,
  });
}

async function readJsonObject(
  ctx: Ctx,
): Promise<{ ok: true; value: Record<string, unknown> } | { ok: false }> {
  const text = (await readBody(ctx.req)).toString("utf8");
  const parsed = parseJson(text);
  if (!parsed.ok || !isRecord(parsed.value)) {
    sendError(ctx, 400, "The request body must be a JSON object.");
    return { ok: false };
  }
  return { ok: true, value: parsed.value };
}

export async function startFakeLooker(options: FakeLookerOptions = {}): Promise<FakeLooker> {
  const clientId = options.clientId ?? FAKE_LOOKER_DEFAULTS.clientId;
  const clientSecret = options.clientSecret ?? FAKE_LOOKER_DEFAULTS.clientSecret;
  const tokenLifetimeSeconds =
    options.tokenLifetimeSeconds ?? FAKE_LOOKER_DEFAULTS.tokenLifetimeSeconds;
  const pdtPollsUntilDone = Math.max(
    1,
    options.pdtPollsUntilDone ?? FAKE_LOOKER_DEFAULTS.pdtPollsUntilDone,
  );

  // Relative date filters are evaluated against the day the fake started, so a run that crosses
  // midnight does not see its data move.
  const today = Math.floor(Date.now() / DAY_MS);
  const startedAt = nowSeconds();
  const createdAtIso = new Date((startedAt - 30 * 86_400) * 1000).toISOString();
  const models = new Map([["thelook", thelookExplores(today)]]);
  const savedQueries = new Map(SAVED_QUERIES.map((query) => [String(query.id), query]));
  const looks = new Map(SEED_LOOKS.map((look) => [String(look.id), look]));

  const tokens = new Map<string, number>(); // access token → expiry (ms)
  const requests: FakeLookerRequest[] = [];
  let failures: { remaining: number; status: number; body?: unknown } = {
    remaining: 0,
    status: 429,
  };

  const datagroups: DatagroupState[] = [
    // The wanted datagroup is not the first, so a client must find it by model and name.
    {
      id: "1",
      model_name: "thelook",
      name: "default_datagroup",
      created_at: startedAt - 30 * 86_400,
      stale_before: null,
      triggered_at: startedAt - 3600,
      trigger_check_at: startedAt - 300,
      trigger_error: null,
      trigger_value: "1",
    },
    {
      id: "2",
      model_name: "thelook",
      name: "orders_datagroup",
      created_at: startedAt - 30 * 86_400,
      stale_before: null,
      triggered_at: startedAt - 86_400,
      trigger_check_at: startedAt - 300,
      trigger_error: null,
      trigger_value: isoDay(today),
    },
  ];
  const derivedTables: DerivedTableState[] = [
    { model: "thelook", view: "daily_orders", builds: 0, datagroupId: "2" },
  ];
  const materializations = new Map<string, Materialization>();
  let nextMaterializationId = 366;

  function datagroupJson(group: DatagroupState) {
    return {
      can: { show: true, update: true },
      created_at: group.created_at,
      id: group.id,
      model_name: group.model_name,
      name: group.name,
      stale_before: group.stale_before,
      trigger_check_at: group.trigger_check_at,
      trigger_error: group.trigger_error,
      trigger_value: group.trigger_value,
      triggered_at: group.triggered_at,
    };
  }

  function validToken(req: IncomingMessage): boolean {
    // The API docs show "token <t>"; the SDKs send "Bearer <t>". Looker takes both.
    const token = bearerToken(req, ["token", "bearer"]);
    if (token === undefined) return false;
    const expiresAt = tokens.get(token);
    if (expiresAt === undefined) return false;
    if (Date.now() >= expiresAt) {
      tokens.delete(token);
      return false;
    }
    return true;
  }

  async function login(ctx: Ctx) {
    const raw = (await readBody(ctx.req)).toString("utf8");
    // Only a form body is read; JSON credentials arrive as "no credentials".
    const form =
      mediaType(ctx.req) === "application/x-www-form-urlencoded"
        ? new URLSearchParams(raw)
        : new URLSearchParams();
    // The query-string form is deprecated but still served.
    const id = form.get("client_id") ?? ctx.url.searchParams.get("client_id");
    const secret = form.get("client_secret") ?? ctx.url.searchParams.get("client_secret");
    // UNVERIFIED: missing credentials are assumed to fail like wrong ones, with 404.
    if (id !== clientId || secret !== clientSecret) {
      return sendError(ctx, 404, "Not found");
    }
    const accessToken = newAccessToken();
    tokens.set(accessToken, Date.now() + tokenLifetimeSeconds * 1000);
    sendJson(ctx.res, 200, {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: tokenLifetimeSeconds,
      refresh_token: null,
    });
  }

  function logout(ctx: Ctx) {
    const token = bearerToken(ctx.req, ["token", "bearer"]);
    if (token !== undefined) tokens.delete(token);
    ctx.res.writeHead(204);
    ctx.res.end();
  }

  // The `limit` query parameter overrides the query's own; -1 (either place) means every row.
  function effectiveLimit(ctx: Ctx, saved: string | null): number | null | "invalid" {
    const param = ctx.url.searchParams.get("limit");
    const text = param ?? saved;
    if (text === null || text === "") return DEFAULT_QUERY_LIMIT;
    if (!/^-?\d+$/.test(text.trim())) return "invalid";
    const n = Number(text);
    return n < 0 ? null : n;
  }

  async function respondWithQuery(ctx: Ctx, request: QueryRequest) {
    const format = ctx.params.result_format!;
    const explore = models.get(request.model)?.get(request.view);
    if (!explore) return sendError(ctx, 404, "Not found");
    if (!RESULT_FORMATS.has(format)) {
      return sendError(ctx, 400, `Unsupported result_format "${format}".`);
    }
    if (!RENDERED_FORMATS.has(format)) {
      // A real Looker renders these; the fake only produces json, csv and txt.
      return sendError(ctx, 400, `The fake Looker does not render ${format} results.`);
    }
    const limit = effectiveLimit(ctx, request.limit);
    if (limit === "invalid") return sendError(ctx, 400, "limit must be an integer.");
    const outcome = runExploreQuery(explore, request, limit, today);
    if (!outcome.ok) {
      if (outcome.status === 422) return sendValidation(ctx, outcome.errors);
      return sendError(ctx, outcome.status, outcome.message);
    }
    const formatted = ctx.url.searchParams.get("apply_formatting") === "true";
    const rows = formatted
      ? outcome.rows.map((row) => row.map((cell, i) => formatCell(outcome.fields[i]!, cell)))
      : outcome.rows;
    if (format === "json") {
      ctx.res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      const objects = rows.map((row) =>
        Object.fromEntries(outcome.fields.map((field, i) => [field.name, row[i] ?? null])),
      );
      await writeChunks(ctx.res, jsonArrayPieces(objects));
    } else {
      // UNVERIFIED: the spec says only "text"; text/csv is what a browser download shows.
      const type = format === "csv" ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8";
      ctx.res.writeHead(200, { "content-type": type });
      await writeChunks(ctx.res, textLines(outcome.fields, rows, format as "csv" | "txt"));
    }
    if (!ctx.res.destroyed) ctx.res.end();
  }

  function savedQueryRequest(query: SavedQuery): QueryRequest {
    return { ...query, fields: [...query.fields], sorts: [...query.sorts] };
  }

  async function runLook(ctx: Ctx) {
    const look = looks.get(ctx.params.look_id!);
    const query = look && savedQueries.get(String(look.queryId));
    if (!query) return sendError(ctx, 404, "Not found");
    await respondWithQuery(ctx, savedQueryRequest(query));
  }

  async function runQuery(ctx: Ctx) {
    const query = savedQueries.get(ctx.params.query_id!);
    if (!query) return sendError(ctx, 404, "Not found");
    await respondWithQuery(ctx, savedQueryRequest(query));
  }

  async function runInlineQuery(ctx: Ctx) {
    const body = await readJsonObject(ctx);
    if (!body.ok) return;
    const query = body.value;
    const errors: ValidationDetail[] = [];
    for (const key of ["model", "view"]) {
      const value = query[key];
      if (value === undefined || value === null || value === "") {
        errors.push({ field: key, code: "missing", message: "This field is required." });
      } else if (typeof value !== "string") {
        errors.push({ field: key, code: "invalid", message: "Must be a string." });
      }
    }
    const stringArray = (key: string): string[] => {
      const value = query[key] ?? [];
      if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
      errors.push({ field: key, code: "invalid", message: "Must be an array of strings." });
      return [];
    };
    const fields = stringArray("fields");
    const sorts = stringArray("sorts");
    const filters: Record<string, string> = {};
    const rawFilters = query.filters ?? {};
    if (isRecord(rawFilters) && Object.values(rawFilters).every((v) => typeof v === "string")) {
      Object.assign(filters, rawFilters);
    } else {
      errors.push({ field: "filters", code: "invalid", message: "Must map fields to strings." });
    }
    // `limit` is a string in the Query schema; the fake refuses a number so a client keeps to it
    // (UNVERIFIED whether Looker would coerce one).
    const limit = query.limit ?? null;
    if (limit !== null && (typeof limit !== "string" || !/^-?\d+$/.test(limit.trim()))) {
      errors.push({ field: "limit", code: "invalid", message: 'Must be a string such as "500".' });
    }
    if (Array.isArray(query.pivots) && query.pivots.length > 0) {
      return sendError(ctx, 400, "The fake Looker does not pivot results.");
    }
    if (errors.length > 0) return sendValidation(ctx, errors);
    await respondWithQuery(ctx, {
      model: query.model as string,
      view: query.view as string,
      fields,
      filters,
      sorts,
      limit: limit as string | null,
    });
  }

  function lookWithQuery(look: (typeof SEED_LOOKS)[number]) {
    const query = savedQueries.get(String(look.queryId))!;
    return {
      ...lookSummary(look, createdAtIso),
      url: `/looks/${look.id}`,
      query: {
        id: String(query.id),
        model: query.model,
        view: query.view,
        fields: query.fields,
        pivots: null,
        filters: Object.keys(query.filters).length > 0 ? query.filters : null,
        sorts: query.sorts,
        limit: query.limit,
        query_timezone: null,
        has_table_calculations: false,
      },
    };
  }

  function getLook(ctx: Ctx) {
    const look = looks.get(ctx.params.look_id!);
    if (!look) return sendError(ctx, 404, "Not found");
    sendJson(ctx.res, 200, pickFields(lookWithQuery(look), ctx.url.searchParams.get("fields")));
  }

  function allLooks(ctx: Ctx) {
    const fields = ctx.url.searchParams.get("fields");
    sendJson(
      ctx.res,
      200,
      [...looks.values()].map((look) => pickFields(lookSummary(look, createdAtIso), fields)),
    );
  }

  // search_looks for a picker: title (LIKE, case-insensitive), id and query_id lists, sorts on
  // id or title, limit and offset. Every other criterion is ignored.
  function searchLooks(ctx: Ctx) {
    const params = ctx.url.searchParams;
    const title = params.get("title");
    const idList = (name: string) =>
      params
        .get(name)
        ?.split(",")
        .map((v) => v.trim());
    const ids = idList("id");
    const queryIds = idList("query_id");
    let found = [...looks.values()].filter(
      (look) =>
        (title === null || likeRegExp(title).test(look.title)) &&
        (!ids || ids.includes(String(look.id))) &&
        (!queryIds || queryIds.includes(String(look.queryId))),
    );
    const [sortField, direction] = (params.get("sorts") ?? "id").trim().split(/\s+/);
    found.sort((a, b) => (sortField === "title" ? a.title.localeCompare(b.title) : a.id - b.id));
    if (direction?.toLowerCase() === "desc") found.reverse();
    const offset = Number(params.get("offset") ?? 0);
    const limit = params.get("limit");
    if (!Number.isInteger(offset) || offset < 0 || (limit !== null && !/^\d+$/.test(limit))) {
      return sendError(ctx, 400, "limit and offset must be non-negative integers.");
    }
    found = found.slice(offset, limit === null ? undefined : offset + Number(limit));
    sendJson(
      ctx.res,
      200,
      found.map((look) => pickFields(lookSummary(look, createdAtIso), params.get("fields"))),
    );
  }

  function findDatagroup(ctx: Ctx): DatagroupState | undefined {
    const group = datagroups.find((candidate) => candidate.id === ctx.params.datagroup_id);
    if (!group) sendError(ctx, 404, "Not found");
    return group;
  }

  async function updateDatagroup(ctx: Ctx) {
    const group = findDatagroup(ctx);
    if (!group) return;
    const body = await readJsonObject(ctx);
    if (!body.ok) return;
    const errors: ValidationDetail[] = [];
    const updates: Partial<Record<"stale_before" | "triggered_at", number | null>> = {};
    for (const key of ["stale_before", "triggered_at"] as const) {
      if (!(key in body.value)) continue;
      const value = body.value[key];
      if (value === null) updates[key] = null;
      else if (typeof value !== "number" || !Number.isInteger(value)) {
        errors.push({ field: key, code: "invalid", message: "Must be a UNIX timestamp." });
      } else if (value > nowSeconds()) {
        errors.push({ field: key, code: "invalid", message: "Cannot be in the future." });
      } else updates[key] = value;
    }
    if (errors.length > 0) return sendValidation(ctx, errors);
    // Other (read-only) properties in the body are ignored.
    if (updates.stale_before !== undefined) group.stale_before = updates.stale_before;
    if (updates.triggered_at !== undefined) {
      group.triggered_at = updates.triggered_at;
      // Triggering rebuilds the PDTs persisted with the datagroup; the fake does so at once.
      if (updates.triggered_at !== null) {
        for (const table of derivedTables) {
          if (table.datagroupId === group.id) table.builds += 1;
        }
      }
    }
    sendJson(ctx.res, 200, datagroupJson(group));
  }

  function materializationJson(build: Materialization) {
    const runtime =
      build.state === "complete" ? Math.round(Date.now() - build.startedAt) / 1000 : null;
    return {
      materialization_id: build.id,
      // resp_text is a JSON document in a string, as seen from a real instance (Airflow's Looker
      // hook parses its "status": added, pending, running, complete, error, killed or unknown).
      resp_text: JSON.stringify({
        status: build.state,
        runtime,
        message: `Materialize ${build.table.view}, `,
        task_slug: build.taskSlug,
      }),
    };
  }

  function startPdtBuild(ctx: Ctx) {
    const table = derivedTables.find(
      (candidate) =>
        candidate.model === ctx.params.model_name && candidate.view === ctx.params.view_name,
    );
    if (!table) return sendError(ctx, 404, "Not found");
    const workspace = ctx.url.searchParams.get("workspace");
    if (workspace !== null && workspace !== "production" && workspace !== "dev") {
      return sendError(ctx, 400, "workspace must be 'dev' or 'production'.");
    }
    const build: Materialization = {
      id: String(nextMaterializationId++),
      table,
      polls: 0,
      state: "running",
      startedAt: Date.now(),
      taskSlug: randomBytes(16).toString("hex"),
    };
    materializations.set(build.id, build);
    // UNVERIFIED: what start puts in resp_text; the only observed answer had none.
    sendJson(ctx.res, 200, { materialization_id: build.id, resp_text: null });
  }

  function findMaterialization(ctx: Ctx): Materialization | undefined {
    const build = materializations.get(ctx.params.materialization_id!);
    if (!build) sendError(ctx, 404, "Not found");
    return build;
  }

  function checkPdtBuild(ctx: Ctx) {
    const build = findMaterialization(ctx);
    if (!build) return;
    build.polls += 1;
    if (build.state === "running" && build.polls >= pdtPollsUntilDone) {
      build.state = "complete";
      build.table.builds += 1;
    }
    sendJson(ctx.res, 200, materializationJson(build));
  }

  function stopPdtBuild(ctx: Ctx) {
    const build = findMaterialization(ctx);
    if (!build) return;
    const stopped = build.state === "running";
    if (stopped) build.state = "killed";
    sendJson(ctx.res, 200, {
      materialization_id: build.id,
      // Shape (and the "statusment" spelling) as seen from a real instance. UNVERIFIED: the
      // answer for a build that is no longer running.
      resp_text: JSON.stringify({
        success: stopped,
        connection: "thelook_db",
        statusment: stopped ? `KILL ${build.id}` : null,
        task_slug: build.taskSlug,
      }),
    });
  }

  const routes: Route[] = [
    { method: "DELETE", template: "/logout", handle: logout },
    { method: "GET", template: "/looks", handle: allLooks },
    { method: "GET", template: "/looks/search", handle: searchLooks },
    { method: "GET", template: "/looks/:look_id", handle: getLook },
    { method: "GET", template: "/looks/:look_id/run/:result_format", handle: runLook },
    { method: "GET", template: "/queries/:query_id/run/:result_format", handle: runQuery },
    { method: "POST", template: "/queries/run/:result_format", handle: runInlineQuery },
    {
      method: "GET",
      template: "/datagroups",
      handle: (ctx) => sendJson(ctx.res, 200, datagroups.map(datagroupJson)),
    },
    {
      method: "GET",
      template: "/datagroups/:datagroup_id",
      handle: (ctx) => {
        const group = findDatagroup(ctx);
        if (group) sendJson(ctx.res, 200, datagroupJson(group));
      },
    },
    { method: "PATCH", template: "/datagroups/:datagroup_id", handle: updateDatagroup },
    // start and stop are GETs in the spec, odd as that is.
    {
      method: "GET",
      template: "/derived_table/:model_name/:view_name/start",
      handle: startPdtBuild,
    },
    { method: "GET", template: "/derived_table/:materialization_id/status", handle: checkPdtBuild },
    { method: "GET", template: "/derived_table/:materialization_id/stop", handle: stopPdtBuild },
  ];
  const loginRoute: Route = { method: "POST", template: "/login", handle: login };

  const server = await listenFake(options.port, async (req, res, url) => {
    const entry: FakeLookerRequest = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      at: Date.now(),
      // Read from the response, so a streamed body's request shows its status before it ends.
      get status() {
        return res.headersSent ? res.statusCode : 0;
      },
      ...(req.headers.authorization !== undefined ? { auth: req.headers.authorization } : {}),
    };
    requests.push(entry);

    if (failures.remaining > 0) {
      failures.remaining -= 1;
      const { status, body } = failures;
      if (body !== undefined) return sendJson(res, status, body);
      return sendJson(res, status, {
        message: STATUS_CODES[status] ?? "Error",
        documentation_url: documentationUrl(
          status,
          entry.method,
          url.pathname.replace(API_PREFIX, ""),
        ),
      });
    }

    if (!url.pathname.startsWith(`${API_PREFIX}/`)) {
      return sendText(res, 404, "Not found\n");
    }
    const segments = url.pathname.slice(API_PREFIX.length).split("/").slice(1);
    const loginParams = matchRoute(loginRoute, segments);
    if (loginParams) {
      const loginCtx: Ctx = { req, res, url, params: loginParams, route: loginRoute };
      if (req.method !== "POST") return sendError(loginCtx, 404, "Not found");
      return login(loginCtx);
    }
    // Every other route, and every unknown one, needs a live token first.
    let matched: Ctx | undefined;
    for (const route of routes) {
      const params = matchRoute(route, segments);
      if (params && route.method === req.method) {
        matched = { req, res, url, params, route };
        break;
      }
    }
    const unknown: Route = {
      method: entry.method,
      template: url.pathname.slice(API_PREFIX.length),
      handle: () => {},
    };
    const ctx: Ctx = matched ?? { req, res, url, params: {}, route: unknown };
    if (!validToken(req)) return sendError(ctx, 401, "Requires authentication.");
    // Looker has no route that takes rows; those, and a known path with the wrong method, are 404.
    if (!matched) return sendError(ctx, 404, "Not found");
    await matched.route.handle(matched);
  });

  return {
    url: server.url,
    clientId,
    clientSecret,
    looks: SEED_LOOKS.map(({ id, title, queryId }) => ({ id, title, queryId })),
    datagroups: () =>
      datagroups.map(({ id, model_name, name, stale_before, triggered_at }) => ({
        id,
        model_name,
        name,
        stale_before,
        triggered_at,
      })),
    derivedTables: () => derivedTables.map(({ model, view, builds }) => ({ model, view, builds })),
    requests,
    expireTokens: () => tokens.clear(),
    failNext(n, status, body) {
      failures = { remaining: n, status, body };
    },
    close: () => server.close(),
  };
}
