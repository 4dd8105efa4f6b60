// Fake Google: the OAuth token endpoint's service-account JWT bearer grant and the Sheets v4
// spreadsheets / spreadsheets.values API over an in-memory grid per sheet. Built from the Google
// Sheets section of the upstream wire contract (§6, and §8 "what a faithful fake must check");
// error texts the contract marks UNVERIFIED are Google's as commonly seen, and clients must not
// match on them.
import { generateKeyPair, randomBytes, randomInt } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { promisify } from "node:util";
import {
  bearerToken,
  isRecord,
  listenFake,
  mediaType,
  parseJson,
  readBody,
  sendHtml,
  sendJson,
} from "../../test-support/fakes/fake-http";
import { decodeJwt, nowSeconds, verifyJwt } from "../../test-support/fakes/jwt";

export type FakeGoogleOptions = {
  port?: number;
  // Sheets' "write requests per minute per user" quota; each sub-request of a batch is one.
  writesPerMinute?: number;
  maxBodyBytes?: number;
  tokenLifetimeSeconds?: number;
  // Cells in a spreadsheet, all tabs together: rowCount × columnCount of every grid.
  maxCells?: number;
};

export type FakeGoogleRequest = {
  method: string;
  // as sent: path and query, still percent-encoded
  path: string;
  at: number;
  status: number;
  // the service account behind the token or JWT, when the fake could tell
  account?: string;
  bytes: number;
};

export type FakeGoogle = {
  url: string;
  serviceAccountKey: Record<string, string>;
  // Valid, but no spreadsheet is shared with it unless a test says so.
  otherServiceAccountKey: Record<string, string>;
  addSpreadsheet(s: { title: string; sheets?: string[]; sharedWith?: string[] }): string;
  values(spreadsheetId: string, sheet: string): unknown[][];
  requests: FakeGoogleRequest[];
  // Every access token issued so far answers 401 from now on, as after their hour ran out.
  expireTokens(): void;
  // The next n write requests that pass authentication answer this status (and body) instead.
  failNext(n: number, status: number, body?: unknown): void;
  close(): Promise<void>;
};

export const FAKE_GOOGLE_DEFAULTS = {
  writesPerMinute: 60,
  maxBodyBytes: 2 * 1024 * 1024,
  // What Google answers: a token minted now is good for one hour less the second it took.
  tokenLifetimeSeconds: 3599,
  maxCells: 10_000_000,
} as const;

export const GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token";
export const SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets";

const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const PROJECT_ID = "datahaul-fake";
const PROJECT_NUMBER = "123456789012";
// Google tolerates a few minutes of difference between the client's clock and its own.
const CLOCK_SKEW_SECONDS = 300;
const MAX_ASSERTION_LIFETIME_SECONDS = 3600;
const QUOTA_WINDOW_MS = 60_000;
const MAX_COLUMNS = 18_278; // column ZZZ
const MAX_CELL_CHARS = 50_000;
const NEW_SHEET_ROWS = 1000;
const NEW_SHEET_COLUMNS = 26;
// Bodies over the configured cap are still read to the end, so the client gets its 400 rather
// than a reset connection; past this much the shared plumbing gives up with a 413.
const DRAIN_BYTES = 64 * 1024 * 1024;
const TOKEN_MAX_BODY_BYTES = 64 * 1024;

const AUTH = "https://www.googleapis.com/auth/";
// drive.file reaches only files the app created or was handed; the fake counts its own as such.
const WRITE_SCOPES = new Set([SHEETS_SCOPE, `${AUTH}drive`, `${AUTH}drive.file`]);
const READ_SCOPES = new Set([
  ...WRITE_SCOPES,
  `${AUTH}spreadsheets.readonly`,
  `${AUTH}drive.readonly`,
]);
const NON_URL_SCOPES = new Set(["openid", "email", "profile"]);

type Cell = string | number | boolean;
type Sheet = {
  sheetId: number;
  title: string;
  rowCount: number;
  columnCount: number;
  // rows[r][c]; holes and undefined are empty cells
  rows: (Cell | undefined)[][];
};
type Spreadsheet = { id: string; title: string; sheets: Sheet[]; sharedWith: Set<string> };
type Account = { email: string; keyId: string; publicKeyPem: string };
type AccessToken = { account: string; scopes: Set<string>; expiresAt: number; revoked: boolean };

// ---------------------------------------------------------------------------------------------
// Google's JSON errors

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  501: "NOT_IMPLEMENTED",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

const DEFAULT_MESSAGES: Record<number, string> = {
  500: "Internal error encountered.",
  503: "The service is currently unavailable.",
  504: "The request timed out. Please try again.",
};

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

class QuotaExceeded extends Error {}

const invalid = (message: string) => new ApiError(400, message);

function errorBody(status: number, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code: status, message, ...extra, status: STATUS_NAMES[status] ?? "UNKNOWN" } };
}

// §6.4, word for word: the message names the parameter but the body carries no field details.
const MISSING_VALUE_INPUT_OPTION = "'valueInputOption' is required but not specified";
function missingValueInputOption() {
  return new ApiError(400, MISSING_VALUE_INPUT_OPTION, {
    errors: [{ message: MISSING_VALUE_INPUT_OPTION, domain: "global", reason: "badRequest" }],
  });
}

function quotaBody() {
  return errorBody(
    429,
    `Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:${PROJECT_NUMBER}'.`,
    {
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "RATE_LIMIT_EXCEEDED",
          domain: "googleapis.com",
          metadata: {
            quota_limit: "WriteRequestsPerMinutePerUser",
            quota_metric: "sheets.googleapis.com/write_requests",
            service: "sheets.googleapis.com",
            consumer: `projects/${PROJECT_NUMBER}`,
          },
        },
      ],
    },
  );
}

function unauthenticated(reason: string, missing: boolean) {
  const message = missing
    ? "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
    : "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";
  return new ApiError(401, message, {
    details: [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason,
        domain: "googleapis.com",
        metadata: { service: "sheets.googleapis.com" },
      },
    ],
  });
}

function enumError(field: string, type: string, value: unknown) {
  return invalid(
    `Invalid value at '${field}' (type.googleapis.com/google.apps.sheets.v4.${type}), "${String(value)}"`,
  );
}

const GOOGLE_JSON = "application/json; charset=UTF-8";

// ---------------------------------------------------------------------------------------------
// A1 notation

// A lone cell (`A1`) reads as that cell but, written to, is only where the values start.
type CellBounds = { r0: number; c0: number; r1?: number; c1?: number; anchor?: boolean };
// 0-based and inclusive; an absent end runs to the edge of the grid, whatever size it has then.
type A1Range = CellBounds & { sheet: Sheet; text: string };

export function columnLetters(index: number): string {
  let letters = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  }
  return letters;
}

