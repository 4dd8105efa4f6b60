import { STATUS_CODES } from "node:http";

export type DownloadErrorKind =
  | "http"
  | "network"
  | "timeout"
  | "too_large"
  | "not_an_image"
  | "blocked_address"
  | "too_many_redirects"
  | "invalid_url"
  | "truncated"
  | "undecodable"
  | "refused_redirect"
  | "cancelled";

/** Marks a DownloadError from any copy of this module (see `Symbol.hasInstance` below). */
const DOWNLOAD_ERROR = Symbol.for("datahaul.DownloadError");

export class DownloadError extends Error {
  /**
   * A Next build bundles this module more than once (instrumentation, each route), while the
   * process-wide runtime and its download engine come from whichever bundle built them first. So
   * `instanceof` must recognise a DownloadError thrown by another copy of the class, or a 401 from
   * "Test connection" reads as an unknown failure instead of "wrong email or password".
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as { [DOWNLOAD_ERROR]?: unknown })[DOWNLOAD_ERROR] === true
    );
  }

  readonly [DOWNLOAD_ERROR] = true;
  readonly kind: DownloadErrorKind;
  readonly retryable: boolean;
  readonly httpStatus?: number;
  // Only meaningful for 429/503, as the server said it (not capped); the retry policy reads it.
  readonly retryAfterMs?: number;
  /** The first few KB of an error response, for callers that tell refusals apart; never shown as is. */
  readonly responseBody?: string;
  /**
   * The server certainly did not act on the request (no connection was made, or it answered 408,
   * 429 or 503 with Retry-After), so even a POST may be sent again.
   */
  readonly isUnprocessed: boolean;

  constructor(
    kind: DownloadErrorKind,
    message: string,
    options: {
      retryable?: boolean;
      httpStatus?: number;
      retryAfterMs?: number;
      responseBody?: string;
      isUnprocessed?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DownloadError";
    this.kind = kind;
    this.retryable = options.retryable ?? false;
    if (options.httpStatus !== undefined) this.httpStatus = options.httpStatus;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.responseBody !== undefined) this.responseBody = options.responseBody;
    this.isUnprocessed = options.isUnprocessed ?? false;
  }

  withMessage(message: string): DownloadError {
    return new DownloadError(this.kind, message, {
      retryable: this.retryable,
      httpStatus: this.httpStatus,
      retryAfterMs: this.retryAfterMs,
      responseBody: this.responseBody,
      isUnprocessed: this.isUnprocessed,
      cause: this.cause,
    });
  }
}

export function describeHttpStatus(status: number): string {
  const reason = STATUS_CODES[status];
  return reason ? `${status} ${reason}` : `HTTP ${status}`;
}

export function formatByteLimit(bytes: number): string {
  const mb = 1024 * 1024;
  if (bytes >= mb && bytes % mb === 0) return `${bytes / mb} MB`;
  if (bytes >= mb) return `${Number((bytes / mb).toFixed(1))} MB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KB`;
  return `${bytes} bytes`;
}

export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

export function createCancelledError(cause?: unknown): DownloadError {
  return new DownloadError("cancelled", "cancelled", { cause });
}
