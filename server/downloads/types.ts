import type { Dispatcher } from "undici";
import type { Clock } from "./clock";
import type { DownloadError } from "./errors";
import type { ImageType } from "./content-sniff";

export type DownloadLimits = {
  maxGlobalConcurrency: number;
  maxPerHostConcurrency: number;
  // Token bucket per host, burst = max(1, qps); 0 or Infinity disables it.
  perHostQps: number;
  connectTimeoutMs: number;
  // Idle time allowed while waiting for headers or between body chunks.
  readTimeoutMs: number;
  maxBytes: number;
  maxAttempts: number;
  maxRedirects: number;
  // Exact hostnames, IPs or CIDRs that may resolve to private/loopback/link-local addresses.
  allowPrivateHosts: string[];
  // Keyed by "host:port" or bare hostname; "host:port" wins when both match.
  hostLimitOverrides?: Record<string, { maxPerHostConcurrency?: number; perHostQps?: number }>;
};

export type DownloadEngineDeps = {
  clock?: Clock;
  random?: () => number;
  dispatcher?: Dispatcher;
  /**
   * Certificate authorities trusted for HTTPS instead of Node's bundled ones (a test's own CA).
   * A deployment that needs a private CA next to the public ones sets NODE_EXTRA_CA_CERTS.
   */
  trustedCa?: string;
};

export type DownloadSink = {
  write(chunk: Uint8Array): Promise<void> | void;
  close(): Promise<void>;
  abort(): Promise<void>;
};

export type FetchOptions = {
  signal?: AbortSignal;
  accept?: string;
  headers?: Record<string, string>;
  method?: string;
  body?: string;
  maxBytes?: number;
  // Called as each attempt starts; from attempt 2 on, `error` is why the previous one failed.
  onAttempt?: (attempt: number, error?: DownloadError) => void;
};

export type DownloadSuccess = {
  ok: true;
  url: string;
  finalUrl: string;
  httpStatus: number;
  contentType: string | null;
  headers: Record<string, string>;
  bytes: number;
  sha256: string;
  crc32: number;
  attempts: number;
  firstBytes: Uint8Array;
};

export type DownloadFailure = {
  ok: false;
  error: DownloadError;
  attempts: number;
  httpStatus?: number;
};

export type DownloadResult = DownloadSuccess | DownloadFailure;

export type ImageDownloadResult =
  | (DownloadSuccess & {
      tempPath: string;
      imageType: ImageType;
      mimeType: string;
      // Without the leading dot, e.g. "jpg".
      extension: string;
    })
  | DownloadFailure;

export interface DownloadEngine {
  fetchToSink(
    url: string,
    openSink: () => Promise<DownloadSink>,
    options?: FetchOptions,
  ): Promise<DownloadResult>;
  downloadImage(
    url: string,
    tempDir: string,
    options?: { signal?: AbortSignal },
  ): Promise<ImageDownloadResult>;
  close(): Promise<void>;
}
