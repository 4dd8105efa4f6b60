import { DownloadError } from "./errors";

export const MAX_RETRY_AFTER_MS = 60_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 15_000;

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

export function statusHonoursRetryAfter(status: number): boolean {
  return status === 429 || status === 503;
}

// Returns the wait in ms, or null when the header is absent or unusable.
export function parseRetryAfter(value: string | undefined | null, nowMs: number): number | null {
  if (value === undefined || value === null) return null;
  const text = value.trim();
  if (text === "") return null;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  // Date.parse accepts bare numbers like "-5"; a real HTTP-date always names a month.
  if (!/[a-z]{3}/i.test(text)) return null;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.min(Math.max(0, date - nowMs), MAX_RETRY_AFTER_MS);
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
  if (error.retryAfterMs !== undefined) return error.retryAfterMs;
  return computeBackoffMs(failedAttempt, random);
}

export function shouldRetry(
  error: DownloadError,
  failedAttempt: number,
  maxAttempts: number,
): boolean {
  return error.retryable && failedAttempt < maxAttempts;
}
