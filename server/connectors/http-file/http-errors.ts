import { DownloadError, type TCredentials } from "@/server/downloads";
import { ConnectorError, describeTransportError } from "../connector-error";

/**
 * A failed request in plain words; a refusal on another origin than the credentials' says that
 * they were not sent there.
 */
export function toHttpError(
  error: unknown,
  what: string,
  url: string,
  credentials: TCredentials | undefined,
): Error {
  if (error instanceof DownloadError && (error.httpStatus === 401 || error.httpStatus === 403)) {
    const status = error.httpStatus;
    const elsewhere =
      credentials && new URL(url).origin !== credentials.origin
        ? `; this connector's credentials are sent only to ${credentials.origin}, not to ${new URL(url).host}`
        : "";
    const reason = status === 401 ? "wrong or missing credentials" : "no permission";
    return new ConnectorError(`${what} was refused: ${reason} (${status})${elsewhere}`, {
      httpStatus: status,
    });
  }
  return describeTransportError(error, what);
}
