import fs from "node:fs";
import { z } from "zod";
import { DownloadError, type TCredentials } from "@/server/downloads";
import { describeStorageFault } from "@/server/storage/describe-storage-fault";
import { assertCsvBody } from "../check-body";
import {
  ConnectorError,
  describeTransportError,
  excerpt,
  SessionExpiredError,
} from "../connector-error";
import { charsetOf } from "../normalise-csv";
import { sessionCaller } from "../session-cache";
import { removeOnFailure } from "../temp-files";
import type { ConnectorKind, TConnection, TConnectorContext } from "../types";
import { unzipToTempFiles } from "../unzip-report";
import { joinUrl } from "../url";
import {
  supersetSchemas,
  ZSupersetQuery as ZQuery,
  ZSupersetSecrets as ZSecrets,
  ZSupersetSettings as ZSettings,
} from "./schemas";
import { toRison } from "./rison";

/** The parts of Superset's answers we read (login, CSRF token, current user). */
const ZLoginAnswer = z.object({ access_token: z.string().nullish() });
const ZCsrfAnswer = z.object({ result: z.string().nullish() });
const ZCurrentUser = z.object({
  result: z.object({ username: z.string().nullish() }).nullish(),
});

type TSettings = z.infer<typeof ZSettings>;
type TSecrets = z.infer<typeof ZSecrets>;
type TQuery = z.infer<typeof ZQuery>;
type TSuperset = TConnection<TSettings, TSecrets>;
type TSession = { accessToken: string; csrfToken?: string; sessionCookie?: string };

const CHART_DATA_PATH = /^\/?api\/v1\/chart\/data\/?$/;
const SAVED_CHART_PATH = /^\/?api\/v1\/chart\/(\d+)\/data\/?$/;

const originOf = (connection: TSuperset) => new URL(connection.baseUrl).origin;

