export type { AnalyzedRow, BatchAnalysis, BatchSummary, ProductSummary, RowVerdict } from "./types";
export { analyzeBatchInput, DEFAULT_MAX_IMAGES, scanBatchInput } from "./analyze-batch-input";
export { decodeInputBytes, WINDOWS_1252_NOTE, type TDecodedInput } from "./decode-input-bytes";
