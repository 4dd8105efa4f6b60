import { z } from "zod";
import { DownloadError, type TQuota } from "@/server/downloads";
import { serviceWindow } from "@/server/downloads/quota";
import {
  ConnectorError,
  describeTransportError,
  excerpt,
  SessionExpiredError,
} from "../connector-error";
import { sessionCaller } from "../session-cache";
import type { ConnectorKindBase, TConnection, TConnectorContext, TPushPlan } from "../types";
import { joinUrl } from "../url";
import { blockRange, columnLetters, quoteSheetName, rangePath } from "./a1";
import { signInWithServiceAccount, type TGoogleToken } from "./google-auth";
import {
  googleSheetsSchemas,
  parseServiceAccountKey,
  spreadsheetIdOf,
  ZGoogleSheetsSecrets as ZSecrets,
  ZGoogleSheetsSettings as ZSettings,
  type TServiceAccountKey,
} from "./schemas";

type TSettings = z.infer<typeof ZSettings>;
type TSecrets = z.infer<typeof ZSecrets>;
type TSheets = TConnection<TSettings, TSecrets>;

/** Google's limits (developers.google.com/workspace/sheets/api/limits). */
export const SHEETS_LIMITS = {
  writesPerMinute: 60,
  readsPerMinute: 60,
  maxCells: 10_000_000,
  /** Google recommends at most 2 MB a request; the JSON around the values takes the rest */
  maxBatchBytes: 1_900_000,
};

const ZSpreadsheet = z.object({
  properties: z.object({ title: z.string() }),
  sheets: z
    .array(
      z.object({
        properties: z.object({
          sheetId: z.number(),
          title: z.string(),
          gridProperties: z
            .object({ rowCount: z.number().default(0), columnCount: z.number().default(0) })
            .default({ rowCount: 0, columnCount: 0 }),
        }),
      }),
    )
    .default([]),
});
type TSpreadsheet = z.infer<typeof ZSpreadsheet>;
const ZValueRange = z.object({ values: z.array(z.array(z.unknown())).default([]) });
const ZAddSheetReply = z.object({
  replies: z.array(
    z.object({ addSheet: z.object({ properties: z.object({ sheetId: z.number() }) }).optional() }),
  ),
});

function keyOf(connection: TSheets): TServiceAccountKey {
  const text = connection.secrets.serviceAccountKey;
  if (!text) throw new ConnectorError("no service account key is set for this connector");
  const parsed = parseServiceAccountKey(text);
  if (!parsed.ok) throw new ConnectorError(parsed.problem);
  return parsed.key;
}

function spreadsheetId(connection: TSheets): string {
  const id = spreadsheetIdOf(connection.settings.spreadsheet);
  if (!id)
    throw new ConnectorError("the spreadsheet setting is neither a spreadsheet URL nor an id");
  return id;
}

const call = sessionCaller<TSheets, TGoogleToken>((connection, context) =>
  signInWithServiceAccount(keyOf(connection), context.http, context.signal),
);

/** Google's own words: `{"error":{"code":400,"message":"…","status":"INVALID_ARGUMENT"}}`. */
function googleMessage(body: string | undefined): string | null {
  if (!body) return null;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    return typeof parsed.error?.message === "string" ? parsed.error.message : null;
  } catch {
    return null;
  }
}

function toSheetsError(connection: TSheets, error: unknown, what: string): Error {
  if (!(error instanceof DownloadError) || error.kind !== "http") {
    return describeTransportError(error, what);
  }
  const message = googleMessage(error.responseBody);
  const email = keyOf(connection).client_email;
  switch (error.httpStatus) {
    case 401:
      return new SessionExpiredError(message ?? "Google answered 401");
    case 403:
      return /scope/i.test(message ?? "")
        ? new ConnectorError(`Google refused ${what}: ${message}`)
        : new ConnectorError(
            `the spreadsheet is not shared with the service account: share it with ${email} as an Editor (Google said: ${message ?? "permission denied"})`,
            { httpStatus: 403 },
          );
    case 404:
      return new ConnectorError(
        `no spreadsheet has the id ${spreadsheetId(connection)}: check its URL (a deleted spreadsheet answers this too)`,
        { httpStatus: 404 },
      );
    case 429:
      return new ConnectorError(
        `Google's quota of ${SHEETS_LIMITS.writesPerMinute} requests a minute for ${email} is spent (429), and backing off did not help`,
        { httpStatus: 429, isRetryable: true },
      );
    default:
      return message
        ? new ConnectorError(`Google refused ${what}: ${excerpt(message)}`, {
            httpStatus: error.httpStatus,
            isRetryable: error.retryable,
          })
        : describeTransportError(error, what);
  }
}

type TSheetsApi = {
  read<T extends z.ZodType>(path: string, schema: T, what: string): Promise<z.output<T>>;
  write<T extends z.ZodType>(
    method: "PUT" | "POST",
    path: string,
    body: unknown,
    schema: T,
    what: string,
  ): Promise<z.output<T>>;
  email: string;
};