async function signIn(connection: TSuperset, context: TConnectorContext): Promise<TSession> {
  if (!connection.secrets.password)
    throw new ConnectorError("no password is set for this connector");
  let accessToken: string;
  try {
    const { body } = await context.http.requestJson(
      joinUrl(connection.baseUrl, "api/v1/security/login"),
      ZLoginAnswer,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        credentials: { origin: originOf(connection), headers: {}, isBodySecret: true },
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
    const { body, headers } = await context.http.requestJson(
      joinUrl(connection.baseUrl, "api/v1/security/csrf_token/"),
      ZCsrfAnswer,
      {
        credentials: {
          origin: originOf(connection),
          headers: { authorization: `Bearer ${accessToken}` },
        },
        signal: context.signal,
      },
    );
    const sessionCookie = /(?:^|[;,]\s*)session=([^;,\s]+)/.exec(headers["set-cookie"] ?? "")?.[1];
    return { accessToken, csrfToken: body.result ?? undefined, sessionCookie };
  } catch {
    return { accessToken };
  }
}

/** The token, the CSRF token and its session cookie: Superset's own origin only. */
function credentialsFor(connection: TSuperset, session: TSession): TCredentials {
  return {
    origin: originOf(connection),
    headers: {
      authorization: `Bearer ${session.accessToken}`,
      ...(session.csrfToken ? { "x-csrftoken": session.csrfToken } : {}),
      ...(session.sessionCookie ? { cookie: `session=${session.sessionCookie}` } : {}),
    },
  };
}

/** Superset's reason: FAB's `{"message": …}` or Superset's `{"errors": [{"message": …}]}`. */
function supersetReason(body: string | undefined): string | null {
  try {
    const parsed = JSON.parse(body ?? "") as { message?: unknown; errors?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
    if (parsed.message && typeof parsed.message === "object") return JSON.stringify(parsed.message);
    const first = Array.isArray(parsed.errors) ? (parsed.errors[0] as { message?: unknown }) : null;
    return typeof first?.message === "string" ? first.message : null;
  } catch {
    return null;
  }
}

function toSupersetError(error: unknown, what: string): Error {
  if (error instanceof DownloadError && error.httpStatus === 401) {
    return new SessionExpiredError(
      /expired/i.test(error.responseBody ?? "") ? "token has expired" : "401 Not authorized",
    );
  }
  if (error instanceof DownloadError && error.httpStatus === 400) {
    const reason = supersetReason(error.responseBody);
    // Flask-WTF's refusals ("The CSRF token has expired.", "… is missing.", "… do not match."):
    // the token lives an hour by default, so a new sign-in brings a new one
    if (reason && /\bCSRF\b/.test(reason)) return new SessionExpiredError(reason);
    if (reason) {
      return new ConnectorError(`Superset refused ${what}: ${excerpt(reason)}`, {
        httpStatus: 400,
      });
    }
  }
  return describeTransportError(error, what);
}

const call = sessionCaller(signIn);

/** The parts of GET /api/v1/chart/ we read: FAB's list answer, `{count, result: [...]}`. */
const ZChartList = z.object({
  count: z.number().int().nonnegative(),
  result: z.array(
    z.object({
      id: z.number().int().positive(),
      slice_name: z.string().nullish(),
      viz_type: z.string().nullish(),
      datasource_name_text: z.string().nullish(),
    }),
  ),
});
const CHART_LIST_COLUMNS = ["id", "slice_name", "viz_type", "datasource_name_text"];

export const supersetConnector: ConnectorKind<TSettings, TSecrets, TQuery> = {
  ...supersetSchemas,

  async testConnection(connection, context) {
    // The sign-in is the test. Who signed in is added when this Superset can say it: releases
    // before /api/v1/me/ answer 404, and older FAB answers a missing permission with 401 too.
    const identity = await call(connection, context, async (session) => {
      try {
        const { body } = await context.http.requestJson(
          joinUrl(connection.baseUrl, "api/v1/me/"),
          ZCurrentUser,
          { credentials: credentialsFor(connection, session), signal: context.signal },
        );
        return { username: body.result?.username };
      } catch (error) {
        if (error instanceof DownloadError && error.httpStatus !== undefined)
          return { refusal: error.message };
        throw describeTransportError(error, "reading the current user");
      }
    });
    if (identity.username) return `signed in as ${identity.username}`;
    const why = identity.refusal ? `/api/v1/me/ answered ${identity.refusal}` : "it was not sent";
    return `signed in as ${connection.settings.username} (the user's details could not be read: ${why})`;
  },

  async fetchReport(connection, query, context) {
    const file = await call(connection, context, async (session) => {
      try {
        if (query.target === "chart") {
          return await context.http.downloadToFile(
            joinUrl(connection.baseUrl, `api/v1/chart/${query.chartId}/data/?format=csv&type=full`),
            {
              accept: "text/csv",
              credentials: credentialsFor(connection, session),
              signal: context.signal,
            },
          );
        }
        return await context.http.downloadToFile(joinUrl(connection.baseUrl, "api/v1/chart/data"), {
          method: "POST",
          accept: "text/csv",
          headers: { "content-type": "application/json" },
          credentials: credentialsFor(connection, session),
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
    if (isZip(file.contentType, file.firstBytes)) {
      // a query context of several queries (a table with totals, say) comes back as a ZIP of
      // query_1.csv, query_2.csv…: one file per query, in the CSV_EXPORT encoding (UTF-8 by default)
      try {
        const files = await unzipToTempFiles(file.path, context.tempDir, {
          maxBytes: context.http.maxFileBytes,
          system: "Superset",
        }).catch((error: unknown) => {
          if (error instanceof ConnectorError) throw error;
          // the temp folder could not take the unpacked files: our side, not the report
          throw new ConnectorError(describeStorageFault(error), { isOurSide: true });
        });
        return {
          files,
          format: "csv",
          charset: null,
          notes: [`Superset answered ${files.length} queries: one file per query`],
        };
      } finally {
        fs.rmSync(file.path, { force: true });
      }
    }
    const charset = charsetOf(file.contentType);
    await removeOnFailure(file.path, () =>
      assertCsvBody({
        path: file.path,
        firstBytes: file.firstBytes,
        system: "Superset",
        charset,
      }),
    );
    return { files: [{ path: file.path, label: null }], format: "csv", charset };
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

  /**
   * Saved charts by name: GET /api/v1/chart/ with a rison `q` of filters, order and one page.
   * `chart_all_text` is the filter Superset's own chart list searches with (name, description,
   * chart type and dataset name, case-insensitive); FAB caps page_size at FAB_API_MAX_PAGE_SIZE.
   */
  async browse(connection, request, context) {
    const search = request.search.trim();
    const q = toRison({
      columns: CHART_LIST_COLUMNS,
      ...(search ? { filters: [{ col: "slice_name", opr: "chart_all_text", value: search }] } : {}),
      order_column: "slice_name",
      order_direction: "asc",
      page: 0,
      page_size: request.limit,
    });
    const answer = await call(connection, context, async (session) => {
      try {
        const url = joinUrl(connection.baseUrl, `api/v1/chart/?q=${encodeURIComponent(q)}`);
        return (
          await context.http.requestJson(url, ZChartList, {
            credentials: credentialsFor(connection, session),
            signal: context.signal,
          })
        ).body;
      } catch (error) {
        throw toSupersetError(error, "listing Superset's charts");
      }
    });
    const items = answer.result.slice(0, request.limit).map((chart) => ({
      key: `chart:${chart.id}`,
      type: "chart",
      name: chart.slice_name || `chart ${chart.id}`,
      detail: [chart.viz_type, chart.datasource_name_text].filter(Boolean).join(" · ") || null,
      query: { target: "chart", chartId: chart.id },
    }));
    return { items, total: Math.max(answer.count, items.length) };
  },
};

/** A ZIP by its type or, when a proxy renamed that, by its first bytes ("PK\x03\x04"). */
function isZip(contentType: string | null, firstBytes: Uint8Array): boolean {
  if (contentType?.startsWith("application/zip")) return true;
  return (
    firstBytes[0] === 0x50 && firstBytes[1] === 0x4b && firstBytes[2] === 3 && firstBytes[3] === 4
  );
}