function columnIndex(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

type Endpoint = { col?: number; row?: number };

function endpoint(text: string): Endpoint | undefined {
  const match = /^(?:\$?([A-Za-z]{1,3}))?(?:\$?(\d{1,9}))?$/.exec(text);
  if (!match || (match[1] === undefined && match[2] === undefined)) return undefined;
  const col = match[1] === undefined ? undefined : columnIndex(match[1]);
  const row = match[2] === undefined ? undefined : Number(match[2]) - 1;
  if (col !== undefined && col >= MAX_COLUMNS) return undefined;
  if (row !== undefined && row < 0) return undefined;
  return { col, row };
}

// A1, A1:D10, A:D, 3:5 and A5:D (column D from row 5 down). R1C1 is not supported.
function parseCells(text: string): CellBounds | undefined {
  const parts = text.split(":");
  if (parts.length === 1) {
    const only = endpoint(parts[0]!);
    if (only?.col === undefined || only.row === undefined) return undefined;
    return { r0: only.row, c0: only.col, r1: only.row, c1: only.col, anchor: true };
  }
  if (parts.length !== 2) return undefined;
  const a = endpoint(parts[0]!);
  const b = endpoint(parts[1]!);
  if (!a || !b) return undefined;
  const order = (x: number, y: number) => [Math.min(x, y), Math.max(x, y)] as const;
  if (a.col !== undefined && a.row !== undefined) {
    if (b.col === undefined) return undefined;
    const [c0, c1] = order(a.col, b.col);
    if (b.row === undefined) return { r0: a.row, c0, c1 };
    const [r0, r1] = order(a.row, b.row);
    return { r0, c0, r1, c1 };
  }
  if (a.col !== undefined && b.col !== undefined && b.row === undefined) {
    const [c0, c1] = order(a.col, b.col);
    return { r0: 0, c0, c1 };
  }
  if (a.row !== undefined && b.row !== undefined && b.col === undefined && a.col === undefined) {
    const [r0, r1] = order(a.row, b.row);
    return { r0, c0: 0, r1 };
  }
  return undefined;
}

function quoteSheetTitle(title: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(title) && !parseCells(title)
    ? title
    : `'${title.replaceAll("'", "''")}'`;
}

function formatBox(sheet: Sheet, r0: number, c0: number, r1: number, c1: number): string {
  const start = `${columnLetters(c0)}${r0 + 1}`;
  const end = `${columnLetters(c1)}${r1 + 1}`;
  return `${quoteSheetTitle(sheet.title)}!${start === end ? start : `${start}:${end}`}`;
}

function findSheet(book: Spreadsheet, title: string): Sheet | undefined {
  // Sheet names are unique regardless of case, and ranges find them regardless of case.
  const wanted = title.toLowerCase();
  return book.sheets.find((sheet) => sheet.title.toLowerCase() === wanted);
}

/**
 * `'Bob''s data'!A1:B2`, `Data!A:A`, `Data` (the whole sheet) or `A1:B2` (the first sheet). A bare
 * text that reads as cells means cells; a sheet with such a name must be quoted.
 */
function parseRange(book: Spreadsheet, text: string): A1Range {
  const unparsable = () => invalid(`Unable to parse range: ${text}`);
  let title: string | undefined;
  let cells: string | undefined;
  if (text.startsWith("'")) {
    let i = 1;
    let name = "";
    for (;;) {
      if (i >= text.length) throw unparsable();
      const ch = text[i]!;
      if (ch === "'") {
        if (text[i + 1] === "'") {
          name += "'";
          i += 2;
          continue;
        }
        i += 1;
        break;
      }
      name += ch;
      i += 1;
    }
    title = name;
    if (i < text.length) {
      if (text[i] !== "!") throw unparsable();
      cells = text.slice(i + 1);
    }
  } else {
    const bang = text.lastIndexOf("!");
    if (bang >= 0) {
      title = text.slice(0, bang);
      cells = text.slice(bang + 1);
    } else if (parseCells(text)) {
      cells = text;
    } else {
      title = text;
    }
  }
  const sheet = title === undefined ? book.sheets[0] : findSheet(book, title);
  if (!sheet || title === "") throw unparsable();
  if (cells === undefined) return { sheet, r0: 0, c0: 0, text };
  const bounds = parseCells(cells);
  if (!bounds) throw unparsable();
  return { sheet, ...bounds, text };
}

function sameRange(a: A1Range, b: A1Range): boolean {
  return a.sheet === b.sheet && a.r0 === b.r0 && a.c0 === b.c0 && a.r1 === b.r1 && a.c1 === b.c1;
}

// Reads and clears stay inside the grid: a range that starts outside it is an error, one that
// runs past its edge stops there.
function clampToGrid(range: A1Range) {
  const { sheet } = range;
  if (range.r0 >= sheet.rowCount || range.c0 >= sheet.columnCount) {
    throw invalid(
      `Range (${range.text}) exceeds grid limits. Max rows: ${sheet.rowCount}, max columns: ${sheet.columnCount}`,
    );
  }
  const r1 = Math.min(range.r1 ?? sheet.rowCount - 1, sheet.rowCount - 1);
  const c1 = Math.min(range.c1 ?? sheet.columnCount - 1, sheet.columnCount - 1);
  return { r0: range.r0, c0: range.c0, r1, c1, text: formatBox(sheet, range.r0, range.c0, r1, c1) };
}

// ---------------------------------------------------------------------------------------------
// Values

type InputCell = Cell | null;
type ValueInputOption = "RAW" | "USER_ENTERED";

function isEmpty(cell: Cell | undefined): boolean {
  return cell === undefined || cell === "";
}

function trimmed(matrix: (Cell | undefined)[][]): Cell[][] {
  const rows = matrix.map((row) => {
    let end = row.length;
    while (end > 0 && isEmpty(row[end - 1])) end -= 1;
    return Array.from({ length: end }, (_, i) => row[i] ?? "");
  });
  while (rows.length > 0 && rows[rows.length - 1]!.length === 0) rows.pop();
  return rows;
}

function transpose<T>(matrix: T[][]): (T | undefined)[][] {
  const width = Math.max(0, ...matrix.map((row) => row.length));
  return Array.from({ length: width }, (_, c) => matrix.map((row) => row[c]));
}

// USER_ENTERED is "as if typed into the UI"; the fake parses only what makes the client's choice
// visible: numbers (so "0123" loses its zero), TRUE/FALSE, and a leading apostrophe forcing text.
// Dates, percentages, currency and formulas stay strings (formulas are not evaluated).
function userEntered(value: Cell): Cell {
  if (typeof value !== "string") return value;
  if (value.startsWith("'")) return value.slice(1);
  const text = value.trim();
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) return Number(text);
  if (/^(?:true|false)$/i.test(text)) return text.toLowerCase() === "true";
  return value;
}

type RenderOption = "FORMATTED_VALUE" | "UNFORMATTED_VALUE" | "FORMULA";

// FORMATTED_VALUE, the default, is what the cell shows: numbers and booleans come back as text.
function render(cell: Cell, option: RenderOption): Cell {
  if (option !== "FORMATTED_VALUE") return cell;
  if (typeof cell === "boolean") return cell ? "TRUE" : "FALSE";
  return String(cell);
}

function renderOption(value: string | null | undefined, field: string): RenderOption {
  if (value === null || value === undefined) return "FORMATTED_VALUE";
  if (value === "FORMATTED_VALUE" || value === "UNFORMATTED_VALUE" || value === "FORMULA") {
    return value;
  }
  throw enumError(field, "ValueRenderOption", value);
}

function dimension(value: unknown, field: string): "ROWS" | "COLUMNS" {
  if (value === undefined || value === null || value === "ROWS") return "ROWS";
  if (value === "DIMENSION_UNSPECIFIED") return "ROWS";
  if (value === "COLUMNS") return "COLUMNS";
  throw enumError(field, "Dimension", value);
}

function checkDateTimeOption(value: unknown, field: string) {
  if (value === undefined || value === null) return;
  if (value !== "SERIAL_NUMBER" && value !== "FORMATTED_STRING") {
    throw enumError(field, "DateTimeRenderOption", value);
  }
}

