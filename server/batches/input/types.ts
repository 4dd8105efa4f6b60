export type RowVerdict = "ok" | "error" | "duplicate";

export type Delimiter = "\t" | "," | ";";

export type AnalyzedRow = {
  /**
   * 1-based record number, counting the header and blank records, so it equals the spreadsheet
   * row number for a paste and the text line number for any input without multi-line cells.
   */
  line: number;
  product: string;
  url: string;
  verdict: RowVerdict;
  /** Plain words for the user; null when the verdict is "ok". */
  message: string | null;
};

export type ProductSummary = {
  product: string;
  /** Unique valid URLs. */
  images: number;
  duplicates: number;
  errors: number;
  firstLine: number;
};

export type BatchAnalysis = {
  /** One per record with content; one per URL when a cell holds several URLs (same line). */
  rows: AnalyzedRow[];
  /**
   * Every non-empty product number, in order of first appearance, including ones that only have
   * errors; rows with a missing product number have no summary.
   */
  products: ProductSummary[];
  /** `products` counts only products with at least one image, i.e. what a job would create. */
  totals: {
    rows: number;
    ok: number;
    errors: number;
    duplicates: number;
    products: number;
    images: number;
  };
  format: { source: "paste" | "csv"; delimiter: Delimiter; hasHeader: boolean };
  /** Whole-input problem in plain words; when set the batch must not be submitted. */
  fatal: string | null;
  /** Things to check before queueing that are not errors, in plain words. */
  notes: string[];
};

/** Everything an analysis says except the rows: what a streamed scan returns at its end. */
export type BatchSummary = Omit<BatchAnalysis, "rows">;

export type AnalyzeOptions = {
  source?: "paste" | "csv";
  /** How an uploaded file's bytes were read, when the user should know (Windows-1252): the first note. */
  readingNote?: string | null;
  /** Maximum number of images (unique valid URLs) per batch. */
  maxRows?: number;
};
