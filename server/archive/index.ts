export {
  computeZipSize,
  createZipStream,
  toWebStream,
  ZipSourceError,
  type ZipFileReader,
  type ZipSource,
  type ZipStreamOptions,
} from "./zip-stream";
export {
  createProductFolderNamer,
  imageFileName,
  MAX_FILE_NAME_BYTES,
  productFolderName,
  toSafeFileName,
} from "./file-names";
export {
  buildManifestCsv,
  buildManifestJson,
  guardText,
  isFormulaToSpreadsheets,
  manifestCsvRecords,
  manifestJsonEnd,
  manifestJsonItem,
  manifestJsonStart,
  MANIFEST_CSV_HEADER,
  SKIPPED_CSV_HEADER,
  skippedCsvRecords,
  type SkippedRow,
  type ManifestMeta,
  type ManifestRow,
  type ManifestStatus,
} from "./manifest";
