import type { AnalyzedRow, BatchAnalysis, RowVerdict } from "@/server/batches/input";

/**
 * An analysis as the worker sends it to the page: the rows as columns, their texts joined by NUL
 * (which input never holds: text with NUL is refused before any row is made). A structured clone
 * of 100,000 row objects, or JSON of them, cost the page one to two seconds to receive; a few flat
 * strings and typed arrays cost a few milliseconds, and the rows are rebuilt in about fifty.
 */
export type TPackedAnalysis = Omit<BatchAnalysis, "rows" | "products"> & {
  lines: Int32Array;
  verdicts: Uint8Array;
  products: string;
  urls: string;
  messages: string;
  /** the analysis's per-product summaries */
  productSummaries: BatchAnalysis["products"];
};

const SEPARATOR = "\u0000";
const VERDICTS: RowVerdict[] = ["ok", "error", "duplicate"];

export function packAnalysis(analysis: BatchAnalysis): TPackedAnalysis {
  const { rows, products, ...rest } = analysis;
  return {
    ...rest,
    productSummaries: products,
    lines: Int32Array.from(rows, (row) => row.line),
    verdicts: Uint8Array.from(rows, (row) => VERDICTS.indexOf(row.verdict)),
    products: rows.map((row) => row.product).join(SEPARATOR),
    urls: rows.map((row) => row.url).join(SEPARATOR),
    messages: rows.map((row) => row.message ?? "").join(SEPARATOR),
  };
}

/** What to transfer rather than copy. */
export function transferablesOf(packed: TPackedAnalysis): ArrayBuffer[] {
  return [packed.lines.buffer as ArrayBuffer, packed.verdicts.buffer as ArrayBuffer];
}

export function unpackAnalysis(packed: TPackedAnalysis): BatchAnalysis {
  const { lines, verdicts, products, urls, messages, productSummaries, ...rest } = packed;
  const count = lines.length;
  const productOf = count === 0 ? [] : products.split(SEPARATOR);
  const urlOf = count === 0 ? [] : urls.split(SEPARATOR);
  const messageOf = count === 0 ? [] : messages.split(SEPARATOR);
  const rows: AnalyzedRow[] = new Array<AnalyzedRow>(count);
  for (let i = 0; i < count; i++) {
    rows[i] = {
      line: lines[i]!,
      product: productOf[i]!,
      url: urlOf[i]!,
      verdict: VERDICTS[verdicts[i]!]!,
      message: messageOf[i] || null,
    };
  }
  return { ...rest, products: productSummaries, rows };
}
