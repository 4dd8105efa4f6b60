import { DownloadError } from "./errors";

export const MAX_RETRY_AFTER_MS = 60_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15_000;

/**
 * When a failed call may be sent again: `never` (the caller keeps its own retry budget),
 * `idempotent` (safe methods always; POST and PATCH only when the server certainly did not act on
 * the request, see DownloadError.isUnprocessed), `always` (the caller knows repeating is harmless,
 * e.g. a read that happens to be a POST).
 */
export type RetryPolicy = "never" | "idempotent" | "always";

// RFC 9110 §9.2.2
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

export function statusHonoursRetryAfter(status: number): boolean {
  return status === 429 || status === 503;
}

/**
 * Whether a status says the server did not act on the request: 408 (it never got the whole
 * request), 429 (refused for the rate), 503 with Retry-After (refused until then). A plain 503
 * may come from a proxy after the origin acted, so it does not count.
 */
export function isUnprocessedStatus(status: number, hasRetryAfter: boolean): boolean {
  return status === 408 || status === 429 || (status === 503 && hasRetryAfter);
}

// Returns the wait in ms as the server said it, or null when the header is absent or unusable.
export function parseRetryAfter(value: string | undefined | null, nowMs: number): number | null {
  if (value === undefined || value === null) return null;
  const text = value.trim();
  if (text === "") return null;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Date.parse accepts bare numbers like "-5"; a real HTTP-date always names a month.
  if (!/[a-z]{3}/i.test(text)) return null;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

// Full jitter spreads retries from many rows so a recovering host is not hit in lockstep.
export function computeBackoffMs(failedAttempt: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failedAttempt - 1));
  return Math.floor(random() * ceiling);
}

export function computeRetryDelayMs(
  error: DownloadError,
  failedAttempt: number,
  random: () => number,
): number {
  if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, MAX_RETRY_AFTER_MS);
  return computeBackoffMs(failedAttempt, random);
}

export function shouldRetry(
  error: DownloadError,
  failedAttempt: number,
  maxAttempts: number,
  policy: RetryPolicy = "idempotent",
  method = "GET",
): boolean {
  if (!error.retryable || failedAttempt >= maxAttempts || policy === "never") return false;
  if (policy === "always" || IDEMPOTENT_METHODS.has(method.toUpperCase())) return true;
  return error.isUnprocessed;
}
