// Fake Metabase: API-key or session auth, and the card / dashcard export endpoints with Metabase's
// body rules and its 200-with-error-body failure. What it enforces, and the sources: docs/fakes.md.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  isoNow,
  isRecord,
  listenFake,
  mediaType,
  parseCookies,
  parseJson,
  readBody,
  sendJson,
  sendText,
} from "./fake-http";
import {
  bigTable,
  drainedOrClosed,
  jsonArrayPieces,
  rowObjects,
  selectRows,
  SMALL_SALES,
  writeChunks,
  writeCsv,
  type FakeRow,
  type FakeTable,
} from "./report-data";

export type FakeMetabaseUser = { email: string; password: string };

export type FakeMetabaseOptions = {
  port?: number;
  apiKey?: string;
  users?: FakeMetabaseUser[];
  sessionMaxAgeMs?: number;
};

export type FakeMetabase = {
  url: string;
  close(): Promise<void>;
  // Every session issued so far becomes invalid (API keys keep working).
  expireSessions(): void;
  // Successful POST /api/session calls.
  logins(): number;
  // Export requests answered 200 (card 3's 200-with-error-body included).
  exports(): number;
  // Exports whose connection the client closed before the body was sent in full.
  abandonedExports(): number;
  // Body of the last export request that could be decoded (JSON or form), recorded before
  // validation so a rejected request can be inspected too. `parameters` is decoded to an array
  // and `format_rows` / `pivot_results` to booleans when they were sent.
  lastExportBody(): unknown;
};

export const FAKE_METABASE_DEFAULTS = {
  apiKey: "mb_test_key",
  users: [{ email: "analyst@example.com", password: "metabase-pass-1" }],
  // Metabase's MAX_SESSION_AGE default: 14 days from login, not sliding.
  sessionMaxAgeMs: 14 * 24 * 60 * 60 * 1000,
} as const;

const EXPORT_FORMATS = ["csv", "json", "xlsx", "api"] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

const REGION_TAG = ["template-tag", "region"];
const REGION_TARGETS = new Set([
  JSON.stringify(["variable", REGION_TAG]),
  JSON.stringify(["dimension", REGION_TAG]),
]);

type CardParameter = { target?: unknown; value?: unknown };

type FakeCard = {
  name: string;
  table: FakeTable;
  rowFilter(parameters: CardParameter[]): ((row: FakeRow) => boolean) | undefined;
  // Metabase has already sent 200 + CSV headers when the query fails, so the error lands in the
  // body, typed by its query processor (query_processor/error_type.clj): "invalid-query" for a
  // SQL error, "db" for trouble in the warehouse. `traceLines` adds a stack trace that long.
  failsWhileStreaming?: { errorType: string; message: string; traceLines?: number };
  // An export too big to build row by row in a test: the same block of rows, sent many times.
  bulkRows?: number;
  // The native query's template tags (lib/schema/template_tag.cljc), by name.
  templateTags?: Record<string, Record<string, unknown>>;
  collection?: string;
};

function noFilter() {
  return undefined;
}

// Category values arrive as a scalar or a list of scalars; null means "no filter".
function regionFilter(parameters: CardParameter[]) {
  const wanted = new Set<string>();
  for (const parameter of parameters) {
    if (!REGION_TARGETS.has(JSON.stringify(parameter.target))) continue;
    if (parameter.value === null || parameter.value === undefined) continue;
    const values: unknown[] = Array.isArray(parameter.value) ? parameter.value : [parameter.value];
    for (const value of values) wanted.add(String(value));
  }
  if (wanted.size === 0) return undefined;
  return (row: FakeRow) => wanted.has(String(row[0]));
}

const MISSING_TABLE = 'ERROR: relation "missing_table" does not exist';

