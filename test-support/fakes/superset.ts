// Fake Apache Superset: FAB JWT login/refresh, optional CSRF on chart data, and the chart data
// endpoints exporting CSV or JSON. What it enforces, and the sources: docs/fakes.md.
import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import JSZip from "jszip";
import { parseRison } from "./rison";
import {
  bearerToken,
  isRecord,
  listenFake,
  mediaType,
  parseCookies,
  parseJson,
  readBody,
  redirect,
  sendJson,
} from "./fake-http";
import { decodeJwt, nowSeconds, signJwt, verifyJwt } from "./jwt";
import {
  bigTable,
  csvText,
  jsonArrayPieces,
  rowObjects,
  writeChunks,
  writeCsv,
  type FakeTable,
} from "./report-data";

export type FakeSupersetUser = { username: string; password: string };

export type FakeSupersetOptions = {
  port?: number;
  users?: FakeSupersetUser[];
  accessTtlMs?: number;
  // Deployments may drop chart data from WTF_CSRF_EXEMPT_LIST; then it needs token + cookie.
  csrfOnChartData?: boolean;
  // Flask-WTF's WTF_CSRF_TIME_LIMIT; 0 makes every CSRF token expired as soon as it is issued.
  csrfTtlMs?: number;
  // Releases before /api/v1/me/ answer it as an unknown URL.
  hasMeEndpoint?: boolean;
  // Superset's flask-limiter (production only); beyond it: 429 without Retry-After.
  rateLimitPerSecond?: number;
};

export type FakeSuperset = {
  url: string;
  close(): Promise<void>;
  // Every access token issued so far answers 401 "Token has expired"; refresh tokens still work.
  expireAccessTokens(): void;
  // Every CSRF token issued so far is past its time limit ("The CSRF token has expired.").
  expireCsrfTokens(): void;
  // CSRF tokens issued (GET /api/v1/security/csrf_token/).
  csrfTokensIssued(): number;
  // Successful logins.
  logins(): number;
  // Successful refreshes.
  refreshes(): number;
  // Chart data requests (POST /api/v1/chart/data or GET /api/v1/chart/:pk/data/) answered 200.
  chartDataCalls(): number;
};

export const FAKE_SUPERSET_DEFAULTS = {
  users: [{ username: "svc", password: "superset-pass-1" }],
  // flask-jwt-extended defaults.
  accessTtlMs: 15 * 60 * 1000,
  refreshTtlMs: 30 * 24 * 60 * 60 * 1000,
  // Flask-WTF WTF_CSRF_TIME_LIMIT.
  csrfTtlMs: 3600 * 1000,
} as const;

const DEFAULT_ROW_LIMIT = 50_000; // ROW_LIMIT
const MAX_ROW_LIMIT = 100_000; // SQL_MAX_ROW
const RESULT_FORMATS = ["csv", "json", "xlsx"];
const RESULT_TYPES = [
  "columns",
  "full",
  "query",
  "results",
  "samples",
  "timegrains",
  "post_processed",
  "drill_detail",
];
const DATASOURCE_TYPES = ["sl_table", "table", "dataset", "query", "saved_query", "view"];
const DATASETS = new Map<string, { name: string }>([["7:table", { name: "customers" }]]);

const NO_QUERY_CONTEXT = "Chart has no query context saved. Please save the chart again.";
type FakeChart = { name: string; vizType: string; queryContext?: Record<string, unknown> };
const CUSTOMERS_CONTEXT = {
  datasource: { id: 7, type: "table" },
  queries: [{ columns: ["id", "name", "amount", "created_at"], row_limit: 1000 }],
  result_format: "json",
  result_type: "full",
};
const SAVED_CHARTS = new Map<number, FakeChart>([
  [5, { name: "Customers table", vizType: "table", queryContext: CUSTOMERS_CONTEXT }],
  [6, { name: "Unsaved context", vizType: "big_number" }],
  // enough charts that the list has to be paged
  ...Array.from({ length: 40 }, (_, i): [number, FakeChart] => [
    100 + i,
    {
      name: `Revenue by week ${String(i + 1).padStart(2, "0")}`,
      vizType: "echarts_timeseries_line",
      queryContext: CUSTOMERS_CONTEXT,
    },
  ]),
]);

