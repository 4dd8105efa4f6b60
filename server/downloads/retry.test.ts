import { describe, expect, it } from "vitest";
import { DownloadError } from "./errors";
import {
  computeBackoffMs,
  computeRetryDelayMs,
  isRetryableStatus,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  shouldRetry,
  statusHonoursRetryAfter,
} from "./retry";

describe("isRetryableStatus", () => {
  it.each([408, 429, 500, 502, 503, 504, 599])("retries %i", (status) => {
    expect(isRetryableStatus(status)).toBe(true);
  });
  it.each([400, 401, 403, 404, 410, 413, 451, 304])("never retries %i", (status) => {
    expect(isRetryableStatus(status)).toBe(false);
  });
  it("honours Retry-After only on 429 and 503", () => {
    expect([429, 503, 500, 408].map(statusHonoursRetryAfter)).toEqual([true, true, false, false]);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("1", now)).toBe(1000);
    expect(parseRetryAfter(" 30 ", now)).toBe(30_000);
    expect(parseRetryAfter("0", now)).toBe(0);
  });
  it("reads an HTTP-date relative to now", () => {
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 23:00:00 GMT", now)).toBe(0);
  });
  it("caps long waits", () => {
    expect(parseRetryAfter("86400", now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter("Thu, 02 Jan 2025 00:00:00 GMT", now)).toBe(MAX_RETRY_AFTER_MS);
  });
  it("ignores absent or unusable values", () => {
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter("", now)).toBeNull();
    expect(parseRetryAfter("-5", now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
  });
});

describe("backoff", () => {
  it("draws uniformly below an exponentially growing ceiling", () => {
    expect(computeBackoffMs(1, () => 0.999_999)).toBe(499);
    expect(computeBackoffMs(2, () => 0.5)).toBe(500);
    expect(computeBackoffMs(3, () => 0.5)).toBe(1000);
    expect(computeBackoffMs(3, () => 0)).toBe(0);
  });
  it("stops growing at the cap", () => {
    expect(computeBackoffMs(30, () => 0.999_999)).toBeLessThan(15_000);
    expect(computeBackoffMs(30, () => 0.999_999)).toBeGreaterThan(14_000);
  });
  it("prefers the server's Retry-After over backoff", () => {
    const limited = new DownloadError("http", "429 Too Many Requests", {
      retryable: true,
      retryAfterMs: 1000,
    });
    expect(computeRetryDelayMs(limited, 1, () => 0)).toBe(1000);
    const plain = new DownloadError("http", "500 Internal Server Error", { retryable: true });
    expect(computeRetryDelayMs(plain, 2, () => 0.5)).toBe(500);
  });
});

describe("shouldRetry", () => {
  const retryable = new DownloadError("network", "x", { retryable: true });
  const final = new DownloadError("http", "404 Not Found", { httpStatus: 404 });
  it("retries retryable failures until the attempt budget is spent", () => {
    expect(shouldRetry(retryable, 1, 4)).toBe(true);
    expect(shouldRetry(retryable, 3, 4)).toBe(true);
    expect(shouldRetry(retryable, 4, 4)).toBe(false);
  });
  it("never retries a final failure", () => {
    expect(shouldRetry(final, 1, 4)).toBe(false);
  });
});
