// Fake Salesforce org: OAuth token endpoint (client credentials, JWT bearer), the Reports REST API
// with its 2,000-row cap, and the undocumented classic CSV export authenticated by a `sid` cookie.
// What it enforces, and the sources: docs/fakes.md.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  bearerToken,
  isRecord,
  listenFake,
  loginPageHtml,
  mediaType,
  parseCookies,
  parseJson,
  readBody,
  sendHtml,
  sendJson,
  sendText,
} from "./fake-http";
import { decodeJwt, nowSeconds, verifyJwt } from "./jwt";
import {
  bigTable,
  csvLine,
  selectRows,
  SMALL_SALES,
  writeChunks,
  writeCsv,
  type FakeRow,
  type FakeTable,
} from "./report-data";

export type FakeSalesforceOptions = {
  port?: number;
  clientId?: string;
  clientSecret?: string;
  // Connected app for the JWT bearer flow; without it every assertion is refused.
  jwt?: { consumerKey: string; username: string; publicKeyPem: string };
  // Org session timeout: a token unused for this long stops working.
  idleTimeoutMs?: number;
  syncRunsPerHour?: number;
  // An org with Chatter switched off answers its users/me resource with an error.
  chatterEnabled?: boolean;
  // The classic export answers every session with the login page (e.g. a token without "web").
  exportRefused?: boolean;
};

export type FakeSalesforce = {
  url: string;
  close(): Promise<void>;
  // A valid session id, as a user would copy it from a logged-in browser.
  issueSession(): string;
  // Every session and access token issued so far becomes invalid.
  expireSessions(): void;
  // Every POST /services/oauth2/token, successful or not.
  tokenRequests(): number;
  // Authenticated REST calls (the count reported in Sforce-Limit-Info).
  restCalls(): number;
};

export const FAKE_SALESFORCE_DEFAULTS = {
  clientId: "sf-client-id",
  clientSecret: "sf-client-secret",
  idleTimeoutMs: 2 * 60 * 60 * 1000,
  syncRunsPerHour: 500,
  dailyApiRequests: 15_000,
} as const;

const REST_ROW_CAP = 2000;
const ORG_ID = "00D000000000001EAA";
const ORG_NAME = "DataHaul Fake Org";
const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const CLOCK_SKEW_SECONDS = 180;
const HOUR_MS = 60 * 60 * 1000;

type SalesforceUser = { id: string; username: string; name: string };

const INTEGRATION_USER: SalesforceUser = {
  id: "005000000000001AAA",
  username: "integration@datahaul.example",
  name: "Integration User",
};
const BROWSER_USER: SalesforceUser = {
  id: "005000000000002AAA",
  username: "viewer@datahaul.example",
  name: "Report Viewer",
};

type ReportColumn = { apiName: string; label: string; dataType: string };
type FakeReport = { name: string; table: FakeTable; columns: ReportColumn[] };

function describeColumns(table: FakeTable): ReportColumn[] {
  const sample = table.row(0);
  return table.columns.map((column, index) => {
    const value = sample[index];
    const dataType =
      typeof value === "number"
        ? "double"
        : /^\d{4}-\d{2}-\d{2}T/.test(String(value))
          ? "datetime"
          : "string";
    return { apiName: column.toUpperCase().replace(/[^A-Z0-9]+/g, "_"), label: column, dataType };
  });
}

function report(name: string, table: FakeTable, types?: string[]): FakeReport {
  const columns = describeColumns(table).map((column, index) =>
    types ? { ...column, dataType: types[index]! } : column,
  );
  return { name, table, columns };
}

const grouped = (value: number, decimals?: number) =>
  value.toLocaleString("en-US", {
    minimumFractionDigits: decimals ?? 0,
    maximumFractionDigits: decimals ?? 10,
  });

// "1/15/2024" and "1/15/2024 4:05 PM": an en_US user's locale, in UTC
function usDate(iso: string): string {
  const [year, month, day] = iso.slice(0, 10).split("-").map(Number);
  return `${month}/${day}/${year}`;
}
function usDateTime(iso: string): string {
  const date = new Date(iso);
  const hours = date.getUTCHours();
  const minutes = String(date.getUTCMinutes()).padStart(2, "0");
  return `${usDate(iso)} ${hours % 12 || 12}:${minutes} ${hours < 12 ? "AM" : "PM"}`;
}