// GET /api/v1/chart/ (charts/api.py on Flask-AppBuilder's list API): the rison keys FAB's
// get_list schema allows, the columns the chart API searches and orders by, and the filter
// operators the fake knows for them (`chart_all_text` is ChartAllTextFilter's).
const LIST_KEYS = new Set([
  "columns",
  "filters",
  "keys",
  "order_column",
  "order_direction",
  "page",
  "page_size",
  "select_columns",
]);
const FILTER_OPERATORS: Record<string, string[]> = {
  slice_name: ["chart_all_text", "ct", "eq", "sw"],
  viz_type: ["eq", "neq"],
  id: ["eq"],
};
const ORDER_COLUMNS = new Set(["slice_name", "viz_type", "changed_on_delta_humanized"]);
// FAB_API_MAX_PAGE_SIZE's default; FAB lowers a larger page_size to it
const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 20;

const NOT_AUTHORIZED = { message: "Not authorized" };
const MISSING = "Missing data for required field.";

type TokenType = "access" | "refresh";

// Marshmallow's errors reach clients via str(dict), i.e. Python repr, inside the message.
function pythonRepr(value: unknown): string {
  if (typeof value === "string") return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(", ")}]`;
  if (isRecord(value)) {
    const entries = Object.entries(value).map(
      ([key, item]) => `${/^\d+$/.test(key) ? key : pythonRepr(key)}: ${pythonRepr(item)}`,
    );
    return `{${entries.join(", ")}}`;
  }
  if (value === true) return "True";
  if (value === false) return "False";
  if (value === null || value === undefined) return "None";
  return String(value);
}

function mustBeOneOf(choices: string[]) {
  return [`Must be one of: ${choices.join(", ")}.`];
}

type QueryContext = {
  datasetKey: string;
  rowLimits: number[];
  resultFormat: string;
  resultType: string;
};

function validateQueryContext(
  body: unknown,
): { ok: true; value: QueryContext } | { ok: false; errors: Record<string, unknown> } {
  if (!isRecord(body)) return { ok: false, errors: { _schema: ["Invalid input type."] } };
  const errors: Record<string, unknown> = {};

  const datasource = body.datasource;
  if (datasource === undefined) errors.datasource = [MISSING];
  else if (!isRecord(datasource)) errors.datasource = { _schema: ["Invalid input type."] };
  else {
    const nested: Record<string, string[]> = {};
    if (datasource.id === undefined || datasource.id === null) nested.id = [MISSING];
    else if (typeof datasource.id !== "number" && typeof datasource.id !== "string") {
      nested.id = ["Not a valid integer."];
    }
    if (datasource.type === undefined) nested.type = [MISSING];
    else if (!DATASOURCE_TYPES.includes(String(datasource.type))) {
      nested.type = mustBeOneOf(DATASOURCE_TYPES);
    }
    if (Object.keys(nested).length > 0) errors.datasource = nested;
  }

  const rowLimits: number[] = [];
  const queries = body.queries;
  if (queries === undefined) errors.queries = [MISSING];
  else if (!Array.isArray(queries)) errors.queries = ["Not a valid list."];
  else {
    const perQuery: Record<string, unknown> = {};
    queries.forEach((query: unknown, index) => {
      if (!isRecord(query)) {
        perQuery[index] = { _schema: ["Invalid input type."] };
        return;
      }
      const limit = query.row_limit;
      if (limit === undefined || limit === null) rowLimits.push(0);
      else if (!Number.isInteger(limit)) perQuery[index] = { row_limit: ["Not a valid integer."] };
      else if ((limit as number) < 0) {
        perQuery[index] = { row_limit: ["`row_limit` must be greater than or equal to 0"] };
      } else rowLimits.push(limit as number);
    });
    if (Object.keys(perQuery).length > 0) errors.queries = perQuery;
  }

  const resultFormat = body.result_format ?? "json";
  if (!RESULT_FORMATS.includes(String(resultFormat))) {
    errors.result_format = mustBeOneOf(RESULT_FORMATS);
  }
  const resultType = body.result_type ?? "full";
  if (!RESULT_TYPES.includes(String(resultType))) errors.result_type = mustBeOneOf(RESULT_TYPES);

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const source = datasource as Record<string, unknown>;
  return {
    ok: true,
    value: {
      datasetKey: `${String(source.id)}:${String(source.type)}`,
      rowLimits,
      resultFormat: String(resultFormat),
      resultType: String(resultType),
    },
  };
}

function effectiveRowLimit(requested: number): number {
  return Math.min(requested === 0 ? DEFAULT_ROW_LIMIT : requested, MAX_ROW_LIMIT);
}

// Superset's GenericDataType: NUMERIC 0, STRING 1, TEMPORAL 2.
function genericTypes(table: FakeTable): number[] {
  if (table.rowCount === 0) return table.columns.map(() => 1);
  return table.row(0).map((value) => {
    if (typeof value === "number") return 0;
    return /^\d{4}-\d{2}-\d{2}T/.test(value) ? 2 : 1;
  });
}

function fileTimestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "_").replace(/\..*$/, "");
}

function csrfFailure(res: ServerResponse, reason: string) {
  sendJson(res, 400, {
    errors: [
      {
        message: `400 Bad Request: ${reason}`,
        error_type: "GENERIC_BACKEND_ERROR",
        level: "error",
        extra: {},
      },
    ],
  });
}

export async function startFakeSuperset(options: FakeSupersetOptions = {}): Promise<FakeSuperset> {
  const users = options.users ?? FAKE_SUPERSET_DEFAULTS.users;
  const accessTtlMs = options.accessTtlMs ?? FAKE_SUPERSET_DEFAULTS.accessTtlMs;
  const secret = randomBytes(32);
  const liveAccessJtis = new Set<string>();
  const expiredAccessJtis = new Set<string>();
  const csrfSessions = new Map<string, { token: string; issuedAt: number }>();
  const csrfTtlMs = options.csrfTtlMs ?? FAKE_SUPERSET_DEFAULTS.csrfTtlMs;
  let csrfIssued = 0;
  let loginCount = 0;
  let refreshCount = 0;
  let chartDataCount = 0;
  let windowStart = 0;
  let requestsInWindow = 0;

  function issueToken(userId: number, type: TokenType, fresh: boolean): string {
    const iat = nowSeconds();
    const ttlMs = type === "access" ? accessTtlMs : FAKE_SUPERSET_DEFAULTS.refreshTtlMs;
    const jti = randomUUID();
    if (type === "access") liveAccessJtis.add(jti);
    return signJwt(
      { fresh, iat, jti, type, sub: String(userId), nbf: iat, exp: iat + Math.ceil(ttlMs / 1000) },
      { alg: "HS256", secret },
    );
  }

  // flask-jwt-extended: 422 for malformed/forged or wrong-type tokens, 401 once expired.
  function checkToken(
    token: string,
    expected: TokenType,
  ): { ok: true; userId: number } | { ok: false; status: number; msg: string } {
    const decoded = decodeJwt(token);
    if (!decoded) return { ok: false, status: 422, msg: "Not enough segments" };
    if (!verifyJwt(decoded, { alg: "HS256", secret })) {
      return { ok: false, status: 422, msg: "Signature verification failed" };
    }
    const { exp, type, jti, sub } = decoded.claims;
    if (typeof exp !== "number" || exp <= nowSeconds() || expiredAccessJtis.has(String(jti))) {
      return { ok: false, status: 401, msg: "Token has expired" };
    }
    if (type !== expected) {
      const msg =
        expected === "access"
          ? "Only non-refresh tokens are allowed"
          : "Only refresh tokens are allowed";
      return { ok: false, status: 422, msg };
    }
    const userId = Number(sub);
    if (!users[userId - 1]) return { ok: false, status: 401, msg: "User not found" };
    return { ok: true, userId };
  }

  // Protected API endpoints: FAB answers a missing token with its own 401 body.
  function requireAccess(req: IncomingMessage, res: ServerResponse): number | undefined {
    const token = bearerToken(req);
    if (!token) {
      sendJson(res, 401, NOT_AUTHORIZED);
      return undefined;
    }
    const checked = checkToken(token, "access");
    if (!checked.ok) {
      sendJson(res, checked.status, { msg: checked.msg });
      return undefined;
    }
    return checked.userId;
  }

  async function login(req: IncomingMessage, res: ServerResponse) {
    const raw = (await readBody(req)).toString("utf8");
    const parsed = mediaType(req) === "application/json" ? parseJson(raw) : { ok: false as const };
    if (!parsed.ok) return sendJson(res, 400, { message: "Request payload is not JSON" });
    const body = parsed.value;
    if (!isRecord(body))
      return sendJson(res, 400, { message: { _schema: ["Invalid input type."] } });
    const errors: Record<string, string[]> = {};
    for (const field of ["username", "password", "provider"]) {
      if (body[field] === undefined) errors[field] = [MISSING];
      else if (typeof body[field] !== "string") errors[field] = ["Not a valid string."];
    }
    if (!errors.provider && !["db", "ldap"].includes(body.provider as string)) {
      errors.provider = mustBeOneOf(["db", "ldap"]);
    }
    if (body.refresh !== undefined && typeof body.refresh !== "boolean") {
      errors.refresh = ["Not a valid boolean."];
    }
    if (Object.keys(errors).length > 0) return sendJson(res, 400, { message: errors });

    const index = users.findIndex(
      (user) => user.username === body.username && user.password === body.password,
    );
    if (index < 0) return sendJson(res, 401, NOT_AUTHORIZED);
    loginCount += 1;
    const tokens: Record<string, string> = { access_token: issueToken(index + 1, "access", true) };
    if (body.refresh === true) tokens.refresh_token = issueToken(index + 1, "refresh", false);
    sendJson(res, 200, tokens);
  }

  function refresh(req: IncomingMessage, res: ServerResponse) {
    const token = bearerToken(req);
    if (!token) return sendJson(res, 401, { msg: "Missing Authorization Header" });
    const checked = checkToken(token, "refresh");
    if (!checked.ok) return sendJson(res, checked.status, { msg: checked.msg });
    refreshCount += 1;
    sendJson(res, 200, { access_token: issueToken(checked.userId, "access", false) });
  }

  function csrfToken(req: IncomingMessage, res: ServerResponse) {
    if (requireAccess(req, res) === undefined) return;
    const session = randomBytes(24).toString("base64url");
    const token = randomBytes(20).toString("hex");
    csrfSessions.set(session, { token, issuedAt: Date.now() });
    csrfIssued += 1;
    sendJson(
      res,
      200,
      { result: token },
      { "set-cookie": `session=${session}; HttpOnly; Path=/; SameSite=Lax` },
    );
  }

  // Flask-WTF runs before the view, so it rejects even requests that would fail auth later.
  function passesCsrf(req: IncomingMessage, res: ServerResponse): boolean {
    if (!options.csrfOnChartData) return true;
    const reject = (reason: string) => {
      if (mediaType(req) === "application/json") csrfFailure(res, reason);
      else redirect(res, 302, "/login/");
      return false;
    };
    const header = req.headers["x-csrftoken"] ?? req.headers["x-csrf-token"];
    const sent = Array.isArray(header) ? header[0] : header;
    if (!sent) return reject("The CSRF token is missing.");
    const sessionId = parseCookies(req).get("session");
    const session = sessionId ? csrfSessions.get(sessionId) : undefined;
    if (!session) return reject("The CSRF session token is missing.");
    // itsdangerous' max_age: a token older than the time limit is refused
    if (Date.now() - session.issuedAt >= csrfTtlMs) return reject("The CSRF token has expired.");
    if (session.token !== sent) return reject("The CSRF tokens do not match.");
    return true;
  }

  async function answerQueryContext(res: ServerResponse, body: unknown) {
    const validated = validateQueryContext(body);
    if (!validated.ok) {
      return sendJson(res, 400, {
        message: `Request is incorrect: ${pythonRepr(validated.errors)}`,
      });
    }
    const context = validated.value;
    const dataset = DATASETS.get(context.datasetKey);
    if (!dataset) return sendJson(res, 404, { message: "Not found" });
    if (context.rowLimits.length === 0) {
      return sendJson(res, 400, { message: "Request is incorrect: no queries to run" });
    }
    if (context.resultFormat === "xlsx") {
      return sendJson(res, 501, { message: "The Superset fake does not produce xlsx." });
    }
    const tables = context.rowLimits.map((limit) => bigTable(effectiveRowLimit(limit)));

    if (context.resultFormat === "csv") {
      chartDataCount += 1;
      if (tables.length > 1) {
        // as charts/data/api.py does: several queries come back as one ZIP, a query_N.csv each
        const zip = new JSZip();
        tables.forEach((table, index) =>
          zip.file(`query_${index + 1}.csv`, csvText(table, { lineEnding: "\n" })),
        );
        const bytes = await zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" });
        res.writeHead(200, {
          "content-type": "application/zip",
          "content-disposition": `attachment; filename=${fileTimestamp()}.zip`,
          "content-length": bytes.length,
        });
        return res.end(bytes);
      }
      res.writeHead(200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename=superset_${dataset.name}_${fileTimestamp()}.csv`,
      });
      return writeCsv(res, tables[0]!, { lineEnding: "\n" });
    }

    chartDataCount += 1;
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    const pieces = function* () {
      yield '{"result":[';
      for (const [index, table] of tables.entries()) {
        const head = JSON.stringify({
          colnames: table.columns,
          coltypes: genericTypes(table),
          status: "success",
          is_cached: false,
          query: `SELECT ${table.columns.join(", ")} FROM ${dataset.name} LIMIT ${table.rowCount}`,
        }).slice(0, -1);
        yield* jsonArrayPieces(
          rowObjects(table),
          `${index === 0 ? "" : ","}${head},"data":`,
          (count) => {
            return `,"rowcount":${count}}`;
          },
        );
      }
      yield "]}";
    };
    await writeChunks(res, pieces());
    if (!res.destroyed) res.end();
  }

  async function chartData(req: IncomingMessage, res: ServerResponse) {
    if (!passesCsrf(req, res)) return;
    if (requireAccess(req, res) === undefined) return;
    const raw = (await readBody(req)).toString("utf8");
    let body: unknown = undefined;
    const type = mediaType(req);
    if (type === "application/json") {
      const parsed = parseJson(raw);
      if (parsed.ok) body = parsed.value;
    } else if (type === "application/x-www-form-urlencoded") {
      // The legacy CSV export form posts the query context as a JSON string field.
      const formData = new URLSearchParams(raw).get("form_data");
      const parsed = formData ? parseJson(formData) : undefined;
      if (parsed?.ok) body = parsed.value;
    }
    if (body === undefined || body === null) {
      return sendJson(res, 400, { message: "Request is not JSON" });
    }
    await answerQueryContext(res, body);
  }

  async function savedChartData(req: IncomingMessage, res: ServerResponse, url: URL, pk: string) {
    if (requireAccess(req, res) === undefined) return;
    const chart = /^\d+$/.test(pk) ? SAVED_CHARTS.get(Number(pk)) : undefined;
    if (!chart) return sendJson(res, 404, { message: "Not found" });
    if (!chart.queryContext) return sendJson(res, 400, { message: NO_QUERY_CONTEXT });
    await answerQueryContext(res, {
      ...chart.queryContext,
      result_format: url.searchParams.get("format") ?? "json",
      result_type: url.searchParams.get("type") ?? "full",
    });
  }

  function listCharts(req: IncomingMessage, res: ServerResponse, url: URL) {
    if (requireAccess(req, res) === undefined) return;
    let args: unknown = {};
    const q = url.searchParams.get("q");
    if (q !== null) {
      try {
        args = parseRison(q);
      } catch {
        return sendJson(res, 400, { message: "Not a valid rison argument" });
      }
    }
    if (!isRecord(args)) return sendJson(res, 400, { message: "Not a valid rison schema" });
    const unknown = Object.keys(args).filter((key) => !LIST_KEYS.has(key));
    if (unknown.length > 0) {
      return sendJson(res, 400, {
        message: `Additional properties are not allowed (${unknown.map((k) => `'${k}'`).join(", ")} were unexpected)`,
      });
    }
    const page = args.page ?? 0;
    const pageSize = args.page_size ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(page) || (page as number) < 0) {
      return sendJson(res, 400, { message: `${pythonRepr(page)} is not of type 'integer'` });
    }
    if (!Number.isInteger(pageSize)) {
      return sendJson(res, 400, { message: `${pythonRepr(pageSize)} is not of type 'integer'` });
    }
    let charts = [...SAVED_CHARTS];
    for (const filter of Array.isArray(args.filters) ? args.filters : []) {
      if (!isRecord(filter)) return sendJson(res, 400, { message: "Not a valid rison schema" });
      const col = String(filter.col);
      const opr = String(filter.opr);
      if (!FILTER_OPERATORS[col]?.includes(opr)) {
        return sendJson(res, 400, { message: `Filter column: ${col} not allowed to filter` });
      }
      const value = String(filter.value ?? "").toLowerCase();
      charts = charts.filter(([id, chart]) => {
        const field = (
          col === "id" ? String(id) : col === "viz_type" ? chart.vizType : chart.name
        ).toLowerCase();
        if (opr === "chart_all_text") {
          return [chart.name, chart.vizType, "customers"].some((text) =>
            text.toLowerCase().includes(value),
          );
        }
        if (opr === "ct") return field.includes(value);
        if (opr === "sw") return field.startsWith(value);
        if (opr === "neq") return field !== value;
        return field === value;
      });
    }
    const orderColumn = args.order_column;
    if (orderColumn !== undefined && !ORDER_COLUMNS.has(String(orderColumn))) {
      return sendJson(res, 400, { message: `Invalid order by column: ${String(orderColumn)}` });
    }
    if (orderColumn === "slice_name" || orderColumn === "viz_type") {
      const key = (chart: FakeChart) => (orderColumn === "slice_name" ? chart.name : chart.vizType);
      charts.sort(([, a], [, b]) => key(a).localeCompare(key(b)));
      if (args.order_direction === "desc") charts.reverse();
    }
    const size =
      (pageSize as number) > MAX_PAGE_SIZE || (pageSize as number) < 1
        ? MAX_PAGE_SIZE
        : (pageSize as number);
    const slice = charts.slice((page as number) * size, (page as number) * size + size);
    const all = {
      id: 0,
      slice_name: "",
      viz_type: "",
      datasource_name_text: "customers",
      datasource_id: 7,
      datasource_type: "table",
    };
    const wanted = Array.isArray(args.columns) ? args.columns.map(String) : Object.keys(all);
    sendJson(res, 200, {
      count: charts.length,
      ids: slice.map(([id]) => id),
      result: slice.map(([id, chart]) => {
        const row: Record<string, unknown> = {
          ...all,
          id,
          slice_name: chart.name,
          viz_type: chart.vizType,
        };
        return Object.fromEntries(wanted.filter((k) => k in row).map((k) => [k, row[k]]));
      }),
      list_columns: wanted,
      list_title: "List Slice",
    });
  }

  function withinRateLimit(): boolean {
    if (options.rateLimitPerSecond === undefined) return true;
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      requestsInWindow = 0;
    }
    requestsInWindow += 1;
    return requestsInWindow <= options.rateLimitPerSecond;
  }

  const SAVED_CHART_DATA = /^\/api\/v1\/chart\/([^/]+)\/data(\/?)$/;

  const server = await listenFake(options.port, async (req, res, url) => {
    const path = url.pathname;
    const method = req.method ?? "GET";
    if (path === "/health") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end("OK");
      return;
    }
    if (!withinRateLimit()) {
      return sendJson(res, 429, {
        errors: [
          {
            message: `429 Too Many Requests: ${options.rateLimitPerSecond} per 1 second`,
            error_type: "GENERIC_BACKEND_ERROR",
            level: "error",
            extra: {},
          },
        ],
      });
    }
    if (path === "/api/v1/security/login" && method === "POST") return login(req, res);
    if (path === "/api/v1/security/refresh" && method === "POST") return refresh(req, res);
    if (path === "/api/v1/security/csrf_token/" && method === "GET") return csrfToken(req, res);
    if (path === "/api/v1/me/" && method === "GET" && options.hasMeEndpoint !== false) {
      const userId = requireAccess(req, res);
      if (userId === undefined) return;
      const username = users[userId - 1]!.username;
      return sendJson(res, 200, {
        result: {
          id: userId,
          username,
          first_name: username,
          last_name: "User",
          email: `${username}@example.com`,
          is_active: true,
          is_anonymous: false,
        },
      });
    }
    if (path === "/api/v1/chart/data" && method === "POST") return chartData(req, res);
    if (path === "/api/v1/chart/" && method === "GET") return listCharts(req, res, url);
    if (path === "/api/v1/chart" && method === "GET") {
      return redirect(res, 308, `${path}/${url.search}`);
    }

    const saved = SAVED_CHART_DATA.exec(path);
    if (saved && method === "GET") {
      // Werkzeug's strict slashes: the route is registered with a trailing slash.
      if (!saved[2]) return redirect(res, 308, `${path}/${url.search}`);
      return savedChartData(req, res, url, saved[1]!);
    }
    if (path === "/api/v1/security/csrf_token" || path === "/api/v1/me") {
      return redirect(res, 308, `${path}/${url.search}`);
    }
    if (path === "/api/v1/me/") {
      // no such route: Superset's HTTPException handler answers JSON unless the client wants HTML
      return sendJson(res, 404, {
        errors: [
          {
            message:
              "404 Not Found: The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
            error_type: "GENERIC_BACKEND_ERROR",
            level: "error",
            extra: {},
          },
        ],
      });
    }
    sendJson(res, 404, { message: "Not found" });
  });

  return {
    url: server.url,
    close: () => server.close(),
    expireAccessTokens() {
      for (const jti of liveAccessJtis) expiredAccessJtis.add(jti);
      liveAccessJtis.clear();
    },
    expireCsrfTokens() {
      for (const session of csrfSessions.values()) session.issuedAt = -Infinity;
    },
    csrfTokensIssued: () => csrfIssued,
    logins: () => loginCount,
    refreshes: () => refreshCount,
    chartDataCalls: () => chartDataCount,
  };
}
