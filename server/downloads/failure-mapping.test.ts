import { describe, expect, it } from "vitest";
import { DownloadError } from "./errors";
import { toDownloadError, type FailureContext } from "./failure-mapping";

const timeouts = { readTimeoutMs: 45_000, connectTimeoutMs: 5000 };
const beforeBody: FailureContext = {
  hostname: "example.invalid",
  inBody: false,
  bytes: 0,
  contentLength: null,
};
const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe("toDownloadError", () => {
  it.each([
    ["UND_ERR_HEADERS_TIMEOUT", "timeout", "timed out after 45 s waiting for data", true],
    ["UND_ERR_BODY_TIMEOUT", "timeout", "timed out after 45 s waiting for data", true],
    ["UND_ERR_CONNECT_TIMEOUT", "timeout", "could not connect: timed out after 5 s", true],
    ["ECONNREFUSED", "network", "could not connect: connection refused", true],
    ["ENOTFOUND", "network", "host not found: example.invalid", false],
    ["EAI_AGAIN", "network", "host not found: example.invalid", true],
    ["EHOSTUNREACH", "network", "could not connect: host unreachable", true],
    ["ECONNRESET", "network", "connection lost: the server closed the connection", true],
    [
      "CERT_HAS_EXPIRED",
      "network",
      "could not connect securely: the certificate of example.invalid has expired",
      false,
    ],
    [
      "DEPTH_ZERO_SELF_SIGNED_CERT",
      "network",
      "could not connect securely: the certificate of example.invalid is self-signed or from a private authority",
      false,
    ],
    [
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "network",
      "could not connect securely: the certificate of example.invalid is not from a trusted authority, or the site does not send its intermediate certificate",
      false,
    ],
    [
      "INVALID_PURPOSE",
      "network",
      "could not connect securely: the certificate of example.invalid was refused (INVALID_PURPOSE)",
      false,
    ],
    ["EPROTO", "network", "could not connect securely (EPROTO)", false],
    [
      "ERR_TLS_CERT_ALTNAME_INVALID",
      "network",
      "could not connect securely: the site's certificate is not valid for example.invalid",
      false,
    ],
    [
      "ERR_SSL_WRONG_VERSION_NUMBER",
      "network",
      "could not connect securely: example.invalid does not answer HTTPS on this port",
      false,
    ],
    [
      "ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC",
      "network",
      "could not connect securely (ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC)",
      false,
    ],
    ["UND_ERR_ABORTED", "cancelled", "cancelled", false],
  ] as const)("maps %s to %s: %s", (code, kind, message, retryable) => {
    expect(toDownloadError(withCode(code), timeouts, beforeBody)).toMatchObject({
      kind,
      message,
      retryable,
    });
  });

  it("words a short read timeout with decimals", () => {
    const error = toDownloadError(
      withCode("UND_ERR_BODY_TIMEOUT"),
      { ...timeouts, readTimeoutMs: 300 },
      beforeBody,
    );
    expect(error.message).toBe("timed out after 0.3 s waiting for data");
  });

  it("calls a connection dropped mid-body a truncation with the byte counts", () => {
    const inBody = { ...beforeBody, inBody: true, bytes: 1234, contentLength: 5000 };
    expect(toDownloadError(withCode("UND_ERR_SOCKET"), timeouts, inBody)).toMatchObject({
      kind: "truncated",
      retryable: true,
      message: "connection closed early: got 1234 of 5000 bytes",
    });
    expect(
      toDownloadError(withCode("ECONNRESET"), timeouts, { ...inBody, contentLength: null }).message,
    ).toBe("connection closed early: got 1234 bytes");
    // a bad TLS record after the headers cut the body short: another try may succeed
    expect(
      toDownloadError(withCode("ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC"), timeouts, inBody),
    ).toMatchObject({ kind: "truncated", retryable: true });
  });

  it("marks failures before any connection as unprocessed, so even a POST may be sent again", () => {
    for (const code of ["ECONNREFUSED", "UND_ERR_CONNECT_TIMEOUT", "EAI_AGAIN", "EHOSTUNREACH"]) {
      expect(toDownloadError(withCode(code), timeouts, beforeBody).isUnprocessed).toBe(true);
    }
    // the request may have reached the server: whether it acted is unknown
    for (const code of ["ECONNRESET", "UND_ERR_SOCKET", "UND_ERR_HEADERS_TIMEOUT"]) {
      expect(toDownloadError(withCode(code), timeouts, beforeBody).isUnprocessed).toBe(false);
    }
    const inBody = { ...beforeBody, inBody: true, bytes: 10, contentLength: 20 };
    expect(toDownloadError(withCode("ECONNRESET"), timeouts, inBody).isUnprocessed).toBe(false);
  });

  it("reports cancellation whenever the caller's signal fired", () => {
    const controller = new AbortController();
    controller.abort();
    expect(
      toDownloadError(withCode("ECONNRESET"), timeouts, {
        ...beforeBody,
        signal: controller.signal,
      }).kind,
    ).toBe("cancelled");
  });

  it("keeps an existing DownloadError and wraps unknown failures as retryable network errors", () => {
    const own = new DownloadError("too_large", "larger than 1 MB");
    expect(toDownloadError(own, timeouts, beforeBody)).toBe(own);
    expect(toDownloadError(new Error("boom"), timeouts, beforeBody)).toMatchObject({
      kind: "network",
      retryable: true,
      message: "network error: boom",
    });
  });
});
