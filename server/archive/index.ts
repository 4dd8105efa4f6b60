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
  manifestCsvRecords,
  manifestJsonEnd,
  manifestJsonItem,
  manifestJsonStart,
  MANIFEST_CSV_HEADER,
  type ManifestMeta,
  type ManifestRow,
  type ManifestStatus,
} from "./manifest";