const CARDS = new Map<number, FakeCard>([
  [
    1,
    {
      name: "Sales by region",
      table: SMALL_SALES,
      rowFilter: regionFilter,
      collection: "Sales",
      templateTags: {
        region: {
          id: "4f9c2b1e-region",
          name: "region",
          "display-name": "Region",
          type: "text",
          required: false,
        },
      },
    },
  ],
  [2, { name: "All customers", table: bigTable(100_000), rowFilter: noFilter }],
  [
    3,
    {
      name: "Broken query",
      table: SMALL_SALES,
      rowFilter: noFilter,
      failsWhileStreaming: { errorType: "invalid-query", message: MISSING_TABLE },
    },
  ],
  [
    4,
    {
      name: "Warehouse hiccup",
      table: SMALL_SALES,
      rowFilter: noFilter,
      failsWhileStreaming: {
        errorType: "db",
        message: "I/O error: the connection to the data warehouse was reset",
      },
    },
  ],
  [
    5,
    {
      name: "Broken query with a long trace",
      table: SMALL_SALES,
      rowFilter: noFilter,
      failsWhileStreaming: { errorType: "invalid-query", message: MISSING_TABLE, traceLines: 3000 },
    },
  ],
  [6, { name: "All events", table: SMALL_SALES, rowFilter: noFilter, bulkRows: 3_000_000 }],
  // enough saved questions that a listing has to be paged and a picker has to cap what it shows
  ...Array.from({ length: 60 }, (_, i): [number, FakeCard] => [
    100 + i,
    {
      name: `Weekly KPI ${String(i + 1).padStart(2, "0")}`,
      table: SMALL_SALES,
      rowFilter: noFilter,
      collection: "KPIs",
    },
  ]),
]);

// 20 bytes a row, so the bulk card's 3,000,000 rows make a 60 MB export
const BULK_HEADER = "id,region,amount\r\n";
const BULK_BLOCK_ROWS = 50_000;
const BULK_BLOCK = Buffer.from(
  Array.from(
    { length: BULK_BLOCK_ROWS },
    (_, i) => `${String(i).padStart(7, "0")},EU,1234.50\r\n`,
  ).join(""),
);
export const BULK_ROW_BYTES = 20;
export const BULK_HEADER_BYTES = BULK_HEADER.length;

type FakeDashboard = {
  name: string;
  // The dashboard's filters as GET /api/dashboard/:id lists them.
  parameters: Record<string, unknown>[];
  // Dashboard parameter id → the card target it is wired to.
  parameterTargets: Map<string, unknown>;
  // Dashcard id → card id.
  dashcards: Map<number, number>;
};

const DASHBOARDS = new Map<number, FakeDashboard>([
  [
    10,
    {
      name: "Regional overview",
      parameters: [{ id: "region_param", name: "Region", slug: "region", type: "string/=" }],
      parameterTargets: new Map([["region_param", ["variable", REGION_TAG]]]),
      dashcards: new Map([[20, 1]]),
    },
  ],
]);

const NOT_AN_ENDPOINT = "API endpoint does not exist.";
const POSITIVE_INT_MESSAGE = "value must be an integer greater than zero.";
const BOOLEAN_MESSAGE = "value must be a valid boolean string ('true' or 'false').";
const NON_BLANK_MESSAGE = "value must be a non-blank string.";
const NON_NEGATIVE_MESSAGE = "value must be an integer greater than or equal to zero.";
// search/config.clj's all-models
const SEARCH_MODELS = new Set([
  "dashboard",
  "metric",
  "segment",
  "indexed-entity",
  "card",
  "dataset",
  "collection",
  "table",
  "action",
  "database",
  "document",
  "transform",
]);

type Principal = { id: number; email: string; commonName: string };

type Session = { principal: Principal; createdAt: number };