/** The Sheets API of one spreadsheet, paced to Google's per-account quotas across all jobs. */
function sheetsApi(connection: TSheets, context: TConnectorContext): TSheetsApi {
  const email = keyOf(connection).client_email;
  const base = joinUrl(
    connection.baseUrl,
    `v4/spreadsheets/${encodeURIComponent(spreadsheetId(connection))}`,
  );
  const origin = new URL(connection.baseUrl).origin;
  const perMinute = (key: string, limit: number): TQuota => ({
    key,
    limit,
    windowMs: serviceWindow(60_000),
  });
  const request = <T extends z.ZodType>(
    method: string,
    path: string,
    body: unknown,
    schema: T,
    what: string,
  ) =>
    call(connection, context, async (token) => {
      try {
        const answer = await context.http.requestJson(path ? `${base}${path}` : base, schema, {
          method,
          headers: body === undefined ? {} : { "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
          credentials: { origin, headers: { authorization: `Bearer ${token.accessToken}` } },
          quotas: [
            method === "GET"
              ? perMinute(`google-sheets:read:${email}`, SHEETS_LIMITS.readsPerMinute)
              : perMinute(`google-sheets:write:${email}`, SHEETS_LIMITS.writesPerMinute),
          ],
          signal: context.signal,
        });
        return answer.body;
      } catch (error) {
        throw toSheetsError(connection, error, what);
      }
    });
  return {
    email,
    read: (path, schema, what) => request("GET", path, undefined, schema, what),
    write: (method, path, body, schema, what) => request(method, path, body, schema, what),
  };
}

async function readSpreadsheet(api: TSheetsApi): Promise<TSpreadsheet> {
  return api.read(
    "?fields=properties.title,sheets.properties",
    ZSpreadsheet,
    "reading the spreadsheet",
  );
}

function cellsOf(sheets: TSpreadsheet["sheets"], except?: string): number {
  return sheets
    .filter((sheet) => sheet.properties.title !== except)
    .reduce(
      (sum, sheet) =>
        sum +
        sheet.properties.gridProperties.rowCount * sheet.properties.gridProperties.columnCount,
      0,
    );
}

const formatCount = (n: number) => n.toLocaleString("en-US");

type TSheetState = {
  sheet: string;
  sheetId: number;
  /** the 1-based row the table's first data row goes to */
  firstDataRow: number;
  /** the header goes on the row above the first data row, with the first batch */
  writeHeader: boolean;
  header: string[];
  /** the grid the sheet must have once the table is written */
  gridRows: number;
  gridColumns: number;
};

function resizeRequest(state: TSheetState) {
  return {
    requests: [
      {
        updateSheetProperties: {
          properties: {
            sheetId: state.sheetId,
            gridProperties: { rowCount: state.gridRows, columnCount: state.gridColumns },
          },
          fields: "gridProperties.rowCount,gridProperties.columnCount",
        },
      },
    ],
  };
}

export const googleSheetsConnector: ConnectorKindBase<TSettings, TSecrets> = {
  ...googleSheetsSchemas,

  async testConnection(connection, context) {
    const api = sheetsApi(connection, context);
    const spreadsheet = await readSpreadsheet(api);
    const titles = spreadsheet.sheets.map((sheet) => sheet.properties.title);
    const sheet = connection.settings.sheetName;
    const target = titles.includes(sheet)
      ? `rows go to its sheet "${sheet}"`
      : `its sheet "${sheet}" does not exist yet: the first push creates it`;
    return `signed in as ${api.email}; the spreadsheet "${spreadsheet.properties.title}" is shared with it (${titles.length} sheet${titles.length === 1 ? "" : "s"}); ${target}. Writing needs Editor access.`;
  },

  openPushTarget(connection, context) {
    const api = sheetsApi(connection, context);
    const sheet = connection.settings.sheetName;
    return {
      async prepare({ columns, rows, mode }): Promise<TPushPlan> {
        const header = columns.map((column) => column.name);
        const spreadsheet = await readSpreadsheet(api);
        const existing = spreadsheet.sheets.find((s) => s.properties.title === sheet);
        const notes: string[] = [];
        let firstDataRow = 2;
        let writeHeader = true;
        if (mode === "append" && existing) {
          const used = await api.read(
            `/values/${rangePath(quoteSheetName(sheet))}?majorDimension=ROWS`,
            ZValueRange,
            `reading the sheet "${sheet}"`,
          );
          if (used.values.length > 0) {
            const present = used.values[0]!.map((cell) => String(cell ?? ""));
            const problems = headerProblems(present, header);
            if (problems.length > 0) {
              throw new ConnectorError(
                `the sheet "${sheet}" has other columns than the table, so appending would mix them up: ${problems.join("; ")}. Replace the sheet instead, or change the transform.`,
              );
            }
            firstDataRow = used.values.length + 1;
            writeHeader = false;
            notes.push(`appending after row ${formatCount(used.values.length)} of "${sheet}"`);
          }
        }
        const lastRow = firstDataRow - 1 + rows;
        const grid = existing?.properties.gridProperties ?? { rowCount: 0, columnCount: 0 };
        const gridRows =
          mode === "replace" ? Math.max(lastRow, 1) : Math.max(grid.rowCount, lastRow, 1);
        const gridColumns =
          mode === "replace"
            ? Math.max(header.length, 1)
            : Math.max(grid.columnCount, header.length, 1);
        const cells = cellsOf(spreadsheet.sheets, sheet) + gridRows * gridColumns;
        if (cells > SHEETS_LIMITS.maxCells) {
          throw new ConnectorError(
            `the spreadsheet would hold ${formatCount(cells)} cells, ${formatCount(cells - SHEETS_LIMITS.maxCells)} over Google's limit of ${formatCount(SHEETS_LIMITS.maxCells)} (${formatCount(rows)} rows × ${header.length} columns here, ${formatCount(cellsOf(spreadsheet.sheets, sheet))} in the other sheets); nothing was written`,
          );
        }
        let sheetId = existing?.properties.sheetId;
        if (sheetId === undefined) {
          const added = await api.write(
            "POST",
            ":batchUpdate",
            {
              requests: [
                {
                  addSheet: {
                    properties: {
                      title: sheet,
                      gridProperties: { rowCount: gridRows, columnCount: gridColumns },
                    },
                  },
                },
              ],
            },
            ZAddSheetReply,
            `adding the sheet "${sheet}"`,
          );
          sheetId = added.replies[0]?.addSheet?.properties.sheetId;
          if (sheetId === undefined)
            throw new ConnectorError("Google added the sheet but did not say its id");
          notes.push(`sheet "${sheet}" created`);
        }
        const state: TSheetState = {
          sheet,
          sheetId,
          firstDataRow,
          writeHeader,
          header,
          gridRows,
          gridColumns,
        };
        // an append grows the grid now (nothing in it changes); a replace sizes it when it clears
        if (
          mode === "append" &&
          (gridRows > grid.rowCount || gridColumns > grid.columnCount) &&
          existing
        ) {
          await api.write(
            "POST",
            ":batchUpdate",
            resizeRequest(state),
            z.unknown(),
            `resizing the sheet "${sheet}"`,
          );
        }
        return {
          maxRowsPerBatch: 50_000,
          maxBytesPerBatch: SHEETS_LIMITS.maxBatchBytes,
          // each batch writes fixed cells: sending it again writes the same values
          isBatchIdempotent: true,
          state,
          notes,
        };
      },

      async clear(plan) {
        const state = plan.state as TSheetState;
        await api.write(
          "POST",
          `/values/${rangePath(quoteSheetName(state.sheet))}:clear`,
          {},
          z.unknown(),
          `clearing the sheet "${state.sheet}"`,
        );
        await api.write(
          "POST",
          ":batchUpdate",
          resizeRequest(state),
          z.unknown(),
          `resizing the sheet "${state.sheet}"`,
        );
      },

      async sendBatch(plan, batch) {
        const state = plan.state as TSheetState;
        const withHeader = state.writeHeader && batch.firstRow === 0;
        const values = (withHeader ? [state.header, ...batch.rows] : batch.rows).map((row) =>
          row.map((cell) => (cell === null || cell === undefined ? "" : cell)),
        );
        const top = state.firstDataRow + batch.firstRow - (withHeader ? 1 : 0);
        const range = blockRange(state.sheet, top, values.length, state.header.length);
        await api.write(
          "PUT",
          `/values/${rangePath(range)}?valueInputOption=RAW`,
          { range, majorDimension: "ROWS", values },
          z.unknown(),
          `writing rows ${formatCount(top)} to ${formatCount(top + values.length - 1)} (${columnLetters(1)}:${columnLetters(state.header.length)})`,
        );
      },
    };
  },
};

/** What differs between a sheet's header row and the table's columns, in words. */
export function headerProblems(present: string[], wanted: string[]): string[] {
  const trimmed = [...present];
  while (trimmed.length > 0 && trimmed.at(-1) === "") trimmed.pop();
  const problems: string[] = [];
  const missing = wanted.filter((name) => !trimmed.includes(name));
  const extra = trimmed.filter((name) => !wanted.includes(name));
  if (missing.length > 0) problems.push(`missing ${missing.map((n) => `"${n}"`).join(", ")}`);
  if (extra.length > 0) problems.push(`not in the table ${extra.map((n) => `"${n}"`).join(", ")}`);
  if (problems.length === 0 && trimmed.join("\u0000") !== wanted.join("\u0000")) {
    problems.push(`the order differs (sheet: ${trimmed.join(", ")}; table: ${wanted.join(", ")})`);
  }
  return problems;
}