/**
 * A detail cell of the Reports API: the value, and the label formatted for people in the user's
 * locale (Salesforce answers an empty cell with the label "-").
 */
function restCell(dataType: string, raw: string | number | null) {
  if (raw === null || raw === "") return { label: "-", value: null };
  switch (dataType) {
    case "currency":
      return { label: `USD ${grouped(Number(raw), 2)}`, value: { amount: raw, currency: "USD" } };
    case "percent":
      return { label: `${grouped(Number(raw))}%`, value: raw };
    case "int":
    case "double":
      return { label: grouped(Number(raw)), value: raw };
    case "date":
      return { label: usDate(String(raw)), value: raw };
    case "datetime":
      return { label: usDateTime(String(raw)), value: raw };
    default:
      return { label: String(raw), value: raw };
  }
}

/**
 * The same cell in the report export's CSV. What the real export writes is not documented (see
 * docs/fakes.md); this fake follows what testers saw: amounts without the currency
 * and with two places ("0.50" for "USD 0.50"), numbers and percentages plain, dates and times as
 * shown to the user, empty cells empty.
 */
function exportCell(dataType: string, raw: string | number | null): string {
  if (raw === null || raw === "") return "";
  switch (dataType) {
    case "currency":
      return Number(raw).toFixed(2);
    case "percent":
    case "int":
    case "double":
      return String(raw);
    default:
      return restCell(dataType, raw).label;
  }
}

const STAGES = ["Prospecting", "Qualification", "Negotiation/Review", "Closed Won"];
const OPPORTUNITY_EPOCH_MS = Date.UTC(2024, 0, 15);

// Every type the export and the Reports API write differently; some rows have empty cells.
const TYPED_OPPORTUNITIES: FakeTable = {
  columns: ["Opportunity Name", "Amount", "Probability (%)", "Quantity", "Close Date", "Created"],
  rowCount: 2500,
  row(i) {
    const day = new Date(OPPORTUNITY_EPOCH_MS + (i % 400) * 86_400_000).toISOString();
    return [
      `Deal ${i}, ${STAGES[i % STAGES.length]}`,
      // whole cents, so every amount has one shortest decimal form
      i % 50 === 0 ? "" : (((i * 7919) % 200_000) + 50) / 100,
      (i % 9) * 12.5,
      i % 30 === 0 ? "" : (i * 13) % 5000,
      day.slice(0, 10),
      new Date(OPPORTUNITY_EPOCH_MS + i * 3_660_000).toISOString(),
    ];
  },
};

// Keyed by the 15-character id: Salesforce accepts the 15- and the 18-character form.
const REPORTS = new Map<string, FakeReport>([
  ["00O000000000001", report("Customers (2,500 rows)", bigTable(2500))],
  ["00O000000000002", report("Sales by Region", SMALL_SALES)],
  // names with SOQL's special characters, for the search to escape
  ["00O000000000004", report("Bob's pipeline \\ Q1", SMALL_SALES)],
  ["00O000000000005", report("100% Club_2026", SMALL_SALES)],
  [
    "00O000000000003",
    report("Opportunities (2,500 rows)", TYPED_OPPORTUNITIES, [
      "string",
      "currency",
      "percent",
      "int",
      "date",
      "datetime",
    ]),
  ],
]);

