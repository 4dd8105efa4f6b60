import Papa from "papaparse";

export type ManifestStatus = "downloaded" | "duplicate" | "failed" | "cancelled" | "pending";

export type ManifestRow = {
  product: string;
  position: number;
  sourceUrl: string;
  fileName: string | null;
  bytes: number | null;
  sha256: string | null;
  contentType: string | null;
  status: ManifestStatus | (string & {});
  attempts: number;
  error: string | null;
  /** the line of the pasted or uploaded input it came from, to find it in the spreadsheet */
  line: number | null;
};

export type ManifestMeta = {
  jobId: string;
  jobTitle: string;
  generatedAt: string;
  product?: string;
};

export const MANIFEST_CSV_HEADER = [
  "product",
  "position",
  "source_url",
  "file_name",
  "bytes",
  "sha256",
  "content_type",
  "status",
  "attempts",
  "error",
  "line",
] as const;

// What Excel, LibreOffice and Sheets run as a formula when they open a CSV (OWASP "CSV injection"):
// a cell starting with "=" or "@" (Excel's Lotus-style functions), or with a tab or CR before one.
// A leading "+" or "-" makes a formula too ("-P1" is read as =-P1, the negated cell P1, and "-abc"
// as #NAME?), except where the whole cell is a plain number, which is read as that number.
const ALWAYS_FORMULA = /^[=@\t\r]/;
const SIGNED = /^[+-]/;
const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function buildManifestCsv(rows: Iterable<ManifestRow>): string {
  return `${MANIFEST_CSV_HEADER.join(",")}\r\n${manifestCsvRecords([...rows])}`;
}

/** CSV records without the header, each ending in CRLF: a manifest can be written in pieces. */
export function manifestCsvRecords(rows: ManifestRow[]): string {
  if (rows.length === 0) return "";
  // source_url and file_name are never changed: scripts match them against the ZIP's paths and the
  // sources. Neither can hold a harmful formula: a URL starts with "http", and a file name is made
  // of a product number (letters, digits, "-", "_"), "/", "." and digits, so it cannot call a
  // function or reach another program, at worst show #NAME? in Excel.
  const data = rows.map((row) => [
    guardText(row.product),
    String(row.position),
    row.sourceUrl,
    row.fileName ?? "",
    formatNumber(row.bytes),
    guardText(row.sha256),
    guardText(row.contentType),
    guardText(row.status),
    String(row.attempts),
    guardText(row.error),
    formatNumber(row.line),
  ]);
  // Papa's own escapeFormulae misses multi-line values ("." stops at a newline), so the guard
  // runs above and Papa only does RFC 4180 quoting.
  const csv = Papa.unparse(data, { newline: "\r\n", quotes: false, escapeFormulae: false });
  return `${csv}\r\n`;
}

/**
 * A text cell a spreadsheet will not run as a formula: prefixed with "'" only where it would be
 * one. Meant for free text (names, messages); never for a path or URL that must match a file.
 */
export function guardText(value: string | null): string {
  if (value === null) return "";
  return isFormulaToSpreadsheets(value) ? `'${value}` : value;
}

export function isFormulaToSpreadsheets(value: string): boolean {
  if (ALWAYS_FORMULA.test(value)) return true;
  return SIGNED.test(value) && value.length > 1 && !PLAIN_NUMBER.test(value);
}

export type SkippedRow = {
  line: number;
  product: string;
  url: string;
  verdict: string;
  message: string;
};

export const SKIPPED_CSV_HEADER = ["line", "product", "image_url", "verdict", "message"] as const;

/**
 * skipped.csv records: the entries Analyze left out, each ending in CRLF. image_url is the cell as
 * it was given (often not a URL at all, and never a path in the ZIP), so it is guarded like text.
 */
export function skippedCsvRecords(rows: SkippedRow[]): string {
  if (rows.length === 0) return "";
  const data = rows.map((row) => [
    String(row.line),
    guardText(row.product),
    guardText(row.url),
    row.verdict,
    guardText(row.message),
  ]);
  return `${Papa.unparse(data, { newline: "\r\n", quotes: false, escapeFormulae: false })}\r\n`;
}

function formatNumber(value: number | null): string {
  return value === null ? "" : String(value);
}

export function buildManifestJson(meta: ManifestMeta, rows: ManifestRow[]): string {
  return [
    manifestJsonStart(meta, rows.length),
    ...rows.map((row, i) => manifestJsonItem(row, i === 0)),
    manifestJsonEnd(rows.length),
  ].join("");
}

/*
 * The JSON manifest in pieces (start, each item, end) that join to exactly what
 * JSON.stringify(document, null, 2) would write, so a large one can be streamed to a file.
 */
const indent = (json: string, spaces: string) => json.replace(/\n/g, `\n${spaces}`);

export function manifestJsonStart(meta: ManifestMeta, itemCount: number): string {
  const job = {
    id: meta.jobId,
    title: meta.jobTitle,
    generatedAt: meta.generatedAt,
    ...(meta.product === undefined ? {} : { product: meta.product }),
    itemCount,
  };
  return `{\n  "job": ${indent(JSON.stringify(job, null, 2), "  ")},\n  "items": [`;
}

export function manifestJsonItem(row: ManifestRow, isFirst: boolean): string {
  // Explicit picks keep extra properties on caller objects (db rows) out of a user-facing file.
  const item = {
    product: row.product,
    position: row.position,
    sourceUrl: row.sourceUrl,
    fileName: row.fileName,
    bytes: row.bytes,
    sha256: row.sha256,
    contentType: row.contentType,
    status: row.status,
    attempts: row.attempts,
    error: row.error,
    line: row.line,
  };
  return `${isFirst ? "" : ","}\n    ${indent(JSON.stringify(item, null, 2), "    ")}`;
}

export function manifestJsonEnd(itemCount: number): string {
  return itemCount === 0 ? "]\n}\n" : "\n  ]\n}\n";
}