function valueInputOption(value: unknown, field: string): ValueInputOption {
  if (value === undefined || value === null || value === "") throw missingValueInputOption();
  if (value === "RAW" || value === "USER_ENTERED") return value;
  if (value === "INPUT_VALUE_OPTION_UNSPECIFIED") {
    throw invalid("Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED");
  }
  throw enumError(field, "ValueInputOption", value);
}

function booleanParam(value: string | null, field: string): boolean {
  if (value === null || value === "false") return false;
  if (value === "true") return true;
  throw invalid(`Invalid value at '${field}' (TYPE_BOOL), "${value}"`);
}

function unknownFieldsCheck(body: Record<string, unknown>, allowed: string[], at: string) {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw invalid(
        `Invalid JSON payload received. Unknown name "${key}"${at ? ` at '${at}'` : ""}: Cannot find field.`,
      );
    }
  }
}

type ValueRange = { range?: string; values: InputCell[][] };

const VALUE_RANGE_FIELDS = ["range", "majorDimension", "values"];

// A ValueRange body, with its values turned to rows whatever majorDimension it was sent in.
function readValueRange(body: unknown, at: string): ValueRange {
  if (!isRecord(body))
    throw invalid(`Invalid JSON payload received. Expected an object${at ? ` at '${at}'` : ""}.`);
  unknownFieldsCheck(body, VALUE_RANGE_FIELDS, at);
  const prefix = at ? `${at}.` : "";
  if (body.range !== undefined && typeof body.range !== "string") {
    throw invalid(`Invalid value at '${prefix}range' (TYPE_STRING), ${JSON.stringify(body.range)}`);
  }
  const major = dimension(body.majorDimension, `${prefix}major_dimension`);
  const raw = body.values ?? [];
  if (!Array.isArray(raw)) {
    throw invalid(
      `Invalid value at '${prefix}values' (type.googleapis.com/google.protobuf.ListValue), ${JSON.stringify(raw)}`,
    );
  }
  const values: InputCell[][] = raw.map((row: unknown, i) => {
    if (!Array.isArray(row)) {
      throw invalid(
        `Invalid value at '${prefix}values[${i}]' (type.googleapis.com/google.protobuf.ListValue), ${JSON.stringify(row)}`,
      );
    }
    return row.map((cell: unknown, j) => {
      if (cell === null || typeof cell === "number" || typeof cell === "boolean") return cell;
      if (typeof cell === "string") {
        if (cell.length > MAX_CELL_CHARS) {
          throw invalid(
            `Your input contains more than the maximum of ${MAX_CELL_CHARS} characters in a single cell.`,
          );
        }
        return cell;
      }
      throw invalid(
        `Invalid values[${i}][${j}]: ${Array.isArray(cell) ? "list_value" : "struct_value"} ${JSON.stringify(cell)}`,
      );
    });
  });
  const rows =
    major === "ROWS" ? values : transpose(values).map((row) => row.map((c) => c ?? null));
  return { range: body.range as string | undefined, values: rows };
}

// ---------------------------------------------------------------------------------------------
// Writes are planned first and applied together, so a failing part leaves the spreadsheet as it was.

type WritePlan = {
  sheet: Sheet;
  r0: number;
  c0: number;
  values: InputCell[][];
  option: ValueInputOption;
  // INSERT_ROWS: rows inserted at r0 before writing, pushing what was there down
  insertRows?: number;
};

function planSize(plan: WritePlan) {
  const height = plan.values.length;
  const width = Math.max(0, ...plan.values.map((row) => row.length));
  return { height, width };
}

function updateStats(plan: WritePlan, spreadsheetId: string) {
  const { height, width } = planSize(plan);
  if (height === 0 || width === 0) return { spreadsheetId };
  const columns = new Set<number>();
  let rows = 0;
  let cells = 0;
  plan.values.forEach((row) => {
    let any = false;
    row.forEach((cell, j) => {
      if (cell === null) return;
      any = true;
      cells += 1;
      columns.add(j);
    });
    if (any) rows += 1;
  });
  return {
    spreadsheetId,
    updatedRange: formatBox(
      plan.sheet,
      plan.r0,
      plan.c0,
      plan.r0 + height - 1,
      plan.c0 + width - 1,
    ),
    updatedRows: rows,
    updatedColumns: columns.size,
    updatedCells: cells,
  };
}

function applyWrite(plan: WritePlan) {
  const { sheet } = plan;
  const { height, width } = planSize(plan);
  if (plan.insertRows) {
    if (sheet.rows.length > plan.r0) {
      sheet.rows.splice(plan.r0, 0, ...Array.from({ length: plan.insertRows }, () => []));
    }
    sheet.rowCount += plan.insertRows;
  }
  // Sheets grows the grid to take values written past its edge.
  sheet.rowCount = Math.max(sheet.rowCount, plan.r0 + height);
  if (width > 0) sheet.columnCount = Math.max(sheet.columnCount, plan.c0 + width);
  plan.values.forEach((row, i) => {
    row.forEach((input, j) => {
      if (input === null) return; // null leaves the cell as it is; "" empties it
      const cell = plan.option === "USER_ENTERED" ? userEntered(input) : input;
      const stored = (sheet.rows[plan.r0 + i] ??= []);
      stored[plan.c0 + j] = cell === "" ? undefined : cell;
    });
  });
}

function clearCells(sheet: Sheet, box: { r0: number; c0: number; r1: number; c1: number }) {
  for (let r = box.r0; r <= box.r1 && r < sheet.rows.length; r++) {
    const row = sheet.rows[r];
    if (!row) continue;
    for (let c = box.c0; c <= box.c1 && c < row.length; c++) row[c] = undefined;
  }
}

function gridCells(book: Spreadsheet, sizes = new Map<Sheet, { rows: number; cols: number }>()) {
  let total = 0;
  for (const sheet of book.sheets) {
    const size = sizes.get(sheet) ?? { rows: sheet.rowCount, cols: sheet.columnCount };
    total += size.rows * size.cols;
  }
  return total;
}

function cellLimitError(maxCells: number) {
  return invalid(
    `This action would increase the number of cells in the workbook above the limit of ${maxCells} cells.`,
  );
}

function columnLimitError() {
  return invalid(
    `This action would increase the number of columns in the workbook above the limit of ${MAX_COLUMNS}.`,
  );
}

function sheetProperties(sheet: Sheet, index: number) {
  return {
    sheetId: sheet.sheetId,
    title: sheet.title,
    index,
    sheetType: "GRID",
    gridProperties: { rowCount: sheet.rowCount, columnCount: sheet.columnCount },
  };
}

function newSheet(title: string, sheetId: number, rows = NEW_SHEET_ROWS, cols = NEW_SHEET_COLUMNS) {
  return { sheetId, title, rowCount: rows, columnCount: cols, rows: [] } satisfies Sheet;
}

function cloneSheet(sheet: Sheet): Sheet {
  return { ...sheet, rows: sheet.rows.map((row) => (row ? [...row] : row)) };
}

const STRUCTURAL_REQUESTS = ["addSheet", "updateSheetProperties", "deleteSheet"];

// ---------------------------------------------------------------------------------------------
// Routing

