import { describe, expect, it } from "vitest";
import { DownloadError } from "./errors";
import {
  computeBackoffMs,
  computeRetryDelayMs,
  isRetryableStatus,
  isUnprocessedStatus,
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
  it("keeps long waits as the server said them, for callers that wait longer or give up", () => {
    expect(parseRetryAfter("86400", now)).toBe(86_400_000);
    expect(parseRetryAfter("Thu, 02 Jan 2025 00:00:00 GMT", now)).toBe(86_400_000);
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
  it("waits at most a minute inside one call, whatever the server asks", () => {
    const daylong = new DownloadError("http", "429 Too Many Requests", {
      retryable: true,
      retryAfterMs: 86_400_000,
    });
    expect(computeRetryDelayMs(daylong, 1, () => 0)).toBe(MAX_RETRY_AFTER_MS);
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

  describe("per call policy", () => {
    const serverError = new DownloadError("http", "500 Internal Server Error", {
      retryable: true,
      httpStatus: 500,
    });
    const refused = new DownloadError("network", "could not connect: connection refused", {
      retryable: true,
      isUnprocessed: true,
    });
    it("never: not even a safe request", () => {
      expect(shouldRetry(serverError, 1, 4, "never", "GET")).toBe(false);
      expect(shouldRetry(refused, 1, 4, "never", "GET")).toBe(false);
    });
    it("always: a POST like a GET", () => {
      expect(shouldRetry(serverError, 1, 4, "always", "POST")).toBe(true);
      expect(shouldRetry(final, 1, 4, "always", "POST")).toBe(false);
      expect(shouldRetry(serverError, 4, 4, "always", "POST")).toBe(false);
    });
    it("idempotent: safe and idempotent methods on any retryable failure", () => {
      for (const method of ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "get"]) {
        expect(shouldRetry(serverError, 1, 4, "idempotent", method)).toBe(true);
      }
    });
    it("idempotent: POST and PATCH only when the server certainly did not act", () => {
      expect(shouldRetry(serverError, 1, 4, "idempotent", "POST")).toBe(false);
      expect(shouldRetry(serverError, 1, 4, "idempotent", "PATCH")).toBe(false);
      expect(shouldRetry(refused, 1, 4, "idempotent", "POST")).toBe(true);
      expect(shouldRetry(refused, 1, 4, "idempotent", "PATCH")).toBe(true);
    });
    it("is idempotent by default", () => {
      expect(shouldRetry(serverError, 1, 4)).toBe(true);
      expect(shouldRetry(serverError, 1, 4, undefined, "POST")).toBe(false);
    });
  });
});

describe("isUnprocessedStatus", () => {
  it("counts 408, 429 and a 503 with Retry-After as refused before any work", () => {
    expect(isUnprocessedStatus(408, false)).toBe(true);
    expect(isUnprocessedStatus(429, false)).toBe(true);
    expect(isUnprocessedStatus(503, true)).toBe(true);
  });
  it("does not count a plain 503 or other server errors", () => {
    expect(isUnprocessedStatus(503, false)).toBe(false);
    expect(isUnprocessedStatus(500, true)).toBe(false);
    expect(isUnprocessedStatus(502, false)).toBe(false);
    expect(isUnprocessedStatus(504, false)).toBe(false);
  });
});
