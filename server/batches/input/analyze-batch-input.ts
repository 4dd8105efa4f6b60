import {
  PRODUCT_COLUMN_NAMES,
  URL_COLUMN_NAMES,
  detectDelimiter,
  findHeaderColumns,
  startsWithHttp,
} from "./detect-format";
import { iterateDelimitedRecords } from "./parse-delimited";
import { splitUrlCell } from "./split-urls";
import type {
  AnalyzeOptions,
  AnalyzedRow,
  BatchAnalysis,
  BatchSummary,
  Delimiter,
  ProductSummary,
} from "./types";
import { checkImageUrl, checkProductNumber, normalizeProductNumber } from "./validate-cells";

export const DEFAULT_MAX_IMAGES = 100_000;

const BYTE_ORDER_MARK = 0xfeff;
const THOUSANDS = /\B(?=(\d{3})+(?!\d))/g;

/**
 * Parses and validates a pasted or uploaded product/image-URL list. Pure and synchronous so the
 * browser preview and the server's re-validation produce the same verdicts.
 */
export function analyzeBatchInput(text: string, options: AnalyzeOptions = {}): BatchAnalysis {
  const rows: AnalyzedRow[] = [];
  const scan = scanBatchInput(text, options);
  for (let step = scan.next(); ; step = scan.next()) {
    if (!step.done) rows.push(step.value);
    // an input refused as a whole shows no rows, except for too many images, which shows them all
    else return { ...step.value, rows: step.value.totals.rows === 0 ? [] : rows };
  }
}

/**
 * The same analysis as a stream: every row's verdict in input order, then the summary as the
 * generator's return value. The server stores rows as they come instead of holding them all: a
 * 100,000-row paste grew the server by ~110 MB when every stage kept every row.
 */
export function* scanBatchInput(
  text: string,
  options: AnalyzeOptions = {},
): Generator<AnalyzedRow, BatchSummary, void> {
  const source = options.source ?? "paste";
  const maxImages = options.maxRows ?? DEFAULT_MAX_IMAGES;
  const body = text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text;

  if (body.trim() === "") {
    const delimiter = source === "csv" ? "," : "\t";
    return buildFatal("the input is empty", { source, delimiter, hasHeader: false });
  }
  // a binary file sent as text: one sentence instead of a row error on every line of it
  if (body.includes("\u0000")) {
    return buildFatal(
      "the input is not text (it contains NUL characters): upload the file itself, or paste the rows from the spreadsheet",
      { source, delimiter: source === "csv" ? "," : "\t", hasHeader: false },
    );
  }

  const delimiter = detectDelimiter(body);
  const records = iterateDelimitedRecords(body, delimiter);
  let firstIndex = 0;
  let first = records.next();
  for (; !first.done && isBlankRecord(first.value); first = records.next()) firstIndex++;
  const firstCells = (first.done ? [] : first.value).map((cell) => cell.trim());
  const header = findHeaderColumns(firstCells);
  const hasHeader = header.product !== -1 && header.url !== -1;
  const format = { source, delimiter, hasHeader };

  if (!hasHeader && (header.product !== -1 || header.url !== -1)) {
    // One recognised column name and no URL anywhere in the record means the user meant a header
    // but named the other column differently; reading it as data would bury that under a
    // per-row error on every line.
    if (!firstCells.some(startsWithHttp)) {
      const problem =
        header.product === -1
          ? `the header row has no product number column (expected ${PRODUCT_COLUMN_NAMES})`
          : `the header row has no image URL column (expected ${URL_COLUMN_NAMES})`;
      return buildFatal(problem, format);
    }
  }

  const productColumn = hasHeader ? header.product : 0;
  const urlColumn = hasHeader ? header.url : 1;
  const moreUrlColumns = new Set(hasHeader ? header.urls : []);
  const summaries = new Map<string, ProductSummary>();
  // Keyed by product, NUL, then href: valid product numbers cannot contain NUL, so keys never clash.
  const firstLineByImage = new Map<string, number>();
  const totals = { rows: 0, ok: 0, errors: 0, duplicates: 0, products: 0, images: 0 };
  let sawUrlColumn = false;
  // without a header, further columns holding URLs are read too: the user is told which
  const extraColumns = new Set<number>();
  let extraCells = 0;
  // a space is fine in a file name but not after a URL ("…/a.jpg see back"): said, not refused
  const spacedUrlLines: number[] = [];
  const onExtraColumn = (column: number) => {
    extraColumns.add(column);
    extraCells++;
  };
  // with a header, URLs under a header that is not an image column are left out, and said so
  const ignoredColumns = new Set<number>();
  const onIgnoredColumn = (column: number) => ignoredColumns.add(column);

  // the first record is data unless it is the header; the blank ones before it count as lines
  let index = firstIndex;
  let next = hasHeader ? records.next() : first;
  if (hasHeader) index++;
  for (; !next.done; next = records.next(), index++) {
    const record = next.value;
    const product = normalizeProductNumber(record[productColumn] ?? "");
    const urlCells = imageCells(
      record,
      productColumn,
      urlColumn,
      moreUrlColumns,
      hasHeader,
      onExtraColumn,
      onIgnoredColumn,
    );
    // Content only in ignored columns is treated like a blank row: there is nothing to import.
    if (product === "" && urlCells.length === 0) continue;
    if (urlCells.length > 0) sawUrlColumn = true;

    const line = index + 1;
    const productError = checkProductNumber(product);
    let summary: ProductSummary | undefined;
    if (product !== "") {
      summary = summaries.get(product);
      if (!summary) {
        summary = { product, images: 0, duplicates: 0, errors: 0, firstLine: line };
        summaries.set(product, summary);
      }
    }

    const urls = urlCells.length === 0 ? [""] : urlCells.flatMap(splitUrlCell);
    for (const url of urls) {
      totals.rows++;
      const urlCheck = checkImageUrl(url);
      if (productError !== null || urlCheck.error !== null) {
        const message = [productError, urlCheck.error].filter(Boolean).join("; ");
        totals.errors++;
        if (summary) summary.errors++;
        yield { line, product, url, verdict: "error", message };
        continue;
      }
      const imageKey = `${product}\u0000${urlCheck.key}`;
      const firstLine = firstLineByImage.get(imageKey);
      if (firstLine !== undefined) {
        const message =
          firstLine === line
            ? "duplicate of a URL earlier on this line"
            : `duplicate of line ${firstLine} (same product and URL)`;
        totals.duplicates++;
        summary!.duplicates++;
        yield { line, product, url, verdict: "duplicate", message };
        continue;
      }
      firstLineByImage.set(imageKey, line);
      if (/\s/.test(url)) spacedUrlLines.push(line);
      totals.ok++;
      summary!.images++;
      yield { line, product, url, verdict: "ok", message: null };
    }
  }

  if (!hasHeader && !sawUrlColumn) {
    return buildFatal(
      "no recognisable columns: expected two columns, product number and image URL",
      format,
    );
  }
  if (totals.rows === 0) {
    return buildFatal("there are no rows below the header", format);
  }

  const products = [...summaries.values()];
  totals.images = totals.ok;
  totals.products = products.filter((summary) => summary.images > 0).length;
  const fatal =
    totals.images > maxImages
      ? `too many images: ${formatCount(totals.images)} (the limit is ${formatCount(maxImages)} per batch)`
      : null;
  const notes: string[] = options.readingNote ? [options.readingNote] : [];
  if (extraColumns.size > 0) {
    notes.push(
      `URLs in ${describeColumns(extraColumns)} were read as more images of their rows (${formatCount(extraCells)} cell${extraCells === 1 ? "" : "s"}): check that they are pictures, not product pages.`,
    );
  }
  if (ignoredColumns.size > 0) {
    notes.push(
      `URLs in ${describeColumns(ignoredColumns)} were not read: the header does not name ${ignoredColumns.size === 1 ? "it an image column" : "them image columns"} (call them Image 2, Image 3… to include them).`,
    );
  }
  if (spacedUrlLines.length > 0) {
    const shown = spacedUrlLines.slice(0, 5).join(", ");
    const more =
      spacedUrlLines.length > 5 ? ` and ${formatCount(spacedUrlLines.length - 5)} more` : "";
    notes.push(
      `${formatCount(spacedUrlLines.length)} URL${spacedUrlLines.length === 1 ? " contains" : "s contain"} a space (line${spacedUrlLines.length === 1 ? "" : "s"} ${shown}${more}): fine inside a file name, but text after a URL would become part of it.`,
    );
  }
  return { products, totals, format, fatal, notes };
}

