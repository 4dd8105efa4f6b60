import fs from "node:fs";
import { z } from "zod";
import { DownloadError, type TCredentials } from "@/server/downloads";
import { assertCsvBody, looksLikeHtml } from "../check-body";
import { ConnectorError, describeTransportError } from "../connector-error";
import { charsetOf } from "../normalise-csv";
import type { ConnectorKind, TConnection } from "../types";
import { joinUrl } from "../url";
import { removeOnFailure } from "../temp-files";
import {
  httpFileSchemas,
  ZHttpFileQuery as ZQuery,
  ZHttpFileSecrets as ZSecrets,
  ZHttpFileSettings as ZSettings,
} from "./schemas";

type TSettings = z.infer<typeof ZSettings>;
type TSecrets = z.infer<typeof ZSecrets>;
type TQuery = z.infer<typeof ZQuery>;
type THttpFile = TConnection<TSettings, TSecrets>;

function resolveUrl(connection: { baseUrl: string }, url: string): string {
  if (/^https?:\/\//i.test(url)) return url;
  if (!connection.baseUrl)
    throw new ConnectorError(`"${url}" is relative and this connector has no base URL`);
  return joinUrl(connection.baseUrl, url);
}

function secretHeaders(connection: THttpFile): Record<string, string> | null {
  const { settings, secrets } = connection;
  if (settings.authMethod === "basic") {
    const pair = Buffer.from(`${settings.username}:${secrets.password ?? ""}`).toString("base64");
    return { authorization: `Basic ${pair}` };
  }
  if (settings.authMethod === "bearer") return { authorization: `Bearer ${secrets.token ?? ""}` };
  if (settings.authMethod === "header" && settings.headerName)
    return { [settings.headerName]: secrets.headerValue ?? "" };
  return null;
}

/**
 * The connector's credentials and the one origin they may go to: its base URL's. Without a base
 * URL there is no origin to trust, so a connector with credentials needs one.
 */
function credentialsOf(connection: THttpFile): TCredentials | undefined {
  const headers = secretHeaders(connection);
  if (!headers) return undefined;
  if (!connection.baseUrl) {
    throw new ConnectorError(
      "this connector has credentials but no base URL: its credentials are sent only to the site of its base URL, so set that address first",
    );
  }
  return { origin: new URL(connection.baseUrl).origin, headers };
}

function toHttpError(
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

export const httpFileConnector: ConnectorKind<TSettings, TSecrets, TQuery> = {
  ...httpFileSchemas,

  async testConnection(connection, context) {
    const url = resolveUrl(connection, connection.settings.testUrl || connection.baseUrl || "");
    const credentials = credentialsOf(connection);
    let file;
    try {
      file = await context.http.downloadToFile(url, {
        accept: "text/csv, application/json, */*",
        headers: connection.settings.headers,
        credentials,
        signal: context.signal,
        maxBytes: 64 * 1024 * 1024,
      });
    } catch (error) {
      throw toHttpError(error, url, url, credentials);
    }
    fs.rmSync(file.path, { force: true });
    const host = new URL(url).host;
    // a sign-in or captive page answers 200 too: reachable, but not the file
    if (looksLikeHtml(file.firstBytes, file.contentType)) {
      throw new ConnectorError(
        `${host} answered with an HTML page instead of a file (a login page? check the credentials and the test URL)`,
      );
    }
    return `reachable: ${host} answered with ${file.contentType ?? "a file"} (${file.bytes.toLocaleString("en-US")} bytes)`;
  },

  async fetchReport(connection, query, context) {
    const url = resolveUrl(connection, query.url);
    const credentials = credentialsOf(connection);
    let file;
    try {
      file = await context.http.downloadToFile(url, {
        method: query.method,
        accept: query.format === "csv" ? "text/csv, */*" : "application/json, */*",
        headers: {
          ...connection.settings.headers,
          ...(query.method === "POST" ? { "content-type": "application/json" } : {}),
        },
        credentials,
        body: query.method === "POST" ? JSON.stringify(query.payload ?? {}) : undefined,
        signal: context.signal,
      });
    } catch (error) {
      throw toHttpError(error, new URL(url).pathname, url, credentials);
    }
    const charset = charsetOf(file.contentType);
    if (query.format === "csv") {
      await removeOnFailure(file.path, () =>
        assertCsvBody({
          path: file.path,
          firstBytes: file.firstBytes,
          system: new URL(url).host,
          charset,
        }),
      );
    }
    return { files: [{ path: file.path, label: null }], format: query.format, charset };
  },

  describeQuery: (query) => `${query.method === "POST" ? "POST " : ""}${query.url}`,

  queryFromSeed({ path, url, payload }) {
    const hasPayload =
      payload !== null && typeof payload === "object" && Object.keys(payload).length > 0;
    return {
      url: url ? url.href : path,
      format: /\.json($|\?)/i.test(path) ? "json" : "csv",
      method: hasPayload ? "POST" : "GET",
      ...(hasPayload ? { payload } : {}),
    };
  },

  queryToSeed(connection, query) {
    return { request_url: resolveUrl(connection, query.url), payload: query.payload ?? {} };
  },
};
