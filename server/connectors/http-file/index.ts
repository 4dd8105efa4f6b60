import fs from "node:fs";
import { z } from "zod";
import type { TCredentials } from "@/server/downloads";
import { assertCsvBody, looksLikeHtml } from "../check-body";
import { ConnectorError } from "../connector-error";
import { charsetOf } from "../normalise-csv";
import type { ConnectorKind, TConnection } from "../types";
import { joinUrl } from "../url";
import { removeOnFailure } from "../temp-files";
import { fetchPagedReport } from "./fetch-pages";
import { toHttpError } from "./http-errors";
import {
  httpFileSchemas,
  isPagedQuery,
  ZHttpFileQuery as ZQuery,
  ZHttpFileSecrets as ZSecrets,
  ZHttpFileSettings as ZSettings,
} from "./schemas";

const PAGES_BY = { page: "page number", offset: "offset", cursor: "cursor", link: "Link header" };

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
    if (isPagedQuery(query)) {
      return fetchPagedReport(
        { url, query, headers: connection.settings.headers, credentials },
        context,
      );
    }
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

  describeQuery(query) {
    const request = `${query.method === "POST" ? "POST " : ""}${query.url}`;
    if (query.pagination === "none") return request;
    return `${request} (pages by ${PAGES_BY[query.pagination]}, at most ${query.maxPages.toLocaleString("en-US")})`;
  },

  queryFromSeed({ path, url, payload }) {
    const hasPayload =
      payload !== null && typeof payload === "object" && Object.keys(payload).length > 0;
    return ZQuery.parse({
      url: url ? url.href : path,
      format: /\.json($|\?)/i.test(path) ? "json" : "csv",
      method: hasPayload ? "POST" : "GET",
      ...(hasPayload ? { payload } : {}),
    });
  },

  queryToSeed(connection, query) {
    return { request_url: resolveUrl(connection, query.url), payload: query.payload ?? {} };
  },
};