function isBlankRecord(record: readonly string[]): boolean {
  return record.every((cell) => cell.trim() === "");
}

// toLocaleString would print "100.000" in a German browser but "100,000" on the server, and the
// preview must say exactly what the server says.
function formatCount(count: number): string {
  return String(count).replace(THOUSANDS, ",");
}

function buildFatal(
  fatal: string,
  format: { source: "paste" | "csv"; delimiter: Delimiter; hasHeader: boolean },
): BatchSummary {
  return {
    products: [],
    totals: { rows: 0, ok: 0, errors: 0, duplicates: 0, products: 0, images: 0 },
    format,
    fatal,
    notes: [],
  };
}

/**
 * A record's non-empty image cells, left to right: the URL column, then the numbered image columns
 * of a header ("Image 2"…). Without a header, later columns count only where they hold an http(s)
 * URL, so a pasted notes column is not mistaken for images.
 */
function imageCells(
  record: readonly string[],
  productColumn: number,
  urlColumn: number,
  moreUrlColumns: ReadonlySet<number>,
  hasHeader: boolean,
  onExtraColumn: (column: number) => void,
  onIgnoredColumn: (column: number) => void,
): string[] {
  const cells: string[] = [];
  const first = (record[urlColumn] ?? "").trim();
  if (first !== "") cells.push(first);
  for (let column = 0; column < record.length; column++) {
    if (column === productColumn || column === urlColumn) continue;
    const cell = (record[column] ?? "").trim();
    if (cell === "") continue;
    if (hasHeader && moreUrlColumns.has(column)) cells.push(cell);
    else if (!startsWithHttp(cell)) continue;
    else if (hasHeader) onIgnoredColumn(column);
    else if (column > urlColumn) {
      cells.push(cell);
      onExtraColumn(column);
    }
  }
  return cells;
}

/** Spreadsheet column letters, as the user sees them: "column C", "columns C, D". */
function describeColumns(columns: ReadonlySet<number>): string {
  const letters = [...columns].sort((a, b) => a - b).map(columnLetter);
  return `column${letters.length === 1 ? "" : "s"} ${letters.join(", ")}`;
}

function columnLetter(index: number): string {
  let letters = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26))
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}
