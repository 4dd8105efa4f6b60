import { createCancelledError, DownloadError, formatSeconds } from "./errors";

export type FailureContext = {
  hostname: string;
  signal?: AbortSignal;
  // Whether the failure happened after the status line, while the body streamed.
  inBody: boolean;
  bytes: number;
  contentLength: number | null;
};

export type TimeoutSettings = { readTimeoutMs: number; connectTimeoutMs: number };

/** The certificate checks OpenSSL reports through Node (X509_V_ERR_* without the prefix). */
const CERTIFICATE_CODES = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_CRL",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECRYPT_CRL_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  "CERT_SIGNATURE_FAILURE",
  "CRL_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "CRL_NOT_YET_VALID",
  "CRL_HAS_EXPIRED",
  "ERROR_IN_CERT_NOT_BEFORE_FIELD",
  "ERROR_IN_CERT_NOT_AFTER_FIELD",
  "ERROR_IN_CRL_LAST_UPDATE_FIELD",
  "ERROR_IN_CRL_NEXT_UPDATE_FIELD",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "HOSTNAME_MISMATCH",
  "EE_KEY_TOO_SMALL",
  "CA_KEY_TOO_SMALL",
  "CA_MD_TOO_WEAK",
]);

/** Failures of the TLS handshake: asking again gets the same answer. */
function isTlsFailure(code: string): boolean {
  return CERTIFICATE_CODES.has(code) || /^ERR_(TLS|SSL)_/.test(code) || code === "EPROTO";
}

/** What a person can act on: whose certificate, and what is wrong with it. */
function describeTlsFailure(code: string, hostname: string): string {
  const secure = "could not connect securely";
  switch (code) {
    case "ERR_SSL_WRONG_VERSION_NUMBER":
    case "ERR_SSL_PACKET_LENGTH_TOO_LONG":
      return `${secure}: ${hostname} does not answer HTTPS on this port`;
    case "ERR_TLS_CERT_ALTNAME_INVALID":
    case "HOSTNAME_MISMATCH":
      return `${secure}: the site's certificate is not valid for ${hostname}`;
    case "CERT_HAS_EXPIRED":
      return `${secure}: the certificate of ${hostname} has expired`;
    case "CERT_NOT_YET_VALID":
      return `${secure}: the certificate of ${hostname} is not valid yet`;
    case "CERT_REVOKED":
      return `${secure}: the certificate of ${hostname} has been revoked`;
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
      return `${secure}: the certificate of ${hostname} is self-signed or from a private authority`;
    case "UNABLE_TO_GET_ISSUER_CERT":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "CERT_UNTRUSTED":
      // a server that leaves out its intermediate certificate looks the same, and browsers hide it
      return `${secure}: the certificate of ${hostname} is not from a trusted authority, or the site does not send its intermediate certificate`;
  }
  return CERTIFICATE_CODES.has(code)
    ? `${secure}: the certificate of ${hostname} was refused (${code})`
    : `${secure} (${code})`;
}

// Turns whatever undici, net, dns or tls threw into one plain-words error with a retry verdict.
export function toDownloadError(
  error: unknown,
  timeouts: TimeoutSettings,
  context: FailureContext,
): DownloadError {
  if (error instanceof DownloadError) return error;
  if (context.signal?.aborted) return createCancelledError(error);
  const code =
    typeof error === "object" && error !== null
      ? String((error as { code?: unknown }).code ?? "")
      : "";
  const name = error instanceof Error ? error.name : "";
  const network = (message: string, retryable = true) =>
    new DownloadError("network", message, { retryable, cause: error });
  // the request never reached a server: no connection was made
  const notConnected = (message: string, retryable = true) =>
    new DownloadError("network", message, { retryable, isUnprocessed: true, cause: error });
  const timeout = (message: string) =>
    new DownloadError("timeout", message, { retryable: true, cause: error });
  const truncated = () =>
    new DownloadError(
      "truncated",
      context.contentLength === null
        ? `connection closed early: got ${context.bytes} bytes`
        : `connection closed early: got ${context.bytes} of ${context.contentLength} bytes`,
      { retryable: true, cause: error },
    );

  switch (code) {
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
      return timeout(`timed out after ${formatSeconds(timeouts.readTimeoutMs)} waiting for data`);
    case "UND_ERR_CONNECT_TIMEOUT":
    case "ETIMEDOUT":
      return new DownloadError(
        "timeout",
        `could not connect: timed out after ${formatSeconds(timeouts.connectTimeoutMs)}`,
        { retryable: true, isUnprocessed: true, cause: error },
      );
    case "ECONNREFUSED":
      return notConnected("could not connect: connection refused");
    case "ENOTFOUND":
      // The name does not exist; asking again a second later will not change that.
      return notConnected(`host not found: ${context.hostname}`, false);
    case "EAI_AGAIN":
      return notConnected(`host not found: ${context.hostname}`);
    case "EHOSTUNREACH":
      return notConnected("could not connect: host unreachable");
    case "ENETUNREACH":
      return notConnected("could not connect: network unreachable");
    case "UND_ERR_RES_CONTENT_LENGTH_MISMATCH":
      return truncated();
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
    case "UND_ERR_CLOSED":
      return context.inBody
        ? truncated()
        : network("connection lost: the server closed the connection");
    case "UND_ERR_ABORTED":
      return createCancelledError(error);
  }
  if (name === "AbortError") return createCancelledError(error);
  if (isTlsFailure(code)) {
    // a broken record in the middle of a body is a cut-off download, worth another try
    if (context.inBody) return truncated();
    return notConnected(describeTlsFailure(code, context.hostname), false);
  }
  const detail = error instanceof Error ? error.message : String(error);
  return network(`network error: ${detail}`);
}
