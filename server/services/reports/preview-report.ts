import "server-only";
import fs from "node:fs";
import Papa from "papaparse";
import { z } from "zod";
import { ConnectorError, type TFetchedReport } from "@/server/connectors";
import { formatByteLimit } from "@/server/downloads/errors";
import { PICKER_TIMEOUT_MS, pickerContext, pickerError } from "./report-picker";
import { normaliseFetchedFile } from "./normalise-fetched-file";
import { parseReportQuery } from "./reports";

/** How many rows a preview shows. */
export const PREVIEW_ROWS = 20;
/** A CSV preview stops reading at this many bytes even before its rows are complete. */
const PREVIEW_CSV_BYTES = 1024 * 1024;
/** The largest answer a preview reads whole: JSON documents, ZIPs, pages that are not CSV. */
const PREVIEW_WHOLE_BYTES = 8 * 1024 * 1024;
/** Cells and columns beyond these are cut for the table, not for the report. */
const MAX_CELL_CHARS = 300;
const MAX_COLUMNS = 50;

export const ZPreviewInput = z.object({
  connectorId: z.uuid(),
  query: z.unknown(),
});

export type TReportPreview = {
  columns: string[];
  rows: string[][];
  /** the report has more rows than shown */
  hasMore: boolean;
  /** columns beyond MAX_COLUMNS that were left out of the table */
  hiddenColumns: number;
  /** what the run would note (a conversion, a removed footer) and what the preview left out */
  notes: string[];
};

const cell = (value: unknown): string => {
  const text =
    value === null || value === undefined
      ? ""
      : typeof value === "object"
        ? JSON.stringify(value)
        : String(value);
  return text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS)}…` : text;
};

/**
 * Runs the query a report form describes (nothing is saved) the way a run fetches it: the
 * connector's fetch, the checks of what came back, the normalising of the file. Only the first
 * rows are read: a CSV download stops after them and its connection is dropped, and the whole
 * preview has a time limit. Returns the header and rows, or throws the connector's reason.
 */
export async function previewReport(
  input: z.output<typeof ZPreviewInput>,
  signal?: AbortSignal,
): Promise<TReportPreview> {
  const { connection, kind, context } = await pickerContext(input.connectorId, signal);
  const query = parseReportQuery(connection.kind, input.query);
  let fetched: TFetchedReport | null = null;
  const finalPaths: string[] = [];
  try {
    fetched = await kind.fetchReport(connection, query, {
      ...context,
      // one more than shown, and the header: enough to know whether more rows follow
      http: context.http.withOptions({
        maxFileBytes: PREVIEW_WHOLE_BYTES,
        firstRecords: { records: PREVIEW_ROWS + 2, maxBytes: PREVIEW_CSV_BYTES },
      }),
      rowLimit: PREVIEW_ROWS + 1,
    });
    const [first] = fetched.files;
    if (!first) throw new ConnectorError("the system answered with no file");
    const finalPath = `${first.path}.preview`;
    finalPaths.push(finalPath);
    const summary = await normaliseFetchedFile(fetched, first.path, finalPath);
    const table =
      fetched.format === "csv" ? readCsvStart(finalPath) : readJsonStart(finalPath, summary.rows);
    const notes = [...(fetched.notes ?? []), ...summary.notes];
    if (fetched.files.length > 1) {
      notes.push(
        `the report has ${fetched.files.length} tables; this is the first (${first.label})`,
      );
    }
    return { ...table, notes };
  } catch (error) {
    const isTimeUp = context.signal?.aborted === true && !signal?.aborted;
    const reason = isTimeUp
      ? new ConnectorError(`no complete answer within ${PICKER_TIMEOUT_MS / 1000} seconds`)
      : previewWords(error);
    throw pickerError(reason, "The preview failed");
  } finally {
    for (const file of fetched?.files ?? []) fs.rmSync(file.path, { force: true });
    for (const file of finalPaths) fs.rmSync(file, { force: true });
  }
}

/** A preview that had to read a whole document says why it stopped, in its own terms. */
function previewWords(error: unknown): unknown {
  if (error instanceof ConnectorError && /too large/.test(error.message)) {
    return new ConnectorError(
      `${error.message}: a preview reads the first rows of a CSV, but a JSON document, a ZIP or a page that is not CSV only whole, up to ${formatByteLimit(PREVIEW_WHOLE_BYTES)} (a run has no such limit)`,
    );
  }
  return error;
}

function limitColumns(header: string[], rows: string[][]) {
  const hiddenColumns = Math.max(0, header.length - MAX_COLUMNS);
  return {
    columns: header.slice(0, MAX_COLUMNS).map(cell),
    rows: rows.map((row) => row.slice(0, MAX_COLUMNS).map(cell)),
    hiddenColumns,
  };
}

/** The header and first rows of a normalised CSV, read from its start only. */
function readCsvStart(path: string): Omit<TReportPreview, "notes"> {
  const handle = fs.openSync(path, "r");
  let text: string;
  try {
    const start = Buffer.alloc(Math.min(fs.fstatSync(handle).size, PREVIEW_WHOLE_BYTES));
    const read = fs.readSync(handle, start, 0, start.length, 0);
    text = start.subarray(0, read).toString("utf8");
  } finally {
    fs.closeSync(handle);
  }
  const parsed = Papa.parse<string[]>(text, { preview: PREVIEW_ROWS + 2, skipEmptyLines: true });
  const [header = [], ...rows] = parsed.data;
  if (header.length === 0) {
    throw new ConnectorError(
      "the answer has no complete first line to read as the header (an empty report, or a first line longer than 1 MB)",
    );
  }
  return {
    ...limitColumns(header, rows.slice(0, PREVIEW_ROWS)),
    hasMore: rows.length > PREVIEW_ROWS,
  };
}

/** The first elements of a JSON list as rows, their keys as columns. */
function readJsonStart(path: string, count: number | null): Omit<TReportPreview, "notes"> {
  const document = JSON.parse(fs.readFileSync(path, "utf8")) as unknown;
  if (!Array.isArray(document)) {
    throw new ConnectorError(
      "the answer is a JSON document but not a list of rows: a run keeps it as it is, a preview shows lists only",
    );
  }
  const first = document.slice(0, PREVIEW_ROWS);
  const isObjects = first.every((row) => row && typeof row === "object" && !Array.isArray(row));
  const header = isObjects
    ? [...new Set(first.flatMap((row) => Object.keys(row as object)))]
    : ["value"];
  const rows = first.map((row) =>
    isObjects ? header.map((key) => cell((row as Record<string, unknown>)[key])) : [cell(row)],
  );
  return { ...limitColumns(header, rows), hasMore: (count ?? document.length) > PREVIEW_ROWS };
}