// Query parameters every Google API takes; anything else a method does not declare is refused.
const SYSTEM_PARAMS = [
  "key",
  "fields",
  "alt",
  "prettyPrint",
  "quotaUser",
  "access_token",
  "callback",
  "$.xgafv",
  "upload_protocol",
  "uploadType",
];

type Route =
  | { kind: "get" }
  | { kind: "batchUpdate" }
  | { kind: "valuesGet"; range: string }
  | { kind: "valuesUpdate"; range: string }
  | { kind: "valuesAppend"; range: string }
  | { kind: "valuesClear"; range: string }
  | { kind: "valuesBatchGet" }
  | { kind: "valuesBatchUpdate" }
  | { kind: "valuesBatchClear" };

const QUERY_PARAMS: Record<Route["kind"], string[]> = {
  get: ["ranges", "includeGridData", "excludeTablesInBandedRanges"],
  batchUpdate: [],
  valuesGet: ["majorDimension", "valueRenderOption", "dateTimeRenderOption"],
  valuesUpdate: [
    "valueInputOption",
    "includeValuesInResponse",
    "responseValueRenderOption",
    "responseDateTimeRenderOption",
  ],
  valuesAppend: [
    "valueInputOption",
    "insertDataOption",
    "includeValuesInResponse",
    "responseValueRenderOption",
    "responseDateTimeRenderOption",
  ],
  valuesClear: [],
  valuesBatchGet: ["ranges", "majorDimension", "valueRenderOption", "dateTimeRenderOption"],
  valuesBatchUpdate: [],
  valuesBatchClear: [],
};

/**
 * Matches on the path as sent. The range segment may be fully percent-encoded (as Google's client
 * libraries send it) or leave `!`, `'` and `:` bare (as Google's own examples do); a bare colon
 * before the last one belongs to the range, the last one names a custom method when POSTing.
 */
function route(method: string, rawPath: string): { id: string; route: Route } | undefined {
  const match = /^\/v4\/spreadsheets\/([^/]+)(?:\/(.*))?$/.exec(rawPath);
  if (!match) return undefined;
  const [idSegment, rest] = [match[1]!, match[2]];
  const colon = idSegment.indexOf(":");
  const id = colon >= 0 ? idSegment.slice(0, colon) : idSegment;
  const verb = colon >= 0 ? idSegment.slice(colon + 1) : undefined;
  if (rest === undefined) {
    if (verb === undefined && method === "GET") return { id, route: { kind: "get" } };
    if (verb === "batchUpdate" && method === "POST") return { id, route: { kind: "batchUpdate" } };
    return undefined;
  }
  if (verb !== undefined) return undefined;
  if (rest === "values:batchGet" && method === "GET")
    return { id, route: { kind: "valuesBatchGet" } };
  if (rest === "values:batchUpdate" && method === "POST") {
    return { id, route: { kind: "valuesBatchUpdate" } };
  }
  if (rest === "values:batchClear" && method === "POST") {
    return { id, route: { kind: "valuesBatchClear" } };
  }
  if (!rest.startsWith("values/") || rest.length === "values/".length) return undefined;
  const segment = rest.slice("values/".length);
  if (segment.includes("/")) return undefined;
  // A custom method under the wrong HTTP method is no route, not a strange range.
  if (/:(?:append|clear)$/.test(segment) && method !== "POST") return undefined;
  if (method === "GET") return { id, route: { kind: "valuesGet", range: segment } };
  if (method === "PUT") return { id, route: { kind: "valuesUpdate", range: segment } };
  if (method === "POST") {
    const last = segment.lastIndexOf(":");
    if (last < 0) return undefined;
    const range = segment.slice(0, last);
    const custom = segment.slice(last + 1);
    if (custom === "append") return { id, route: { kind: "valuesAppend", range } };
    if (custom === "clear") return { id, route: { kind: "valuesClear", range } };
  }
  return undefined;
}

function decodeRange(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalid(`Unable to parse range: ${segment}`);
  }
}

const NOT_FOUND_PAGE =
  "<!DOCTYPE html>\n<html lang=en><title>Error 404 (Not Found)!!1</title><p><b>404.</b> That’s an error.<p>The requested URL was not found on this server. That’s all we know.\n";

// ---------------------------------------------------------------------------------------------

const generateRsaKeyPair = promisify(generateKeyPair);

