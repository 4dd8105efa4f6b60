import { z } from "zod";
import { DownloadError } from "@/server/downloads";
import { assertCsvBody } from "../check-body";
import { ConnectorError, describeTransportError, SessionExpiredError } from "../connector-error";
import { sessionCaller } from "../session-cache";
import type { ConnectorKind, TConnection, TConnectorContext } from "../types";
import { joinUrl } from "../url";

const ZSettings = z.object({
  username: z.string().trim().min(1, "a user name is required"),
  provider: z.enum(["db", "ldap"]).default("db"),
});
const ZSecrets = z.object({ password: z.string().optional().meta({ title: "password" }) });
const ZQuery = z.discriminatedUnion("target", [
  z.object({ target: z.literal("chart"), chartId: z.number().int().positive() }),
  z.object({
    target: z.literal("payload"),
    /** a chart-data query context, as Superset's own UI sends it */
    payload: z.record(z.string(), z.unknown()),
  }),
]);

type TSettings = z.infer<typeof ZSettings>;
type TSecrets = z.infer<typeof ZSecrets>;
type TQuery = z.infer<typeof ZQuery>;
type TSuperset = TConnection<TSettings, TSecrets>;
type TSession = { accessToken: string; csrfToken?: string; sessionCookie?: string };

const CHART_DATA_PATH = /^\/?api\/v1\/chart\/data\/?$/;
const SAVED_CHART_PATH = /^\/?api\/v1\/chart\/(\d+)\/data\/?$/;

async function signIn(connection: TSuperset, context: TConnectorContext): Promise<TSession> {
  if (!connection.secrets.password)
    throw new ConnectorError("no password is set for this connector");
  let accessToken: string;
  try {
    const { body } = await context.http.requestJson<{ access_token?: string }>(
      joinUrl(connection.baseUrl, "api/v1/security/login"),
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          username: connection.settings.username,
          password: connection.secrets.password,
          provider: connection.settings.provider,
          refresh: false,
        }),
        signal: context.signal,
      },
    );
    if (!body.access_token)
      throw new ConnectorError("Superset accepted the sign-in but sent no access token");
    accessToken = body.access_token;
  } catch (error) {
    if (error instanceof DownloadError && error.httpStatus === 401) {
      throw new ConnectorError("wrong user name or password (Superset refused the sign-in)");
    }
    throw describeTransportError(error, "signing in to Superset");
  }
  // Chart data is CSRF-exempt on a default install, but deployments can change that list:
  // a token and its session cookie make the POST work either way.
  try {
    const { body, headers } = await context.http.requestJson<{ result?: string }>(
      joinUrl(connection.baseUrl, "api/v1/security/csrf_token/"),
      { headers: { authorization: `Bearer ${accessToken}` }, signal: context.signal },
    );
    const sessionCookie = /(?:^|[;,]\s*)session=([^;,\s]+)/.exec(headers["set-cookie"] ?? "")?.[1];
    return { accessToken, csrfToken: body.result, sessionCookie };
  } catch {
    return { accessToken };
  }
}

function authHeaders(session: TSession): Record<string, string> {
  return {
    authorization: `Bearer ${session.accessToken}`,
    ...(session.csrfToken ? { "x-csrftoken": session.csrfToken } : {}),
    ...(session.sessionCookie ? { cookie: `session=${session.sessionCookie}` } : {}),
  };
}

function toSupersetError(error: unknown, what: string): Error {
  if (error instanceof DownloadError && error.httpStatus === 401) {
    return new SessionExpiredError(
      /expired/i.test(error.responseBody ?? "") ? "token has expired" : "401 Not authorized",
    );
  }
  if (error instanceof DownloadError && error.httpStatus === 400) {
    const message = /"message"\s*:\s*"([^"]+)"/.exec(error.responseBody ?? "")?.[1];
    if (message) return new ConnectorError(`Superset refused ${what}: ${message}`);
  }
  return describeTransportError(error, what);
}

const call = sessionCaller(signIn);

export const supersetConnector: ConnectorKind<TSettings, TSecrets, TQuery> = {
  kind: "superset",
  label: "Superset",
  settingsSchema: ZSettings,
  secretsSchema: ZSecrets,
  querySchema: ZQuery,

  async testConnection(connection, context) {
    const me = await call(connection, context, async (session) => {
      try {
        return (
          await context.http.requestJson<{ result?: { username?: string } }>(
            joinUrl(connection.baseUrl, "api/v1/me/"),
            {
              headers: authHeaders(session),
              signal: context.signal,
            },
          )
        ).body;
      } catch (error) {
        throw toSupersetError(error, "reading the current user");
      }
    });
    return `signed in as ${me.result?.username ?? connection.settings.username}`;
  },

  async fetchReport(connection, query, context) {
    const file = await call(connection, context, async (session) => {
      try {
        if (query.target === "chart") {
          return await context.http.downloadToFile(
            joinUrl(connection.baseUrl, `api/v1/chart/${query.chartId}/data/?format=csv&type=full`),
            { accept: "text/csv", headers: authHeaders(session), signal: context.signal },
          );
        }
        return await context.http.downloadToFile(joinUrl(connection.baseUrl, "api/v1/chart/data"), {
          method: "POST",
          accept: "text/csv",
          headers: { ...authHeaders(session), "content-type": "application/json" },
          body: JSON.stringify({ ...query.payload, result_format: "csv", result_type: "full" }),
          signal: context.signal,
        });
      } catch (error) {
        throw toSupersetError(
          error,
          query.target === "chart" ? `chart ${query.chartId}` : "the chart data request",
        );
      }
    });
    if (file.contentType?.startsWith("application/zip")) {
      throw new ConnectorError(
        "Superset sent a ZIP (the payload has several queries); give one query per report",
      );
    }
    assertCsvBody({
      path: file.path,
      firstBytes: file.firstBytes,
      bytes: file.bytes,
      system: "Superset",
    });
    return { path: file.path, format: "csv" };
  },

  describeQuery(query) {
    if (query.target === "chart") return `saved chart ${query.chartId}`;
    const datasource = query.payload.datasource as { id?: unknown; type?: unknown } | undefined;
    return `chart data on ${String(datasource?.type ?? "datasource")} ${String(datasource?.id ?? "?")}`;
  },

  queryFromSeed({ path, payload }) {
    if (CHART_DATA_PATH.test(path)) {
      return ZQuery.parse({ target: "payload", payload: payload ?? {} });
    }
    const saved = SAVED_CHART_PATH.exec(path.split("?")[0]!);
    if (saved) return { target: "chart", chartId: Number(saved[1]) };
    return null;
  },

  queryToSeed(connection, query) {
    return query.target === "chart"
      ? {
          request_url: joinUrl(connection.baseUrl, `api/v1/chart/${query.chartId}/data/`),
          payload: {},
        }
      : { request_url: joinUrl(connection.baseUrl, "api/v1/chart/data"), payload: query.payload };
  },
};
