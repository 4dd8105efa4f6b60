import type { TLimitRules, TSharedLimits } from "./redis-limits";
import type { Dispatcher } from "undici";
import type { Clock } from "./clock";
import type { DownloadError } from "./errors";
import type { ImageType } from "./content-sniff";
import type { THeldBody } from "./file-sink";
import type { TQuota } from "./quota";
import type { RetryPolicy } from "./retry";

export type { RetryPolicy };

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
  /**
   * Limits shared with other processes (createRedisLimits): built from the same rules as the
   * in-process ones, which stand when this is not given.
   */
  sharedLimits?: (rules: TLimitRules) => TSharedLimits;
};

export type DownloadSink = {
  write(chunk: Uint8Array): Promise<void> | void;
  close(): Promise<void>;
  abort(): Promise<void>;
  /**
   * True once the sink holds all it wants (a preview's first rows): the engine stops reading,
   * drops the connection and closes the sink, and the download counts as a success that was
   * `isCutShort`.
   */
  hasEnough?(): boolean;
};

/**
 * Secrets of a call and the one origin they belong to. They are sent only to that origin: not on a
 * first request elsewhere, and not after a redirect has left it (not even when a later redirect
 * comes back). `isBodySecret`: the request body holds a secret too (a sign-in form), so a redirect
 * elsewhere that would carry the body along is refused.
 */
export type TCredentials = {
  origin: string;
  headers: Record<string, string>;
  isBodySecret?: boolean;
};

/** One HTTP request as it went out: each redirect hop and each retry is a request of its own. */
export type TRequestRecord = {
  method: string;
  /** without user info, query values (other than harmless ones) or fragment */
  url: string;
  /** epoch ms, by the engine's clock */
  startedAt: number;
  durationMs: number;
  /** null when no answer came */
  httpStatus: number | null;
  /** why the request failed, in plain words; null when its status says it all */
  error: string | null;
};

export type FetchOptions = {
  signal?: AbortSignal;
  accept?: string;
  /** sent as Accept-Encoding; the engine decodes gzip, deflate and br whether asked for or not */
  acceptEncoding?: string;
  /**
   * Headers that are not secret. Authorization, Cookie and Proxy-Authorization given here still
   * count as credentials of the first URL's origin.
   */
  headers?: Record<string, string>;
  credentials?: TCredentials;
  method?: string;
  body?: string;
  maxBytes?: number;
  /**
   * Limits the service sets per thing it serves (a dataset, an account), spent by every attempt
   * before it goes out; held across processes when the limits are shared.
   */
  quotas?: TQuota[];
  /** default "idempotent" */
  retry?: RetryPolicy;
  // Called as each attempt starts; from attempt 2 on, `error` is why the previous one failed.
  onAttempt?: (attempt: number, error?: DownloadError) => void;
  /** Called when a failed attempt will be tried again, with the wait before the next one. */
  onRetryWait?: (failedAttempt: number, error: DownloadError, delayMs: number) => void;
  onRequest?: (request: TRequestRecord) => void;
};

/** What an image download may be told: the attempts and waits are the job page's "in flight". */
export type TImageDownloadOptions = {
  signal?: AbortSignal;
  onAttempt?: FetchOptions["onAttempt"];
  onRetryWait?: FetchOptions["onRetryWait"];
};

export type DownloadSuccess = {
  ok: true;
  url: string;
  finalUrl: string;
  httpStatus: number;
  contentType: string | null;
  /** the content coding that was decoded ("gzip"), null for a plain body */
  contentEncoding: string | null;
  headers: Record<string, string>;
  /** decoded bytes, as stored; the hashes are of these */
  bytes: number;
  sha256: string;
  crc32: number;
  attempts: number;
  firstBytes: Uint8Array;
  /** the sink said it had enough before the body ended: the rest was never read */
  isCutShort?: boolean;
};

export type DownloadFailure = {
  ok: false;
  error: DownloadError;
  attempts: number;
  httpStatus?: number;
};

export type DownloadResult = DownloadSuccess | DownloadFailure;

type TImageInfo = {
  imageType: ImageType;
  mimeType: string;
  // Without the leading dot, e.g. "jpg".
  extension: string;
};

export type ImageDownloadResult =
  (DownloadSuccess & TImageInfo & { tempPath: string }) | DownloadFailure;

/** With `keepInMemory`: a body that fit in memory comes as bytes, a larger one as a temp file. */
export type HeldImageDownloadResult =
  | (DownloadSuccess &
      TImageInfo &
      ({ tempPath: string; heldBody?: undefined } | { tempPath?: undefined; heldBody: THeldBody }))
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
    options?: TImageDownloadOptions,
  ): Promise<ImageDownloadResult>;
  /** Keeps a body of up to 1 MB in memory instead of writing a temp file. */
  downloadImage(
    url: string,
    tempDir: string,
    options: TImageDownloadOptions & { keepInMemory: true },
  ): Promise<HeldImageDownloadResult>;
  close(): Promise<void>;
}