function commonNameOf(email: string): string {
  const local = email.split("@")[0] ?? email;
  return local
    .split(/[._-]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join(" ");
}

function isNonBlankString(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}

function parseNonNegativeInt(text: string): number | undefined {
  return /^(0|[1-9]\d{0,9})$/.test(text) ? Number(text) : undefined;
}

function parsePositiveInt(text: string): number | undefined {
  return /^[1-9]\d{0,9}$/.test(text) ? Number(text) : undefined;
}

type Decoded<T> = { ok: true; value: T } | { ok: false; errors: Record<string, string> };

function decodeBoolean(value: unknown): boolean | undefined | "invalid" {
  if (value === undefined || value === null) return undefined;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return "invalid";
}

// The query string is never read here: since v0.53 export parameters come from the body only.
async function decodeExportBody(req: IncomingMessage): Promise<Decoded<Record<string, unknown>>> {
  const raw = (await readBody(req)).toString("utf8");
  if (raw.trim() === "") return { ok: true, value: {} };
  const type = mediaType(req);
  if (type === "application/json") {
    const parsed = parseJson(raw);
    if (!parsed.ok || !isRecord(parsed.value)) {
      return { ok: false, errors: { _error: "Malformed JSON in request body." } };
    }
    return { ok: true, value: parsed.value };
  }
  if (type === "application/x-www-form-urlencoded") {
    return { ok: true, value: Object.fromEntries(new URLSearchParams(raw)) };
  }
  return {
    ok: false,
    errors: {
      _error: "Content-Type must be application/json or application/x-www-form-urlencoded.",
    },
  };
}

type ExportBody = { parameters: Record<string, unknown>[]; recorded: Record<string, unknown> };

function validateExportBody(
  body: Record<string, unknown>,
  parametersNeedId: boolean,
): Decoded<ExportBody> {
  const errors: Record<string, string> = {};
  const recorded: Record<string, unknown> = { ...body };

  let parameters: unknown = body.parameters ?? [];
  if (typeof parameters === "string") {
    const parsed = parseJson(parameters);
    parameters = parsed.ok ? parsed.value : undefined;
  }
  if (!Array.isArray(parameters) || !parameters.every(isRecord)) {
    errors.parameters =
      "nullable sequence of parameter maps, or a JSON string encoding a sequence of parameter maps";
  } else if (parametersNeedId && !parameters.every((parameter) => isNonBlankString(parameter.id))) {
    errors.parameters = `every dashboard parameter needs an "id": ${NON_BLANK_MESSAGE}`;
  }
  if (body.parameters !== undefined && Array.isArray(parameters)) recorded.parameters = parameters;

  for (const flag of ["format_rows", "pivot_results"] as const) {
    const decoded = decodeBoolean(body[flag]);
    if (decoded === "invalid") errors[flag] = BOOLEAN_MESSAGE;
    else if (decoded !== undefined) recorded[flag] = decoded;
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { parameters: parameters as Record<string, unknown>[], recorded } };
}

type ExportTarget = { card: FakeCard; parameters: CardParameter[] };

export async function startFakeMetabase(options: FakeMetabaseOptions = {}): Promise<FakeMetabase> {
  const apiKey = options.apiKey ?? FAKE_METABASE_DEFAULTS.apiKey;
  const users = options.users ?? FAKE_METABASE_DEFAULTS.users;
  const sessionMaxAgeMs = options.sessionMaxAgeMs ?? FAKE_METABASE_DEFAULTS.sessionMaxAgeMs;
  const apiKeyPrincipal: Principal = {
    id: users.length + 1,
    email: "api-key-user@api-key.invalid",
    commonName: "DataHaul API Key",
  };
  const sessions = new Map<string, Session>();
  let loginCount = 0;
  let exportCount = 0;
  let abandonedCount = 0;
  let lastExport: unknown = undefined;

  function sessionPrincipal(id: string | undefined): Principal | undefined {
    if (!id) return undefined;
    const session = sessions.get(id);
    if (!session) return undefined;
    if (Date.now() - session.createdAt > sessionMaxAgeMs) {
      sessions.delete(id);
      return undefined;
    }
    return session.principal;
  }

  function authenticate(req: IncomingMessage): Principal | undefined {
    const key = req.headers["x-api-key"];
    if (typeof key === "string" && key === apiKey) return apiKeyPrincipal;
    return (
      sessionPrincipal(parseCookies(req).get("metabase.SESSION")) ??
      sessionPrincipal(header(req, "x-metabase-session"))
    );
  }

  async function login(req: IncomingMessage, res: ServerResponse) {
    const raw = (await readBody(req)).toString("utf8");
    let body: Record<string, unknown> = {};
    // Metabase only decodes JSON bodies; anything else reaches the schema as an empty body.
    if (mediaType(req) === "application/json" && raw.trim() !== "") {
      const parsed = parseJson(raw);
      if (!parsed.ok || !isRecord(parsed.value)) {
        return sendJson(res, 400, { errors: { _error: "Malformed JSON in request body." } });
      }
      body = parsed.value;
    }
    const errors: Record<string, string> = {};
    if (!isNonBlankString(body.username)) errors.username = NON_BLANK_MESSAGE;
    if (!isNonBlankString(body.password)) errors.password = NON_BLANK_MESSAGE;
    if (Object.keys(errors).length > 0) return sendJson(res, 400, { errors });

    const email = String(body.username).trim().toLowerCase();
    const index = users.findIndex((user) => user.email.toLowerCase() === email);
    // Same answer for an unknown user as for a wrong password, like Metabase.
    if (index < 0 || users[index]!.password !== body.password) {
      return sendJson(res, 401, { errors: { password: "did not match stored password" } });
    }
    const id = randomUUID();
    sessions.set(id, {
      principal: { id: index + 1, email: users[index]!.email, commonName: commonNameOf(email) },
      createdAt: Date.now(),
    });
    loginCount += 1;
    sendJson(
      res,
      200,
      { id },
      {
        "set-cookie": [
          `metabase.SESSION=${id}; HttpOnly; Path=/; SameSite=Lax`,
          "metabase.TIMEOUT=alive; Path=/; SameSite=Lax",
        ],
      },
    );
  }

  function logout(req: IncomingMessage, res: ServerResponse) {
    if (!authenticate(req)) return sendUnauthenticated(res);
    for (const id of [
      parseCookies(req).get("metabase.SESSION"),
      header(req, "x-metabase-session"),
    ]) {
      if (id) sessions.delete(id);
    }
    res.writeHead(204, { "set-cookie": "metabase.SESSION=; Path=/; Max-Age=0" });
    res.end();
  }

  function resolveDashcard(
    ids: { dashboard: number; dashcard: number; card: number },
    parameters: Record<string, unknown>[],
  ): ExportTarget | { errors: Record<string, string> } | undefined {
    const dashboard = DASHBOARDS.get(ids.dashboard);
    if (!dashboard || dashboard.dashcards.get(ids.dashcard) !== ids.card) return undefined;
    const card = CARDS.get(ids.card);
    if (!card) return undefined;
    const cardParameters: CardParameter[] = [];
    for (const parameter of parameters) {
      const id = String(parameter.id);
      if (!dashboard.parameterTargets.has(id)) {
        return {
          errors: {
            parameters: `Dashboard ${ids.dashboard} does not have a parameter with ID "${id}".`,
          },
        };
      }
      cardParameters.push({ target: dashboard.parameterTargets.get(id), value: parameter.value });
    }
    return { card, parameters: cardParameters };
  }

  async function exportQuery(req: IncomingMessage, res: ServerResponse, match: RegExpExecArray) {
    const isDashcard = match.length === 5;
    const idNames = isDashcard ? ["dashboard-id", "dashcard-id", "card-id"] : ["card-id"];
    const errors: Record<string, string> = {};
    const ids = idNames.map((name, index) => {
      const id = parsePositiveInt(match[index + 1]!);
      if (id === undefined) errors[name] = POSITIVE_INT_MESSAGE;
      return id ?? 0;
    });
    const format = match[idNames.length + 1]! as ExportFormat;
    if (!EXPORT_FORMATS.includes(format)) errors["export-format"] = "enum of csv, api, xlsx, json";
    if (Object.keys(errors).length > 0) return sendJson(res, 400, { errors });

    const decoded = await decodeExportBody(req);
    if (!decoded.ok) return sendJson(res, 400, { errors: decoded.errors });
    const validated = validateExportBody(decoded.value, isDashcard);
    lastExport = validated.ok ? validated.value.recorded : decoded.value;
    if (!validated.ok) return sendJson(res, 400, { errors: validated.errors });

    let target: ExportTarget | undefined;
    if (isDashcard) {
      const resolved = resolveDashcard(
        { dashboard: ids[0]!, dashcard: ids[1]!, card: ids[2]! },
        validated.value.parameters,
      );
      if (resolved && "errors" in resolved) return sendJson(res, 400, resolved);
      target = resolved;
    } else {
      const card = CARDS.get(ids[0]!);
      if (card) target = { card, parameters: validated.value.parameters };
    }
    if (!target) return sendText(res, 404, "Not found.");

    if (format === "xlsx") {
      return sendText(res, 501, "The Metabase fake does not produce xlsx; export csv instead.");
    }
    await sendExport(res, format, target);
  }

  async function sendExport(res: ServerResponse, format: ExportFormat, target: ExportTarget) {
    const { card } = target;
    const disposition = `attachment; filename="query_result_${isoNow()}.${format}"`;
    const contentType = format === "csv" ? "text/csv" : "application/json; charset=utf-8";
    exportCount += 1;
    res.once("close", () => {
      if (!res.writableFinished) abandonedCount += 1;
    });
    res.writeHead(200, {
      "content-type": contentType,
      ...(format === "api" ? {} : { "content-disposition": disposition }),
    });

    const failure = card.failsWhileStreaming;
    if (failure) {
      const message = `${failure.message} (card "${card.name}")`;
      res.end(
        JSON.stringify({
          status: "failed",
          error: message,
          message,
          error_type: failure.errorType,
          ...(failure.traceLines
            ? {
                stacktrace: Array.from(
                  { length: failure.traceLines },
                  (_, i) => `metabase.query_processor.pipeline$step_${i}.invoke(pipeline.clj:${i})`,
                ),
              }
            : {}),
        }),
      );
      return;
    }

    if (card.bulkRows !== undefined && format === "csv") {
      const blocks = Math.ceil(card.bulkRows / BULK_BLOCK_ROWS);
      const pieces = function* () {
        yield BULK_HEADER;
        for (let block = 0; block < blocks; block += 1) {
          const rows = Math.min(BULK_BLOCK_ROWS, card.bulkRows! - block * BULK_BLOCK_ROWS);
          yield BULK_BLOCK.subarray(0, rows * BULK_ROW_BYTES);
        }
      };
      for (const piece of pieces()) {
        if (res.destroyed) return;
        if (!res.write(piece)) await drainedOrClosed(res);
      }
      if (!res.destroyed) res.end();
      return;
    }

    const filter = card.rowFilter(target.parameters);
    const table = card.table;
    if (format === "csv") return writeCsv(res, table, { lineEnding: "\r\n", filter });

    if (format === "json") {
      await writeChunks(res, jsonArrayPieces(rowObjects(table, { filter })));
    } else {
      const cols = table.columns.map((name, index) => ({
        name,
        display_name: name,
        base_type: typeof table.row(0)[index] === "number" ? "type/Float" : "type/Text",
      }));
      await writeChunks(
        res,
        jsonArrayPieces(
          selectRows(table, { filter }),
          `{"data":{"cols":${JSON.stringify(cols)},"rows":`,
          (count) => `},"row_count":${count},"status":"completed"}`,
        ),
      );
    }
    if (!res.destroyed) res.end();
  }

  // GET /api/search (search/api.clj): `limit` and `offset` come together or not at all, `q` when
  // sent is a non-blank string, every `models` entry a model search knows. The fake matches the
  // name as a case-insensitive substring, ordered by name (Metabase ranks by relevance).
  function search(res: ServerResponse, url: URL) {
    const params = url.searchParams;
    const limitText = params.get("limit");
    const offsetText = params.get("offset");
    if (limitText !== null && offsetText === null) {
      return sendText(res, 400, "When including a limit, an offset must also be included.");
    }
    if (offsetText !== null && limitText === null) {
      return sendText(res, 400, "When including an offset, a limit must also be included.");
    }
    const errors: Record<string, string> = {};
    const limit = limitText === null ? undefined : parseNonNegativeInt(limitText);
    const offset = offsetText === null ? undefined : parseNonNegativeInt(offsetText);
    if (limitText !== null && limit === undefined) errors.limit = NON_NEGATIVE_MESSAGE;
    if (offsetText !== null && offset === undefined) errors.offset = NON_NEGATIVE_MESSAGE;
    const q = params.get("q");
    if (q !== null && q.trim() === "") errors.q = NON_BLANK_MESSAGE;
    const models = params.getAll("models");
    if (models.some((model) => !SEARCH_MODELS.has(model))) {
      errors.models = `nullable vector of enum of ${[...SEARCH_MODELS].join(", ")}`;
    }
    for (const flag of ["archived", "include_dashboard_questions"]) {
      if (decodeBoolean(params.get(flag) ?? undefined) === "invalid")
        errors[flag] = BOOLEAN_MESSAGE;
    }
    if (Object.keys(errors).length > 0) return sendJson(res, 400, { errors });

    const wanted = new Set(models.length > 0 ? models : SEARCH_MODELS);
    const needle = q?.trim().toLowerCase() ?? "";
    const found = [
      ...(wanted.has("card")
        ? [...CARDS].map(([id, card]) => ({
            model: "card",
            id,
            name: card.name,
            collection: card.collection ?? null,
          }))
        : []),
      ...(wanted.has("dashboard")
        ? [...DASHBOARDS].map(([id, dashboard]) => ({
            model: "dashboard",
            id,
            name: dashboard.name,
            collection: "Sales",
          }))
        : []),
    ]
      .filter((item) => item.name.toLowerCase().includes(needle))
      .sort((a, b) => a.name.localeCompare(b.name) || a.id - b.id);
    const start = offset ?? 0;
    const page = limit === undefined ? found.slice(start) : found.slice(start, start + limit);
    sendJson(res, 200, {
      data: page.map((item) => ({
        model: item.model,
        id: item.id,
        name: item.name,
        description: null,
        archived: false,
        collection: {
          id: item.collection ? 1 : "root",
          name: item.collection ?? "Our analytics",
          authority_level: null,
          type: null,
        },
        dashboard: null,
      })),
      total: found.length,
      limit: limit ?? null,
      offset: offset ?? null,
      models: models.length > 0 ? models : null,
      table_db_id: null,
      engine: "search.engine/in-place",
    });
  }

  // GET /api/card/:id: the card with its native query and the parameters its template tags make
  function getCard(res: ServerResponse, idText: string) {
    const id = parsePositiveInt(idText);
    if (id === undefined) return sendJson(res, 400, { errors: { id: POSITIVE_INT_MESSAGE } });
    const card = CARDS.get(id);
    if (!card) return sendText(res, 404, "Not found.");
    const tags = card.templateTags ?? {};
    sendJson(res, 200, {
      id,
      name: card.name,
      display: "table",
      archived: false,
      collection: { name: card.collection ?? "Our analytics" },
      dataset_query: {
        type: "native",
        database: 1,
        native: {
          query: `SELECT * FROM sales${"region" in tags ? " WHERE {{region}}" : ""}`,
          "template-tags": tags,
        },
      },
      parameters: Object.values(tags).map((tag) => ({
        id: tag.id,
        type: tag.type === "text" ? "category" : tag.type,
        target: ["variable", ["template-tag", tag.name]],
        name: tag["display-name"],
        slug: tag.name,
        ...(tag.required ? { required: true } : {}),
      })),
    });
  }

  // GET /api/dashboard/:id: its filters and cards (a text card has no card), each card with the
  // filters wired to it
  function getDashboard(res: ServerResponse, idText: string) {
    const id = parsePositiveInt(idText);
    if (id === undefined) return sendJson(res, 400, { errors: { id: POSITIVE_INT_MESSAGE } });
    const dashboard = DASHBOARDS.get(id);
    if (!dashboard) return sendText(res, 404, "Not found.");
    const dashcards = [...dashboard.dashcards].map(([dashcardId, cardId]) => ({
      id: dashcardId,
      dashboard_id: id,
      card_id: cardId,
      card: { id: cardId, name: CARDS.get(cardId)?.name ?? null, display: "table" },
      parameter_mappings: [...dashboard.parameterTargets].map(([parameterId, target]) => ({
        parameter_id: parameterId,
        card_id: cardId,
        target,
      })),
    }));
    sendJson(res, 200, {
      id,
      name: dashboard.name,
      parameters: dashboard.parameters,
      dashcards: [
        ...dashcards,
        {
          id: 99,
          dashboard_id: id,
          card_id: null,
          card: null,
          parameter_mappings: [],
          visualization_settings: { text: "Figures are in EUR." },
        },
      ],
    });
  }

  const CARD_EXPORT = /^\/api\/card\/([^/]+)\/query\/([^/]+)$/;
  const DASHCARD_EXPORT =
    /^\/api\/dashboard\/([^/]+)\/dashcard\/([^/]+)\/card\/([^/]+)\/query\/([^/]+)$/;

  const server = await listenFake(options.port, async (req, res, url) => {
    const path = url.pathname;
    if (path === "/health" || path === "/api/health") {
      return sendJson(res, 200, { status: "ok" });
    }
    if (path === "/api/session" && req.method === "POST") return login(req, res);
    if (path === "/api/session" && req.method === "DELETE") return logout(req, res);
    if (!path.startsWith("/api/")) return sendText(res, 404, "Not found.");
    if (!authenticate(req)) return sendUnauthenticated(res);

    if (path === "/api/user/current" && req.method === "GET") {
      const principal = authenticate(req)!;
      const [first, ...rest] = principal.commonName.split(" ");
      return sendJson(res, 200, {
        id: principal.id,
        email: principal.email,
        common_name: principal.commonName,
        first_name: first ?? null,
        last_name: rest.join(" ") || null,
        is_active: true,
        is_superuser: false,
      });
    }

    if (req.method === "GET") {
      if (path === "/api/search" || path === "/api/search/") return search(res, url);
      const detail = /^\/api\/(card|dashboard)\/([^/]+)$/.exec(path);
      if (detail?.[1] === "card") return getCard(res, detail[2]!);
      if (detail?.[1] === "dashboard") return getDashboard(res, detail[2]!);
    }

    const match = DASHCARD_EXPORT.exec(path) ?? CARD_EXPORT.exec(path);
    // The router matches on the verb too, so a GET export finds no endpoint at all.
    if (match && req.method === "POST") return exportQuery(req, res, match);
    sendText(res, 404, NOT_AN_ENDPOINT);
  });

  return {
    url: server.url,
    close: () => server.close(),
    expireSessions: () => sessions.clear(),
    logins: () => loginCount,
    exports: () => exportCount,
    abandonedExports: () => abandonedCount,
    lastExportBody: () => lastExport,
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendUnauthenticated(res: ServerResponse) {
  sendText(res, 401, "Unauthenticated");
}