const REPORT_ID = /^00O[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/;
const REPORT_FIELDS = ["Id", "Name", "DeveloperName", "FolderName", "Format"];
// a query answers this many records at a time (the REST API's default batch), the rest by
// nextRecordsUrl
const QUERY_BATCH = 2000;
const SOQL_ESCAPES: Record<string, string> = {
  n: "\n",
  N: "\n",
  r: "\r",
  R: "\r",
  t: "\t",
  T: "\t",
  b: "\b",
  B: "\b",
  f: "\f",
  F: "\f",
  '"': '"',
  "'": "'",
  "\\": "\\",
};

/**
 * A SOQL LIKE literal (its text between the quotes) as a case-insensitive expression: `%` is any
 * run of characters, `_` any one, `\%` and `\_` themselves. Null for an escape SOQL refuses.
 */
function likePattern(literal: string): RegExp | null {
  let source = "";
  for (let i = 0; i < literal.length; i++) {
    const c = literal[i]!;
    if (c === "%") source += ".*";
    else if (c === "_") source += ".";
    else if (c !== "\\") source += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    else {
      const next = literal[++i];
      if (next === "%" || next === "_") source += next;
      else if (next === "u" && /^[0-9a-fA-F]{4}$/.test(literal.slice(i + 1, i + 5))) {
        source += `\\u${literal.slice(i + 1, i + 5)}`;
        i += 4;
      } else if (next !== undefined && next in SOQL_ESCAPES) {
        source += SOQL_ESCAPES[next]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      } else return null;
    }
  }
  return new RegExp(`^${source}$`, "is");
}

function errorArray(errorCode: string, message: string) {
  return [{ errorCode, message }];
}

const SALESFORCE_JSON = "application/json;charset=UTF-8";

function sendRestJson(res: ServerResponse, status: number, body: unknown) {
  sendJson(res, status, body, {}, SALESFORCE_JSON);
}

function tokenError(res: ServerResponse, error: string, description: string) {
  sendJson(res, 400, { error, error_description: description }, {}, SALESFORCE_JSON);
}

type ReportFilter = { column: string; operator: "equals" | "notEqual"; value: string };

function parseReportFilters(
  body: unknown,
  report: FakeReport,
): { ok: true; filters: ReportFilter[] } | { ok: false; message: string } {
  if (body === undefined) return { ok: true, filters: [] };
  if (!isRecord(body)) return { ok: false, message: "The request body must be a JSON object." };
  const metadata = body.reportMetadata;
  if (metadata === undefined) return { ok: true, filters: [] };
  if (!isRecord(metadata)) return { ok: false, message: "reportMetadata must be an object." };
  const rawFilters = metadata.reportFilters ?? [];
  if (!Array.isArray(rawFilters)) return { ok: false, message: "reportFilters must be an array." };
  const filters: ReportFilter[] = [];
  for (const filter of rawFilters) {
    if (!isRecord(filter)) return { ok: false, message: "Each report filter must be an object." };
    const column = String(filter.column);
    if (!report.columns.some((known) => known.apiName === column)) {
      return { ok: false, message: `The column ${column} is not part of this report.` };
    }
    if (filter.operator !== "equals" && filter.operator !== "notEqual") {
      return { ok: false, message: `The fake supports the operators equals and notEqual only.` };
    }
    filters.push({ column, operator: filter.operator, value: String(filter.value ?? "") });
  }
  return { ok: true, filters };
}

function rowMatcher(report: FakeReport, filters: ReportFilter[]) {
  const checks = filters.map((filter) => {
    const index = report.columns.findIndex((column) => column.apiName === filter.column);
    return (row: FakeRow) =>
      (String(row[index]) === filter.value) === (filter.operator === "equals");
  });
  return (row: FakeRow) => checks.every((check) => check(row));
}

function reportResult(
  version: string,
  reportId: string,
  report: FakeReport,
  filters: ReportFilter[],
  includeDetails: boolean,
) {
  const matches = rowMatcher(report, filters);
  const detailRows: { dataCells: { label: string; value: unknown }[] }[] = [];
  let matchingRows = 0;
  for (const row of selectRows(report.table, { filter: matches })) {
    matchingRows += 1;
    if (includeDetails && detailRows.length < REST_ROW_CAP) {
      detailRows.push({
        dataCells: row.map((value, index) => restCell(report.columns[index]!.dataType, value)),
      });
    }
  }
  const detailColumnInfo = Object.fromEntries(
    report.columns.map((column) => [
      column.apiName,
      { label: column.label, dataType: column.dataType },
    ]),
  );
  return {
    attributes: {
      describeUrl: `/services/data/${version}/analytics/reports/${reportId}/describe`,
      instancesUrl: `/services/data/${version}/analytics/reports/${reportId}/instances`,
      reportId,
      reportName: report.name,
      type: "Report",
    },
    allData: matchingRows <= REST_ROW_CAP,
    factMap: {
      "T!T": {
        // Aggregates cover every matching row even when the detail rows are cut at 2,000.
        aggregates: [{ label: matchingRows.toLocaleString("en-US"), value: matchingRows }],
        rows: detailRows,
      },
    },
    groupingsAcross: { groupings: [] },
    groupingsDown: { groupings: [] },
    hasDetailRows: includeDetails,
    reportExtendedMetadata: {
      aggregateColumnInfo: { RowCount: { label: "Record Count", dataType: "int" } },
      detailColumnInfo,
      groupingColumnInfo: {},
    },
    reportMetadata: {
      id: reportId,
      name: report.name,
      reportFormat: "TABULAR",
      detailColumns: report.columns.map((column) => column.apiName),
      aggregates: ["RowCount"],
      reportFilters: filters,
      reportBooleanFilter: null,
    },
  };
}

// "11/23/2026 4:15 PM", the way the classic export footer shows it.
function footerTimestamp(date: Date): string {
  const hours = date.getUTCHours();
  const minutes = String(date.getUTCMinutes()).padStart(2, "0");
  const clock = `${hours % 12 || 12}:${minutes} ${hours < 12 ? "AM" : "PM"}`;
  return `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()} ${clock}`;
}

function* footerLines(report: FakeReport, user: SalesforceUser): Generator<string> {
  const now = new Date();
  yield "\r\n";
  for (const line of [
    report.name,
    `Copyright (c) 2000-${now.getUTCFullYear()} salesforce.com, inc. All rights reserved.`,
    "Confidential Information - Do Not Distribute",
    `Generated By: ${user.name}  ${footerTimestamp(now)}`,
    ORG_NAME,
  ]) {
    yield csvLine([line], "\r\n", true);
  }
}

export async function startFakeSalesforce(
  options: FakeSalesforceOptions = {},
): Promise<FakeSalesforce> {
  const clientId = options.clientId ?? FAKE_SALESFORCE_DEFAULTS.clientId;
  const clientSecret = options.clientSecret ?? FAKE_SALESFORCE_DEFAULTS.clientSecret;
  const idleTimeoutMs = options.idleTimeoutMs ?? FAKE_SALESFORCE_DEFAULTS.idleTimeoutMs;
  const syncRunsPerHour = options.syncRunsPerHour ?? FAKE_SALESFORCE_DEFAULTS.syncRunsPerHour;
  const sessions = new Map<string, { user: SalesforceUser; lastUsed: number }>();
  const syncRunTimes: number[] = [];
  let tokenRequestCount = 0;
  let restCallCount = 0;
  let url = "";

  function newSession(user: SalesforceUser): string {
    const id = `${ORG_ID.slice(0, 15)}!AQ${randomBytes(72).toString("base64url")}`;
    sessions.set(id, { user, lastUsed: Date.now() });
    return id;
  }

  // Sessions time out after inactivity, so every valid use pushes the deadline out.
  function sessionUser(id: string | undefined): SalesforceUser | undefined {
    if (!id) return undefined;
    const session = sessions.get(id);
    if (!session) return undefined;
    if (Date.now() - session.lastUsed > idleTimeoutMs) {
      sessions.delete(id);
      return undefined;
    }
    session.lastUsed = Date.now();
    return session.user;
  }

  function grantToken(res: ServerResponse, user: SalesforceUser) {
    const accessToken = newSession(user);
    const issuedAt = String(Date.now());
    const identity = `${url}/id/${ORG_ID}/${user.id}`;
    // No expires_in: Salesforce never states a lifetime, clients must refresh on 401.
    sendJson(
      res,
      200,
      {
        access_token: accessToken,
        instance_url: url,
        id: identity,
        token_type: "Bearer",
        issued_at: issuedAt,
        signature: randomBytes(32).toString("base64"),
        scope: "api web",
      },
      {},
      SALESFORCE_JSON,
    );
  }

  function jwtBearerUser(assertion: string | null): SalesforceUser | [string, string] {
    const decoded = assertion ? decodeJwt(assertion) : undefined;
    if (!decoded) return ["invalid_grant", "invalid assertion"];
    const app = options.jwt;
    const { iss, aud, exp, sub } = decoded.claims;
    if (!app || iss !== app.consumerKey) return ["invalid_client_id", "client identifier invalid"];
    if (!verifyJwt(decoded, { alg: "RS256", publicKey: app.publicKeyPem })) {
      return ["invalid_grant", "invalid assertion"];
    }
    const audiences = Array.isArray(aud) ? aud : [aud];
    const allowed = ["https://login.salesforce.com", "https://test.salesforce.com", url];
    if (!audiences.some((value) => allowed.includes(String(value)))) {
      return ["invalid_grant", "audience is invalid"];
    }
    if (typeof exp !== "number" || exp + CLOCK_SKEW_SECONDS < nowSeconds()) {
      return ["invalid_grant", "expired authorization code"];
    }
    if (sub !== app.username) return ["invalid_grant", "user hasn't approved this consumer"];
    return { id: "005000000000003AAA", username: app.username, name: "JWT Integration User" };
  }

  async function token(req: IncomingMessage, res: ServerResponse) {
    tokenRequestCount += 1;
    const raw = (await readBody(req)).toString("utf8");
    // Salesforce reads only form bodies; a JSON body arrives as "no grant_type at all".
    const form =
      mediaType(req) === "application/x-www-form-urlencoded"
        ? new URLSearchParams(raw)
        : new URLSearchParams();
    const grantType = form.get("grant_type");

    if (grantType === "client_credentials") {
      if (form.get("client_id") !== clientId) {
        return tokenError(res, "invalid_client_id", "client identifier invalid");
      }
      if (form.get("client_secret") !== clientSecret) {
        return tokenError(res, "invalid_grant", "authentication failure");
      }
      return grantToken(res, INTEGRATION_USER);
    }
    if (grantType === JWT_BEARER_GRANT) {
      const result = jwtBearerUser(form.get("assertion"));
      if (Array.isArray(result)) return tokenError(res, result[0], result[1]);
      return grantToken(res, result);
    }
    if (grantType === "password") {
      // Blocked by default in current orgs; clients must not rely on it.
      if (form.get("client_id") !== clientId) {
        return tokenError(res, "invalid_client_id", "client identifier invalid");
      }
      return tokenError(res, "invalid_grant", "authentication failure");
    }
    tokenError(res, "unsupported_grant_type", "grant type not supported");
  }

  function syncRunAllowed(): boolean {
    const cutoff = Date.now() - HOUR_MS;
    while (syncRunTimes.length > 0 && syncRunTimes[0]! <= cutoff) syncRunTimes.shift();
    if (syncRunTimes.length >= syncRunsPerHour) return false;
    syncRunTimes.push(Date.now());
    return true;
  }

  async function runReport(
    req: IncomingMessage,
    res: ServerResponse,
    requestUrl: URL,
    version: string,
    reportId: string,
  ) {
    const sendRest = (status: number, body: unknown) => sendRestJson(res, status, body);
    const found = REPORT_ID.test(reportId) ? REPORTS.get(reportId.slice(0, 15)) : undefined;
    if (!found) {
      return sendRest(404, errorArray("NOT_FOUND", "The requested resource does not exist"));
    }
    let body: unknown = undefined;
    if (req.method === "POST") {
      const raw = (await readBody(req)).toString("utf8");
      if (raw.trim() !== "") {
        if (mediaType(req) !== "application/json") {
          return sendRest(400, errorArray("BAD_REQUEST", "Content-Type must be application/json"));
        }
        const parsed = parseJson(raw);
        if (!parsed.ok) return sendRest(400, errorArray("JSON_PARSER_ERROR", "Malformed JSON."));
        body = parsed.value;
      }
    }
    const filters = parseReportFilters(body, found);
    if (!filters.ok) return sendRest(400, errorArray("BAD_REQUEST", filters.message));
    if (!syncRunAllowed()) {
      return sendRest(
        403,
        errorArray(
          "REQUEST_LIMIT_EXCEEDED",
          `You've reached the limit of ${syncRunsPerHour} synchronous report runs per hour.`,
        ),
      );
    }
    const includeDetails = requestUrl.searchParams.get("includeDetails") === "true";
    sendRest(200, reportResult(version, reportId, found, filters.filters, includeDetails));
  }

  // The REST root answers without auth and is how clients pick an API version.
  function versions(res: ServerResponse) {
    sendJson(res, 200, [
      { label: "Winter '25", url: "/services/data/v62.0", version: "62.0" },
      { label: "Spring '25", url: "/services/data/v63.0", version: "63.0" },
    ]);
  }

  async function rest(req: IncomingMessage, res: ServerResponse, requestUrl: URL) {
    const segments = requestUrl.pathname.split("/").slice(3);
    const [version, ...rest] = segments;
    const sendRest = (status: number, body: unknown) => sendRestJson(res, status, body);
    const user = sessionUser(bearerToken(req, ["bearer", "oauth"]));
    if (user) restCallCount += 1;
    res.setHeader(
      "sforce-limit-info",
      `api-usage=${restCallCount}/${FAKE_SALESFORCE_DEFAULTS.dailyApiRequests}`,
    );
    if (!version || !/^v\d+\.\d$/.test(version)) {
      return sendRest(404, errorArray("NOT_FOUND", "The requested resource does not exist"));
    }
    if (!user) {
      return sendRest(401, [
        { message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" },
      ]);
    }
    if (restCallCount > FAKE_SALESFORCE_DEFAULTS.dailyApiRequests) {
      return sendRest(403, errorArray("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."));
    }
    const route = rest.join("/");
    // the version's resource list: what a client can call, and proof that the session works
    if (route === "" && req.method === "GET") {
      return sendRest(200, {
        analytics: `/services/data/${version}/analytics`,
        chatter: `/services/data/${version}/chatter`,
        limits: `/services/data/${version}/limits`,
        sobjects: `/services/data/${version}/sobjects`,
      });
    }
    if (rest[0] === "chatter" && options.chatterEnabled === false) {
      return sendRest(
        403,
        errorArray(
          "FUNCTIONALITY_NOT_ENABLED",
          "This feature is not currently enabled for this user type or org: [Chatter]",
        ),
      );
    }
    // Connection test endpoint: Chatter's users/me (versioned, so it also proves the version).
    if (route === "chatter/users/me" && req.method === "GET") {
      return sendRest(200, {
        id: user.id,
        name: user.name,
        displayName: user.name,
        username: user.username,
        type: "User",
        url: `/services/data/${version}/chatter/users/${user.id}`,
      });
    }
    if (route === "query" && req.method === "GET") return query(res, requestUrl, version);
    if (rest[0] === "analytics" && rest[1] === "reports" && rest.length === 3) {
      if (req.method === "GET" || req.method === "POST") {
        return runReport(req, res, requestUrl, version, rest[2]!);
      }
      return sendRest(
        405,
        errorArray("METHOD_NOT_ALLOWED", `HTTP Method '${req.method}' not allowed.`),
      );
    }
    sendRest(404, errorArray("NOT_FOUND", "The requested resource does not exist"));
  }

  // GET /services/data/vNN.N/query?q=SOQL, for the one statement shape a report search sends:
  // SELECT fields (or COUNT()) FROM Report [WHERE Name LIKE '…'] [ORDER BY Name [ASC|DESC]]
  // [LIMIT n]. A quote that is not escaped ends the literal early and the rest does not parse;
  // a backslash before any character but those SOQL lists is an error, as in Salesforce.
  function query(res: ServerResponse, requestUrl: URL, version: string) {
    const sendRest = (status: number, body: unknown) => sendRestJson(res, status, body);
    const soql = requestUrl.searchParams.get("q");
    if (!soql) return sendRest(400, errorArray("MALFORMED_QUERY", "A query string must be given"));
    const shape =
      /^SELECT\s+(COUNT\(\)|[\w\s,]+?)\s+FROM\s+Report(?:\s+WHERE\s+Name\s+LIKE\s+'((?:[^'\\]|\\.)*)')?(?:\s+ORDER\s+BY\s+Name(?:\s+(ASC|DESC))?)?(?:\s+LIMIT\s+(\d+))?\s*$/i.exec(
        soql,
      );
    if (!shape) {
      return sendRest(
        400,
        errorArray("MALFORMED_QUERY", `unexpected token in: ${soql.slice(0, 200)}`),
      );
    }
    const isCount = shape[1]!.toUpperCase() === "COUNT()";
    const fields = isCount ? [] : shape[1]!.split(",").map((field) => field.trim());
    const unknownField = fields.find((field) => !REPORT_FIELDS.includes(field));
    if (unknownField !== undefined) {
      return sendRest(
        400,
        errorArray("INVALID_FIELD", `No such column '${unknownField}' on entity 'Report'.`),
      );
    }
    let matcher: RegExp | null = null;
    if (shape[2] !== undefined) {
      const pattern = likePattern(shape[2]);
      if (pattern === null) {
        return sendRest(
          400,
          errorArray("MALFORMED_QUERY", "Invalid string literal: illegal escape sequence"),
        );
      }
      matcher = pattern;
    }
    const matching = [...REPORTS]
      .filter(([, found]) => !matcher || matcher.test(found.name))
      .sort(([, a], [, b]) => a.name.localeCompare(b.name));
    if (shape[3]?.toUpperCase() === "DESC") matching.reverse();
    const limited = shape[4] === undefined ? matching : matching.slice(0, Number(shape[4]));
    if (isCount) return sendRest(200, { totalSize: limited.length, done: true, records: [] });
    const batch = limited.slice(0, QUERY_BATCH);
    sendRest(200, {
      totalSize: limited.length,
      done: batch.length === limited.length,
      ...(batch.length < limited.length
        ? { nextRecordsUrl: `/services/data/${version}/query/01gFAKE-${QUERY_BATCH}` }
        : {}),
      records: batch.map(([id, found]) => {
        const all: Record<string, unknown> = {
          Id: `${id}EAA`,
          Name: found.name,
          DeveloperName: found.name.replace(/\W+/g, "_"),
          FolderName: "Sales Reports",
          Format: "Tabular",
        };
        return {
          attributes: { type: "Report", url: `/services/data/${version}/sobjects/Report/${id}EAA` },
          ...Object.fromEntries(fields.map((field) => [field, all[field]])),
        };
      }),
    });
  }

  async function classicExport(
    req: IncomingMessage,
    res: ServerResponse,
    requestUrl: URL,
    id: string,
  ) {
    const user = options.exportRefused ? undefined : sessionUser(parseCookies(req).get("sid"));
    // An expired UI session is answered with the login page, not an HTTP error.
    if (!user) return sendHtml(res, 200, loginPageHtml("Login | Salesforce"));
    const found = REPORTS.get(id.slice(0, 15));
    if (!found) {
      return sendHtml(res, 404, "<!DOCTYPE html><html><body>Data Not Available</body></html>\n");
    }
    const params = requestUrl.searchParams;
    if (params.get("export") !== "1" || params.get("xf") !== "csv") {
      return sendHtml(
        res,
        200,
        `<!DOCTYPE html><html><body><h1>${found.name}</h1></body></html>\n`,
      );
    }
    res.writeHead(200, {
      "content-type": "text/csv; charset=UTF-8",
      "content-disposition": `attachment; filename="report${Date.now()}.csv"`,
    });
    const exported: FakeTable = {
      columns: found.columns.map((c) => c.label),
      rowCount: found.table.rowCount,
      row: (i) =>
        found.table.row(i).map((value, index) => exportCell(found.columns[index]!.dataType, value)),
    };
    await writeCsv(res, exported, { lineEnding: "\r\n", quoteAll: true, end: false });
    await writeChunks(res, footerLines(found, user));
    if (!res.destroyed) res.end();
  }

  const CLASSIC_EXPORT = /^\/(00O[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)$/;

  const server = await listenFake(options.port, async (req, res, requestUrl) => {
    const path = requestUrl.pathname;
    if (path === "/health") return sendText(res, 200, "ok\n");
    if (path === "/services/oauth2/token") {
      if (req.method !== "POST") return tokenError(res, "invalid_request", "must use HTTP POST");
      return token(req, res);
    }
    if (path === "/services/data" || path === "/services/data/") return versions(res);
    if (path.startsWith("/services/data/")) return rest(req, res, requestUrl);
    const classic = CLASSIC_EXPORT.exec(path);
    if (classic && req.method === "GET") return classicExport(req, res, requestUrl, classic[1]!);
    sendHtml(res, 404, "<!DOCTYPE html><html><body>URL No Longer Exists</body></html>\n");
  });
  url = server.url;

  return {
    url: server.url,
    close: () => server.close(),
    issueSession: () => newSession(BROWSER_USER),
    expireSessions: () => sessions.clear(),
    tokenRequests: () => tokenRequestCount,
    restCalls: () => restCallCount,
  };
}
