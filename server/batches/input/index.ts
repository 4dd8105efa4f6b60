export type { AnalyzedRow, BatchAnalysis, BatchImage, ProductSummary, RowVerdict } from "./types";
export { analyzeBatchInput } from "./analyze-batch-input";
export { collectBatchImages } from "./collect-batch-images";
export { SAMPLE_CSV } from "./sample-csv";
