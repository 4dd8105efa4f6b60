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
  | "cancelled";

export class DownloadError extends Error {
  readonly kind: DownloadErrorKind;
  readonly retryable: boolean;
  readonly httpStatus?: number;
  // Only meaningful for 429/503; the retry policy reads it, users never see it.
  readonly retryAfterMs?: number;
  /** The first few KB of an error response, for callers that tell refusals apart; never shown as is. */
  readonly responseBody?: string;

  constructor(
    kind: DownloadErrorKind,
    message: string,
    options: {
      retryable?: boolean;
      httpStatus?: number;
      retryAfterMs?: number;
      responseBody?: string;
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
  }

  withMessage(message: string): DownloadError {
    return new DownloadError(this.kind, message, {
      retryable: this.retryable,
      httpStatus: this.httpStatus,
      retryAfterMs: this.retryAfterMs,
      responseBody: this.responseBody,
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
