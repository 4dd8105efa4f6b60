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

const TLS_CODE = /^(CERT_|ERR_TLS_|ERR_SSL_)|SELF_SIGNED|UNABLE_TO_|LEAF_SIGNATURE/;
const UNTRUSTED_CERT =
  /^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_UNTRUSTED)$/;

/** What a person can act on: whose certificate, and what is wrong with it. */
function describeTlsFailure(code: string, hostname: string): string {
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "ERR_SSL_PACKET_LENGTH_TOO_LONG")
    return `could not connect securely: ${hostname} does not answer HTTPS on this port`;
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return `could not connect securely: the site's certificate is not valid for ${hostname}`;
  if (code === "CERT_HAS_EXPIRED")
    return `could not connect securely: the certificate of ${hostname} has expired`;
  if (code === "CERT_NOT_YET_VALID")
    return `could not connect securely: the certificate of ${hostname} is not valid yet`;
  if (UNTRUSTED_CERT.test(code))
    return `could not connect securely: the certificate of ${hostname} is not from a trusted authority (self-signed or a private CA)`;
  return `could not connect securely (${code})`;
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
      return timeout(
        `could not connect: timed out after ${formatSeconds(timeouts.connectTimeoutMs)}`,
      );
    case "ECONNREFUSED":
      return network("could not connect: connection refused");
    case "ENOTFOUND":
      // The name does not exist; asking again a second later will not change that.
      return network(`host not found: ${context.hostname}`, false);
    case "EAI_AGAIN":
      return network(`host not found: ${context.hostname}`);
    case "EHOSTUNREACH":
      return network("could not connect: host unreachable");
    case "ENETUNREACH":
      return network("could not connect: network unreachable");
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
  if (TLS_CODE.test(code)) return network(describeTlsFailure(code, context.hostname), false);
  const detail = error instanceof Error ? error.message : String(error);
  return network(`network error: ${detail}`);
}
