export type { AnalyzedRow, BatchAnalysis, BatchSummary, ProductSummary, RowVerdict } from "./types";
export { analyzeBatchInput, DEFAULT_MAX_IMAGES, scanBatchInput } from "./analyze-batch-input";
export { decodeInputBytes, WINDOWS_1252_NOTE, type TDecodedInput } from "./decode-input-bytes";
export {
  readUploadBytes,
  type TArchiveChoice,
  type TReadUpload,
  type TReadUploadOptions,
} from "./read-upload";
export { MAX_UNPACKED_BYTES, MAX_UPLOAD_BYTES, MAX_ZIP_ENTRIES } from "./upload-limits";
