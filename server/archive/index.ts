export {
  computeZipSize,
  createZipStream,
  toWebStream,
  LOCAL_READ_AHEAD,
  ZipSourceError,
  type ZipFileReader,
  type ZipReadAhead,
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
  createImageFileNamer,
  DEFAULT_FILE_NAME_TEMPLATE,
  parseFileNameTemplate,
  renderImageFileName,
  templatePartsOf,
  type TImageNameValues,
  type TTemplatePart,
} from "./file-name-template";
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