async function newServiceAccount(name: string, tokenUri: string) {
  const { publicKey, privateKey } = await generateRsaKeyPair("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const email = `${name}@${PROJECT_ID}.iam.gserviceaccount.com`;
  const keyId = randomBytes(20).toString("hex");
  const key: Record<string, string> = {
    type: "service_account",
    project_id: PROJECT_ID,
    private_key_id: keyId,
    private_key: privateKey,
    client_email: email,
    client_id: `1${String(randomInt(1e9, 1e10))}${String(randomInt(1e9, 1e10))}`,
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: tokenUri,
    auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
    universe_domain: "googleapis.com",
  };
  const account: Account = { email, keyId, publicKeyPem: publicKey };
  return { key, account };
}

function newSpreadsheetId(): string {
  // Drive ids: 44 URL-safe characters, "1" first.
  return `1${randomBytes(33).toString("base64url").slice(0, 43)}`;
}

export async function startFakeGoogle(options: FakeGoogleOptions = {}): Promise<FakeGoogle> {
  const writesPerMinute = options.writesPerMinute ?? FAKE_GOOGLE_DEFAULTS.writesPerMinute;
  const maxBodyBytes = options.maxBodyBytes ?? FAKE_GOOGLE_DEFAULTS.maxBodyBytes;
  const tokenLifetimeSeconds =
    options.tokenLifetimeSeconds ?? FAKE_GOOGLE_DEFAULTS.tokenLifetimeSeconds;
  const maxCells = options.maxCells ?? FAKE_GOOGLE_DEFAULTS.maxCells;
  const drainLimit = Math.max(maxBodyBytes * 2, DRAIN_BYTES);

  const accounts = new Map<string, Account>();
  const tokens = new Map<string, AccessToken>();
  const spreadsheets = new Map<string, Spreadsheet>();
  const writeTimes = new Map<string, number[]>();
  const requests: FakeGoogleRequest[] = [];
  let faults: { remaining: number; status: number; body?: unknown } | undefined;

  // ---- token endpoint ----------------------------------------------------------------------

  function tokenError(res: ServerResponse, status: number, error: string, description: string) {
    sendJson(res, status, { error, error_description: description });
  }

  const SHORT_LIVED =
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";

  async function token(req: IncomingMessage, res: ServerResponse, entry: FakeGoogleRequest) {
    if (req.method !== "POST") {
      await readBody(req, TOKEN_MAX_BODY_BYTES);
      return tokenError(res, 405, "invalid_request", "The token endpoint only accepts POST.");
    }
    // The Sheets body cap does not apply here: an assertion is a kilobyte or so.
    const body = await readBody(req, TOKEN_MAX_BODY_BYTES);
    entry.bytes = body.length;
    // Only form bodies are read; anything else arrives as a request with no parameters at all.
    const form =
      mediaType(req) === "application/x-www-form-urlencoded"
        ? new URLSearchParams(body.toString("utf8"))
        : new URLSearchParams();
    const grantType = form.get("grant_type") ?? "";
    if (grantType !== JWT_BEARER_GRANT) {
      return tokenError(res, 400, "unsupported_grant_type", `Invalid grant_type: ${grantType}`);
    }
    const assertion = form.get("assertion");
    if (!assertion) {
      return tokenError(res, 400, "invalid_request", "Missing required parameter: assertion");
    }
    const decoded = decodeJwt(assertion);
    if (!decoded) return tokenError(res, 400, "invalid_grant", "Invalid JWT Signature.");
    const { iss, aud, scope, iat, exp, sub } = decoded.claims;
    const account = typeof iss === "string" ? accounts.get(iss) : undefined;
    if (!account) {
      return tokenError(res, 401, "invalid_client", "The OAuth client was not found.");
    }
    entry.account = account.email;
    // A kid names the key that signed; Google checks against that key, so a stale kid fails.
    const kid = decoded.header.kid;
    if (
      (kid !== undefined && kid !== account.keyId) ||
      !verifyJwt(decoded, { alg: "RS256", publicKey: account.publicKeyPem })
    ) {
      return tokenError(res, 400, "invalid_grant", "Invalid JWT Signature.");
    }
    // The audience is Google's token URL even when the request went to this fake.
    if (aud !== GOOGLE_TOKEN_AUDIENCE) {
      return tokenError(
        res,
        400,
        "invalid_grant",
        `Invalid JWT: aud must be ${GOOGLE_TOKEN_AUDIENCE}`,
      );
    }
    const now = nowSeconds();
    if (
      typeof iat !== "number" ||
      typeof exp !== "number" ||
      exp <= iat ||
      exp - iat > MAX_ASSERTION_LIFETIME_SECONDS ||
      iat > now + CLOCK_SKEW_SECONDS ||
      exp < now - CLOCK_SKEW_SECONDS
    ) {
      return tokenError(res, 400, "invalid_grant", SHORT_LIVED);
    }
    // Domain-wide delegation is not set up for the fake's accounts; only "act as yourself" works.
    if (sub !== undefined && sub !== account.email) {
      return tokenError(
        res,
        401,
        "unauthorized_client",
        "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
      );
    }
    const scopes = typeof scope === "string" ? scope.split(" ").filter(Boolean) : [];
    if (scopes.length === 0 || scopes.some((s) => !s.startsWith(AUTH) && !NON_URL_SCOPES.has(s))) {
      return tokenError(
        res,
        400,
        "invalid_scope",
        "Invalid OAuth scope or ID token audience provided.",
      );
    }
    // A token for unrelated Google scopes is still issued; the Sheets calls then answer 403.
    const accessToken = `ya29.c.${randomBytes(96).toString("base64url")}`;
    tokens.set(accessToken, {
      account: account.email,
      scopes: new Set(scopes),
      expiresAt: Date.now() + tokenLifetimeSeconds * 1000,
      revoked: false,
    });
    sendJson(
      res,
      200,
      { access_token: accessToken, expires_in: tokenLifetimeSeconds, token_type: "Bearer" },
      { "cache-control": "no-cache, no-store, max-age=0, must-revalidate", pragma: "no-cache" },
    );
  }

  // ---- Sheets API --------------------------------------------------------------------------

  function authenticate(req: IncomingMessage, url: URL, entry: FakeGoogleRequest): AccessToken {
    const presented = bearerToken(req) ?? url.searchParams.get("access_token") ?? undefined;
    if (!presented) throw unauthenticated("CREDENTIALS_MISSING", true);
    const found = tokens.get(presented);
    if (!found) throw unauthenticated("ACCESS_TOKEN_TYPE_UNSUPPORTED", false);
    entry.account = found.account;
    if (found.revoked || Date.now() >= found.expiresAt) {
      throw unauthenticated("ACCESS_TOKEN_EXPIRED", false);
    }
    return found;
  }

  function insufficientScopes() {
    return new ApiError(403, "Request had insufficient authentication scopes.", {
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
          domain: "googleapis.com",
          metadata: { service: "sheets.googleapis.com" },
        },
      ],
    });
  }

  // A sliding minute per account. A request refused for quota uses none of it.
  function takeQuota(account: string, units: number) {
    const now = Date.now();
    const times = (writeTimes.get(account) ?? []).filter((t) => t > now - QUOTA_WINDOW_MS);
    writeTimes.set(account, times);
    // Google sends no Retry-After here; clients are told to back off exponentially.
    if (times.length + units > writesPerMinute) throw new QuotaExceeded();
    for (let i = 0; i < units; i++) times.push(now);
  }

  function parseBody(req: IncomingMessage, body: Buffer): Record<string, unknown> {
    const text = body.toString("utf8");
    if (text.trim() === "") return {};
    if (mediaType(req) !== "application/json") {
      throw invalid(
        `Invalid JSON payload received. Content-Type must be application/json, not "${mediaType(req)}".`,
      );
    }
    const parsed = parseJson(text);
    if (!parsed.ok) throw invalid("Invalid JSON payload received. Unexpected token.");
    if (!isRecord(parsed.value)) {
      throw invalid("Invalid JSON payload received. Expected an object at the top level.");
    }
    return parsed.value;
  }

  function checkGrowth(book: Spreadsheet, plans: WritePlan[]) {
    const sizes = new Map<Sheet, { rows: number; cols: number }>();
    for (const plan of plans) {
      const { height, width } = planSize(plan);
      const size = sizes.get(plan.sheet) ?? {
        rows: plan.sheet.rowCount,
        cols: plan.sheet.columnCount,
      };
      size.rows = Math.max(size.rows + (plan.insertRows ?? 0), plan.r0 + height);
      if (width > 0) size.cols = Math.max(size.cols, plan.c0 + width);
      if (size.cols > MAX_COLUMNS) throw columnLimitError();
      sizes.set(plan.sheet, size);
    }
    if (gridCells(book, sizes) > maxCells) throw cellLimitError(maxCells);
  }

  // values.update and each part of values:batchUpdate: the values must fit the range they name.
  function updatePlan(
    book: Spreadsheet,
    rangeText: string,
    body: ValueRange,
    option: ValueInputOption,
  ): WritePlan {
    const range = parseRange(book, rangeText);
    if (body.range !== undefined) {
      const stated = parseRange(book, body.range);
      if (!sameRange(stated, range)) {
        throw invalid(`Request range[${rangeText}] does not match value's range[${body.range}]`);
      }
    }
    const plan: WritePlan = {
      sheet: range.sheet,
      r0: range.r0,
      c0: range.c0,
      values: body.values,
      option,
    };
    const { height, width } = planSize(plan);
    const where = `Requested writing within range [${rangeText}], but tried writing to`;
    if (range.anchor) return plan;
    if (range.r1 !== undefined && range.r0 + height - 1 > range.r1) {
      throw invalid(`${where} row [${range.r1 + 2}]`);
    }
    if (range.c1 !== undefined && range.c0 + width - 1 > range.c1) {
      throw invalid(`${where} column [${columnLetters(range.c1 + 1)}]`);
    }
    return plan;
  }

  function renderedBox(
    sheet: Sheet,
    box: { r0: number; c0: number; r1: number; c1: number },
    major: "ROWS" | "COLUMNS",
    option: RenderOption,
  ): Cell[][] {
    const matrix: (Cell | undefined)[][] = [];
    for (let r = box.r0; r <= box.r1 && r < sheet.rows.length; r++) {
      const row = sheet.rows[r] ?? [];
      const out: (Cell | undefined)[] = [];
      for (let c = box.c0; c <= box.c1 && c < row.length; c++) out.push(row[c]);
      matrix.push(out);
    }
    const oriented = major === "ROWS" ? matrix : transpose(matrix);
    return trimmed(oriented).map((row) => row.map((cell) => render(cell, option)));
  }

  function valueRangeResponse(range: A1Range, major: "ROWS" | "COLUMNS", option: RenderOption) {
    const box = clampToGrid(range);
    const values = renderedBox(range.sheet, box, major, option);
    return { range: box.text, majorDimension: major, ...(values.length > 0 ? { values } : {}) };
  }

  function withUpdatedData(
    stats: ReturnType<typeof updateStats>,
    plan: WritePlan,
    query: URLSearchParams,
  ) {
    if (!booleanParam(query.get("includeValuesInResponse"), "include_values_in_response")) {
      return stats;
    }
    const option = renderOption(
      query.get("responseValueRenderOption"),
      "response_value_render_option",
    );
    if (!("updatedRange" in stats) || !stats.updatedRange) return stats;
    const { height, width } = planSize(plan);
    const box = { r0: plan.r0, c0: plan.c0, r1: plan.r0 + height - 1, c1: plan.c0 + width - 1 };
    const values = renderedBox(plan.sheet, box, "ROWS", option);
    return {
      ...stats,
      updatedData: { range: stats.updatedRange, majorDimension: "ROWS", values },
    };
  }

  // `append` looks for a table in the range: the first row with data and the rows under it up to
  // the first empty one. New rows go under that table, from its leftmost column.
  function appendPlan(
    book: Spreadsheet,
    rangeText: string,
    body: ValueRange,
    query: URLSearchParams,
  ) {
    const option = valueInputOption(query.get("valueInputOption"), "value_input_option");
    const insert = query.get("insertDataOption") ?? "OVERWRITE";
    if (insert !== "OVERWRITE" && insert !== "INSERT_ROWS") {
      throw enumError("insert_data_option", "InsertDataOption", insert);
    }
    const range = parseRange(book, rangeText);
    if (body.range !== undefined && !sameRange(parseRange(book, body.range), range)) {
      throw invalid(`Request range[${rangeText}] does not match value's range[${body.range}]`);
    }
    const { sheet } = range;
    // From a lone cell (the usual "Sheet1!A1") the search runs to the edges of the grid.
    const rLast = range.anchor
      ? sheet.rowCount - 1
      : Math.min(range.r1 ?? Infinity, sheet.rowCount - 1);
    const cLast = range.anchor
      ? sheet.columnCount - 1
      : Math.min(range.c1 ?? Infinity, sheet.columnCount - 1);
    const rowHasData = (r: number) => {
      const row = sheet.rows[r];
      if (!row) return false;
      for (let c = range.c0; c <= cLast && c < row.length; c++) if (!isEmpty(row[c])) return true;
      return false;
    };
    let first = -1;
    for (let r = range.r0; r <= rLast && r < sheet.rows.length; r++) {
      if (rowHasData(r)) {
        first = r;
        break;
      }
    }
    let table: { r0: number; c0: number; r1: number; c1: number } | undefined;
    let writeRow = range.r0;
    let writeCol = range.c0;
    if (first >= 0) {
      let last = first;
      while (last + 1 <= rLast && rowHasData(last + 1)) last += 1;
      let c0 = cLast;
      let c1 = range.c0;
      for (let r = first; r <= last; r++) {
        const row = sheet.rows[r] ?? [];
        for (let c = range.c0; c <= cLast && c < row.length; c++) {
          if (isEmpty(row[c])) continue;
          c0 = Math.min(c0, c);
          c1 = Math.max(c1, c);
        }
      }
      table = { r0: first, c0, r1: last, c1 };
      writeRow = last + 1;
      writeCol = c0;
    }
    const plan: WritePlan = {
      sheet,
      r0: writeRow,
      c0: writeCol,
      values: body.values,
      option,
      ...(insert === "INSERT_ROWS" ? { insertRows: body.values.length } : {}),
    };
    return { plan, table };
  }

  function spreadsheetResource(book: Spreadsheet) {
    return {
      spreadsheetId: book.id,
      properties: {
        title: book.title,
        locale: "en_US",
        autoRecalc: "ON_CHANGE",
        timeZone: "Etc/GMT",
      },
      sheets: book.sheets.map((sheet, index) => ({ properties: sheetProperties(sheet, index) })),
      spreadsheetUrl: `https://docs.google.com/spreadsheets/d/${book.id}/edit`,
    };
  }

  function nextSheetId(book: Spreadsheet): number {
    for (;;) {
      const id = randomInt(1, 2 ** 31 - 1);
      if (!book.sheets.some((sheet) => sheet.sheetId === id)) return id;
    }
  }

  // spreadsheets.batchUpdate runs on a copy of the sheets; the copy replaces them only when every
  // request went through, so one bad request changes nothing.
  function structuralUpdate(book: Spreadsheet, body: Record<string, unknown>) {
    unknownFieldsCheck(
      body,
      ["requests", "includeSpreadsheetInResponse", "responseRanges", "responseIncludeGridData"],
      "",
    );
    const list = body.requests;
    if (!Array.isArray(list) || list.length === 0)
      throw invalid("Must specify at least one request.");
    const sheets = book.sheets.map(cloneSheet);
    const draft: Spreadsheet = { ...book, sheets };
    const replies: unknown[] = [];
    list.forEach((request: unknown, i) => {
      const at = `requests[${i}]`;
      if (!isRecord(request))
        throw invalid(`Invalid JSON payload received. Expected an object at '${at}'.`);
      const kinds = Object.keys(request);
      const stranger = kinds.find((k) => !STRUCTURAL_REQUESTS.includes(k));
      if (stranger !== undefined) {
        // Google knows many more kinds; a client needing one needs the fake taught it first.
        throw invalid(
          `Invalid JSON payload received. Unknown name "${stranger}" at '${at}': Cannot find field. (The fake implements ${STRUCTURAL_REQUESTS.join(", ")}.)`,
        );
      }
      if (kinds.length !== 1)
        throw invalid(`Invalid ${at}: exactly one kind of request must be set.`);
      const kind = kinds[0]!;
      const payload = request[kind];
      if (!isRecord(payload)) throw invalid(`Invalid ${at}.${kind}: expected an object.`);
      const fail = (message: string) => invalid(`Invalid ${at}.${kind}: ${message}`);
      if (kind === "addSheet") {
        const props = isRecord(payload.properties) ? payload.properties : {};
        let title = typeof props.title === "string" ? props.title : undefined;
        if (title === undefined) {
          let n = sheets.length + 1;
          while (findSheet(draft, `Sheet${n}`)) n += 1;
          title = `Sheet${n}`;
        }
        if (title.trim() === "") throw fail("Sheet names must not be empty.");
        if (findSheet(draft, title)) {
          throw fail(`A sheet with the name "${title}" already exists. Please enter another name.`);
        }
        const grid = isRecord(props.gridProperties) ? props.gridProperties : {};
        const rows = grid.rowCount ?? NEW_SHEET_ROWS;
        const cols = grid.columnCount ?? NEW_SHEET_COLUMNS;
        if (
          !Number.isInteger(rows) ||
          !Number.isInteger(cols) ||
          (rows as number) < 1 ||
          (cols as number) < 1
        ) {
          throw fail("gridProperties.rowCount and columnCount must be positive integers.");
        }
        if ((cols as number) > MAX_COLUMNS) throw columnLimitError();
        let sheetId: number;
        if (props.sheetId !== undefined) {
          if (!Number.isInteger(props.sheetId) || (props.sheetId as number) < 0) {
            throw fail("sheetId must be a non-negative integer.");
          }
          sheetId = props.sheetId as number;
          if (sheets.some((s) => s.sheetId === sheetId)) {
            throw fail(`A sheet with the id ${sheetId} already exists.`);
          }
        } else {
          sheetId = nextSheetId(draft);
        }
        const added = newSheet(title, sheetId, rows as number, cols as number);
        const index =
          typeof props.index === "number" && Number.isInteger(props.index)
            ? Math.max(0, Math.min(props.index, sheets.length))
            : sheets.length;
        sheets.splice(index, 0, added);
        if (gridCells(draft) > maxCells) throw cellLimitError(maxCells);
        replies.push({ addSheet: { properties: sheetProperties(added, index) } });
        return;
      }
      if (kind === "updateSheetProperties") {
        const props = isRecord(payload.properties) ? payload.properties : {};
        const fields = typeof payload.fields === "string" ? payload.fields.trim() : "";
        if (fields === "") throw fail("You must specify which fields to update.");
        const target = sheets.find((s) => s.sheetId === (props.sheetId ?? 0));
        if (!target) throw fail(`No grid with id: ${String(props.sheetId)}`);
        const grid = isRecord(props.gridProperties) ? props.gridProperties : {};
        const all = fields === "*";
        for (const field of all
          ? ["title", "index", "gridProperties"]
          : fields.split(",").map((f) => f.trim())) {
          if (field === "title") {
            if (typeof props.title !== "string" || props.title.trim() === "") {
              if (all && props.title === undefined) continue;
              throw fail("Sheet names must not be empty.");
            }
            const other = findSheet(draft, props.title);
            if (other && other !== target) {
              throw fail(
                `A sheet with the name "${props.title}" already exists. Please enter another name.`,
              );
            }
            target.title = props.title;
          } else if (field === "index") {
            if (props.index === undefined && all) continue;
            if (!Number.isInteger(props.index)) throw fail("index must be an integer.");
            sheets.splice(sheets.indexOf(target), 1);
            sheets.splice(Math.max(0, Math.min(props.index as number, sheets.length)), 0, target);
          } else if (
            field === "gridProperties" ||
            field === "gridProperties.rowCount" ||
            field === "gridProperties.columnCount"
          ) {
            for (const [key, current] of [
              ["rowCount", target.rowCount],
              ["columnCount", target.columnCount],
            ] as const) {
              if (field !== "gridProperties" && field !== `gridProperties.${key}`) continue;
              const value = grid[key] ?? (field === "gridProperties" ? current : undefined);
              if (!Number.isInteger(value) || (value as number) < 1) {
                throw fail(`gridProperties.${key} must be a positive integer.`);
              }
              if (key === "columnCount" && (value as number) > MAX_COLUMNS)
                throw columnLimitError();
              target[key] = value as number;
            }
            // Shrinking the grid drops what was outside it.
            target.rows.length = Math.min(target.rows.length, target.rowCount);
            for (const row of target.rows) {
              if (row && row.length > target.columnCount) row.length = target.columnCount;
            }
          } else {
            throw fail(`Field '${field}' is not a field of SheetProperties the fake supports.`);
          }
        }
        if (gridCells(draft) > maxCells) throw cellLimitError(maxCells);
        replies.push({});
        return;
      }
      if (kind === "deleteSheet") {
        const target = sheets.findIndex((s) => s.sheetId === payload.sheetId);
        if (target < 0) throw fail(`No sheet with id: ${String(payload.sheetId)}`);
        if (sheets.length === 1) throw fail("You can't remove all the sheets in a document.");
        sheets.splice(target, 1);
        replies.push({});
        return;
      }
      throw invalid(`Invalid ${at}: unsupported request ${kind}.`);
    });
    book.sheets = sheets;
    return {
      spreadsheetId: book.id,
      replies,
      ...(body.includeSpreadsheetInResponse === true
        ? { updatedSpreadsheet: spreadsheetResource(book) }
        : {}),
    };
  }

  function quotaUnits(found: Route, body: Record<string, unknown>): number {
    const list =
      found.kind === "valuesBatchUpdate"
        ? body.data
        : found.kind === "valuesBatchClear"
          ? body.ranges
          : found.kind === "batchUpdate"
            ? body.requests
            : undefined;
    return Math.max(1, Array.isArray(list) ? list.length : 1);
  }

  async function api(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    entry: FakeGoogleRequest,
  ) {
    const method = req.method ?? "GET";
    const rawPath = (req.url ?? "/").split("?")[0]!;
    const matched = route(method, rawPath);
    const body = await readBody(req, drainLimit);
    entry.bytes = body.length;
    if (!matched) return sendHtml(res, 404, NOT_FOUND_PAGE);
    const { id, route: found } = matched;
    const isWrite = method !== "GET";

    const grant = authenticate(req, url, entry);
    if (![...grant.scopes].some((s) => (isWrite ? WRITE_SCOPES : READ_SCOPES).has(s))) {
      throw insufficientScopes();
    }
    const book = spreadsheets.get(id);
    if (!book) throw new ApiError(404, "Requested entity was not found.");
    if (!book.sharedWith.has(grant.account)) {
      throw new ApiError(403, "The caller does not have permission");
    }
    for (const name of url.searchParams.keys()) {
      if (!SYSTEM_PARAMS.includes(name) && !QUERY_PARAMS[found.kind].includes(name)) {
        throw invalid(
          `Invalid JSON payload received. Unknown name "${name}": Cannot bind query parameter. Field '${name}' could not be found in request message.`,
        );
      }
    }
    // Google only recommends 2 MB per request and takes larger ones; the fake refuses them so a
    // client that ignores the advice finds out in tests rather than on a slow production link.
    if (body.length > maxBodyBytes) {
      throw invalid(`Request payload size exceeds the limit: ${maxBodyBytes} bytes.`);
    }
    const json = isWrite ? parseBody(req, body) : {};

    if (isWrite && faults && faults.remaining > 0) {
      faults.remaining -= 1;
      const { status, body: custom } = faults;
      if (faults.remaining === 0) faults = undefined;
      if (custom !== undefined) return sendJson(res, status, custom, {}, GOOGLE_JSON);
      if (status === 429) return sendJson(res, 429, quotaBody(), {}, GOOGLE_JSON);
      throw new ApiError(status, DEFAULT_MESSAGES[status] ?? "Injected failure.");
    }
    if (isWrite) takeQuota(grant.account, quotaUnits(found, json));

    const send = (value: unknown) => sendJson(res, 200, value, {}, GOOGLE_JSON);
    const query = url.searchParams;
    switch (found.kind) {
      case "get":
        booleanParam(query.get("includeGridData"), "include_grid_data");
        return send(spreadsheetResource(book));
      case "valuesGet": {
        const range = parseRange(book, decodeRange(found.range));
        checkDateTimeOption(query.get("dateTimeRenderOption"), "date_time_render_option");
        const major = dimension(query.get("majorDimension"), "major_dimension");
        const option = renderOption(query.get("valueRenderOption"), "value_render_option");
        return send(valueRangeResponse(range, major, option));
      }
      case "valuesBatchGet": {
        checkDateTimeOption(query.get("dateTimeRenderOption"), "date_time_render_option");
        const major = dimension(query.get("majorDimension"), "major_dimension");
        const option = renderOption(query.get("valueRenderOption"), "value_render_option");
        const valueRanges = query
          .getAll("ranges")
          .map((text) => valueRangeResponse(parseRange(book, text), major, option));
        return send({ spreadsheetId: book.id, valueRanges });
      }
      case "valuesUpdate": {
        const rangeText = decodeRange(found.range);
        const option = valueInputOption(query.get("valueInputOption"), "value_input_option");
        const plan = updatePlan(book, rangeText, readValueRange(json, ""), option);
        checkGrowth(book, [plan]);
        applyWrite(plan);
        return send(withUpdatedData(updateStats(plan, book.id), plan, query));
      }
      case "valuesAppend": {
        const rangeText = decodeRange(found.range);
        const { plan, table } = appendPlan(book, rangeText, readValueRange(json, ""), query);
        checkGrowth(book, [plan]);
        applyWrite(plan);
        return send({
          spreadsheetId: book.id,
          ...(table
            ? { tableRange: formatBox(plan.sheet, table.r0, table.c0, table.r1, table.c1) }
            : {}),
          updates: withUpdatedData(updateStats(plan, book.id), plan, query),
        });
      }
      case "valuesClear": {
        unknownFieldsCheck(json, [], "");
        const range = parseRange(book, decodeRange(found.range));
        const box = clampToGrid(range);
        clearCells(range.sheet, box);
        return send({ spreadsheetId: book.id, clearedRange: box.text });
      }
      case "valuesBatchClear": {
        unknownFieldsCheck(json, ["ranges"], "");
        const ranges = json.ranges ?? [];
        if (!Array.isArray(ranges) || ranges.some((r) => typeof r !== "string")) {
          throw invalid("Invalid value at 'ranges' (TYPE_STRING): expected a list of A1 ranges.");
        }
        const boxes = (ranges as string[]).map((text) => {
          const range = parseRange(book, text);
          return { sheet: range.sheet, box: clampToGrid(range) };
        });
        for (const { sheet, box } of boxes) clearCells(sheet, box);
        return send({ spreadsheetId: book.id, clearedRanges: boxes.map(({ box }) => box.text) });
      }
      case "valuesBatchUpdate": {
        unknownFieldsCheck(
          json,
          [
            "valueInputOption",
            "data",
            "includeValuesInResponse",
            "responseValueRenderOption",
            "responseDateTimeRenderOption",
          ],
          "",
        );
        const option = valueInputOption(json.valueInputOption, "value_input_option");
        const data = json.data ?? [];
        if (!Array.isArray(data)) {
          throw invalid(
            `Invalid value at 'data' (type.googleapis.com/google.apps.sheets.v4.ValueRange), ${JSON.stringify(data)}`,
          );
        }
        const plans = data.map((item: unknown, i) => {
          const valueRange = readValueRange(item, `data[${i}]`);
          if (valueRange.range === undefined)
            throw invalid(`Invalid data[${i}]: No range specified.`);
          return updatePlan(book, valueRange.range, valueRange, option);
        });
        checkGrowth(book, plans);
        for (const plan of plans) applyWrite(plan);
        const includeValues = json.includeValuesInResponse === true;
        const responseQuery = new URLSearchParams();
        if (includeValues) responseQuery.set("includeValuesInResponse", "true");
        if (typeof json.responseValueRenderOption === "string") {
          responseQuery.set("responseValueRenderOption", json.responseValueRenderOption);
        }
        const responses = plans.map((plan) =>
          withUpdatedData(updateStats(plan, book.id), plan, responseQuery),
        );
        const sum = (key: "updatedRows" | "updatedColumns" | "updatedCells") =>
          responses.reduce(
            (total, r) => total + (key in r ? Number(r[key as keyof typeof r]) : 0),
            0,
          );
        return send({
          spreadsheetId: book.id,
          totalUpdatedRows: sum("updatedRows"),
          totalUpdatedColumns: sum("updatedColumns"),
          totalUpdatedCells: sum("updatedCells"),
          totalUpdatedSheets: new Set(
            plans.filter((p) => planSize(p).height > 0).map((p) => p.sheet),
          ).size,
          responses,
        });
      }
      case "batchUpdate":
        return send(structuralUpdate(book, json));
    }
  }

  // ---- server ------------------------------------------------------------------------------

  const server = await listenFake(options.port, async (req, res, url) => {
    const entry: FakeGoogleRequest = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      at: Date.now(),
      status: 0,
      bytes: 0,
    };
    requests.push(entry);
    // Answers the shared plumbing sends after a throw (413, 500) are recorded when they go out.
    res.once("finish", () => {
      entry.status = res.statusCode;
    });
    try {
      if (url.pathname === "/token") return await token(req, res, entry);
      if (url.pathname.startsWith("/v4/")) {
        try {
          return await api(req, res, url, entry);
        } catch (error) {
          if (error instanceof QuotaExceeded)
            return sendJson(res, 429, quotaBody(), {}, GOOGLE_JSON);
          if (!(error instanceof ApiError)) throw error;
          const headers: Record<string, string> =
            error.status === 401
              ? {
                  "www-authenticate":
                    'Bearer realm="https://accounts.google.com/", error="invalid_token"',
                }
              : {};
          return sendJson(
            res,
            error.status,
            errorBody(error.status, error.message, error.extra),
            headers,
            GOOGLE_JSON,
          );
        }
      }
      await readBody(req, drainLimit);
      sendHtml(res, 404, NOT_FOUND_PAGE);
    } finally {
      if (res.headersSent) entry.status = res.statusCode;
    }
  });

  const tokenUri = `${server.url}/token`;
  const [main, other] = await Promise.all([
    newServiceAccount("datahaul-sheets", tokenUri),
    newServiceAccount("datahaul-unshared", tokenUri),
  ]);
  for (const { account } of [main, other]) accounts.set(account.email, account);

  return {
    url: server.url,
    serviceAccountKey: main.key,
    otherServiceAccountKey: other.key,
    requests,
    addSpreadsheet({ title, sheets = ["Sheet1"], sharedWith = [main.account.email] }) {
      if (sheets.length === 0) throw new Error("a spreadsheet needs at least one sheet");
      const book: Spreadsheet = {
        id: newSpreadsheetId(),
        title,
        sheets: [],
        sharedWith: new Set(sharedWith),
      };
      for (const name of sheets) {
        if (findSheet(book, name)) throw new Error(`duplicate sheet name: ${name}`);
        book.sheets.push(newSheet(name, book.sheets.length === 0 ? 0 : nextSheetId(book)));
      }
      if (gridCells(book) > maxCells) throw new Error(`more than ${maxCells} cells`);
      spreadsheets.set(book.id, book);
      return book.id;
    },
    values(spreadsheetId, sheetTitle) {
      const book = spreadsheets.get(spreadsheetId);
      if (!book) throw new Error(`no spreadsheet ${spreadsheetId}`);
      const sheet = findSheet(book, sheetTitle);
      if (!sheet) throw new Error(`no sheet "${sheetTitle}" in ${spreadsheetId}`);
      return trimmed(
        Array.from({ length: sheet.rows.length }, (_, r) => [...(sheet.rows[r] ?? [])]),
      );
    },
    expireTokens() {
      for (const grant of tokens.values()) grant.revoked = true;
    },
    failNext(n, status, body) {
      faults = n > 0 ? { remaining: n, status, body } : undefined;
    },
    close: () => server.close(),
  };
}
