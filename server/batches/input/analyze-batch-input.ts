import {
  PRODUCT_COLUMN_NAMES,
  URL_COLUMN_NAMES,
  detectDelimiter,
  findHeaderColumns,
  startsWithHttp,
} from "./detect-format";
import { parseDelimitedRecords } from "./parse-delimited";
import { splitUrlCell } from "./split-urls";
import type {
  AnalyzeOptions,
  AnalyzedRow,
  BatchAnalysis,
  Delimiter,
  ProductSummary,
} from "./types";
import { checkImageUrl, checkProductNumber } from "./validate-cells";

export const DEFAULT_MAX_IMAGES = 100_000;

const BYTE_ORDER_MARK = 0xfeff;
const THOUSANDS = /\B(?=(\d{3})+(?!\d))/g;

/**
 * Parses and validates a pasted or uploaded product/image-URL list. Pure and synchronous so the
 * browser preview and the server's re-validation produce the same verdicts.
 */
export function analyzeBatchInput(text: string, options: AnalyzeOptions = {}): BatchAnalysis {
  const source = options.source ?? "paste";
  const maxImages = options.maxRows ?? DEFAULT_MAX_IMAGES;
  const body = text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text;

  if (body.trim() === "") {
    const delimiter = source === "csv" ? "," : "\t";
    return buildFatal("the input is empty", { source, delimiter, hasHeader: false });
  }

  const delimiter = detectDelimiter(body);
  const records = parseDelimitedRecords(body, delimiter);
  const firstIndex = records.findIndex((record) => !isBlankRecord(record));
  const firstCells = (records[firstIndex] ?? []).map((cell) => cell.trim());
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
  const rows: AnalyzedRow[] = [];
  const summaries = new Map<string, ProductSummary>();
  // Keyed by product, NUL, then href: valid product numbers cannot contain NUL, so keys never clash.
  const firstLineByImage = new Map<string, number>();
  const totals = { rows: 0, ok: 0, errors: 0, duplicates: 0, products: 0, images: 0 };
  let sawUrlColumn = false;

  for (let index = hasHeader ? firstIndex + 1 : firstIndex; index < records.length; index++) {
    const record = records[index]!;
    const product = (record[productColumn] ?? "").trim();
    const urlCell = (record[urlColumn] ?? "").trim();
    // Content only in ignored columns is treated like a blank row: there is nothing to import.
    if (product === "" && urlCell === "") continue;
    if (urlCell !== "") sawUrlColumn = true;

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

    const urls = urlCell === "" ? [""] : splitUrlCell(urlCell);
    for (const url of urls) {
      const urlCheck = checkImageUrl(url);
      if (productError !== null || urlCheck.error !== null) {
        const message = [productError, urlCheck.error].filter(Boolean).join("; ");
        rows.push({ line, product, url, verdict: "error", message });
        totals.errors++;
        if (summary) summary.errors++;
        continue;
      }
      const imageKey = `${product}\u0000${urlCheck.key}`;
      const firstLine = firstLineByImage.get(imageKey);
      if (firstLine !== undefined) {
        const message = `duplicate of line ${firstLine} (same product and URL)`;
        rows.push({ line, product, url, verdict: "duplicate", message });
        totals.duplicates++;
        summary!.duplicates++;
        continue;
      }
      firstLineByImage.set(imageKey, line);
      rows.push({ line, product, url, verdict: "ok", message: null });
      totals.ok++;
      summary!.images++;
    }
  }

  if (!hasHeader && !sawUrlColumn) {
    return buildFatal(
      "no recognisable columns: expected two columns, product number and image URL",
      format,
    );
  }
  if (rows.length === 0) {
    return buildFatal("there are no rows below the header", format);
  }

  const products = [...summaries.values()];
  totals.rows = rows.length;
  totals.images = totals.ok;
  totals.products = products.filter((summary) => summary.images > 0).length;
  const fatal =
    totals.images > maxImages
      ? `too many images: ${formatCount(totals.images)} (the limit is ${formatCount(maxImages)} per batch)`
      : null;
  return { rows, products, totals, format, fatal };
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
): BatchAnalysis {
  return {
    rows: [],
    products: [],
    totals: { rows: 0, ok: 0, errors: 0, duplicates: 0, products: 0, images: 0 },
    format,
    fatal,
  };
}
