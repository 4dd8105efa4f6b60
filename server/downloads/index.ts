export { createDownloadEngine } from "./engine";
export { readDownloadLimitsFromEnv } from "./env-limits";
export { DownloadError, type DownloadErrorKind } from "./errors";
export { systemClock, type Clock } from "./clock";
export type { TQuota } from "./quota";
export type { ImageType } from "./content-sniff";
export type {
  DownloadEngine,
  DownloadEngineDeps,
  DownloadLimits,
  DownloadResult,
  DownloadSink,
  FetchOptions,
  HeldImageDownloadResult,
  ImageDownloadResult,
  RetryPolicy,
  TCredentials,
  TRequestRecord,
} from "./types";
