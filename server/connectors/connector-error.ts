import { DownloadError } from "@/server/downloads";

/**
 * A connector failure in plain words ("wrong password", "host not reachable"). `isRetryable` tells
 * a report run whether another attempt can help: a refused password cannot, a timeout can.
 * `retryAfterMs` is how long the system asked to wait (Retry-After), for the run's next attempt.
 */
export class ConnectorError extends Error {
  constructor(
    message: string,
    readonly options: {
      isRetryable?: boolean;
      httpStatus?: number;
      retryAfterMs?: number;
      /**
       * Our side failed (the temp folder, the store, the database), not the system or the
       * report: a run pauses for it instead of spending the report's attempts.
       */
      isOurSide?: boolean;
    } = {},
  ) {
    super(message);
    this.name = "ConnectorError";
  }

  get isRetryable(): boolean {
    return this.options.isRetryable ?? false;
  }
}

/** Raised by a connector when the system said its session or token expired: renew once, then retry. */
export class SessionExpiredError extends Error {
  constructor(readonly detail: string) {
    super(`the session expired: ${detail}`);
    this.name = "SessionExpiredError";
  }
}

/** Plain words for what went wrong on the wire, without echoing secrets or whole bodies. */
export function describeTransportError(error: unknown, what: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  if (!(error instanceof DownloadError)) {
    return new ConnectorError(`${what} failed: ${(error as Error).message}`, { isRetryable: true });
  }
  const status = error.httpStatus;
  const retryAfterMs = error.retryAfterMs;
  switch (error.kind) {
    case "network":
      return new ConnectorError(`host not reachable (${error.message})`, { isRetryable: true });
    case "timeout":
      return new ConnectorError(`no answer in time (${error.message})`, { isRetryable: true });
    case "blocked_address":
      return new ConnectorError(
        `${error.message}; an admin can allow it with DOWNLOAD_ALLOW_PRIVATE_HOSTS`,
      );
    case "invalid_url":
      return new ConnectorError(`not a valid address: ${error.message}`);
    case "too_large":
      return new ConnectorError(`${what} is too large (${error.message})`);
    case "cancelled":
      return new ConnectorError("cancelled");
    case "http":
      if (status === 401)
        return new ConnectorError(`${what} was refused: not signed in (401)`, { httpStatus: 401 });
      if (status === 403)
        return new ConnectorError(`${what} was refused: no permission (403)`, { httpStatus: 403 });
      if (status === 404)
        return new ConnectorError(`${what} was not found (404)`, { httpStatus: 404 });
      if (status === 429)
        return new ConnectorError(`${what} was rate-limited (429)`, {
          isRetryable: true,
          httpStatus: 429,
          retryAfterMs,
        });
      // 408, 5xx: the server's trouble, which waiting may heal; other 4xx are the request's
      return new ConnectorError(`${what} failed: ${error.message}`, {
        isRetryable: error.retryable,
        httpStatus: status,
        retryAfterMs,
      });
    default:
      return new ConnectorError(`${what} failed: ${error.message}`, {
        isRetryable: error.retryable,
      });
  }
}

/** A short, single-line excerpt of an upstream message, safe to show. */
export function excerpt(text: string, max = 200): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
