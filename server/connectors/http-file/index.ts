import fs from "node:fs";
import { z } from "zod";
import { DownloadError } from "@/server/downloads";
import { assertCsvBody } from "../check-body";
import { ConnectorError, describeTransportError } from "../connector-error";
import { secretHeaderValue, ZHeaderName, ZHeaders } from "../http-header";
import type { ConnectorKind, TConnection } from "../types";
import { joinUrl } from "../url";

const ZSettings = z.object({
  authMethod: z.enum(["none", "basic", "bearer", "header"]).default("none"),
  username: z.string().default(""),
  /** for "header": the name of the header that carries the secret, e.g. X-Api-Key */
  headerName: ZHeaderName,
  /** extra headers that are not secret */
  headers: ZHeaders,
  /** fetched by "Test connection"; the base URL when empty */
  testUrl: z
    .string()
    .default("")
    .meta({ title: "URL to fetch for “Test connection”", isCredentialAddress: true }),
});
const ZSecrets = z.object({
  password: z.string().optional().meta({ title: "password" }),
  token: secretHeaderValue("token"),
  headerValue: secretHeaderValue("header value"),
});
const ZQuery = z.object({
  /** absolute, or relative to the connector's base URL */
  url: z.string().trim().min(1, "a URL is required"),
  format: z.enum(["csv", "json"]).default("csv"),
  method: z.enum(["GET", "POST"]).default("GET"),
  /** JSON body for POST */
  payload: z.unknown().optional(),
});

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

function requestHeaders(connection: THttpFile): Record<string, string> {
  const { settings, secrets } = connection;
  const headers = { ...settings.headers };
  if (settings.authMethod === "basic") {
    headers.authorization = `Basic ${Buffer.from(`${settings.username}:${secrets.password ?? ""}`).toString("base64")}`;
  } else if (settings.authMethod === "bearer") {
    headers.authorization = `Bearer ${secrets.token ?? ""}`;
  } else if (settings.authMethod === "header" && settings.headerName) {
    headers[settings.headerName] = secrets.headerValue ?? "";
  }
  return headers;
}

function toHttpError(error: unknown, what: string): Error {
  if (error instanceof DownloadError && error.httpStatus === 401) {
    return new ConnectorError(`${what} was refused: wrong or missing credentials (401)`, {
      httpStatus: 401,
    });
  }
  return describeTransportError(error, what);
}

export const httpFileConnector: ConnectorKind<TSettings, TSecrets, TQuery> = {
  kind: "http",
  label: "CSV or JSON at a URL",
  settingsSchema: ZSettings,
  secretsSchema: ZSecrets,
  querySchema: ZQuery,

  async testConnection(connection, context) {
    const url = resolveUrl(connection, connection.settings.testUrl || connection.baseUrl || "");
    try {
      const file = await context.http.downloadToFile(url, {
        accept: "text/csv, application/json, */*",
        headers: requestHeaders(connection),
        signal: context.signal,
        maxBytes: 64 * 1024 * 1024,
      });
      fs.rmSync(file.path, { force: true });
      return `reachable: ${new URL(url).host} answered with ${file.contentType ?? "a file"} (${file.bytes.toLocaleString("en-US")} bytes)`;
    } catch (error) {
      throw toHttpError(error, url);
    }
  },

  async fetchReport(connection, query, context) {
    const url = resolveUrl(connection, query.url);
    let file;
    try {
      file = await context.http.downloadToFile(url, {
        method: query.method,
        accept: query.format === "csv" ? "text/csv, */*" : "application/json, */*",
        headers: {
          ...requestHeaders(connection),
          ...(query.method === "POST" ? { "content-type": "application/json" } : {}),
        },
        body: query.method === "POST" ? JSON.stringify(query.payload ?? {}) : undefined,
        signal: context.signal,
      });
    } catch (error) {
      throw toHttpError(error, new URL(url).pathname);
    }
    if (query.format === "csv") {
      assertCsvBody({
        path: file.path,
        firstBytes: file.firstBytes,
        bytes: file.bytes,
        system: new URL(url).host,
      });
    }
    return { path: file.path, format: query.format };
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
