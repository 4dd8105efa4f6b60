import { z } from "zod";
import { DownloadError, type TCredentials } from "@/server/downloads";
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
import { joinUrl } from "../url";
import {
  metabaseSchemas,
  ZMetabaseQuery as ZQuery,
  ZMetabaseSecrets as ZSecrets,
  ZMetabaseSettings as ZSettings,
} from "./schemas";
import { browseMetabase, describeMetabaseParameters, type TMetabaseGet } from "./browse";

/** The parts of Metabase's answers we read (POST /api/session, GET /api/user/current). */
const ZSessionAnswer = z.object({ id: z.string().nullish() });
const ZCurrentUser = z.object({ email: z.string().nullish(), common_name: z.string().nullish() });

type TSettings = z.infer<typeof ZSettings>;
type TSecrets = z.infer<typeof ZSecrets>;
type TQuery = z.infer<typeof ZQuery>;
type TMetabase = TConnection<TSettings, TSecrets>;
type TAuthHeaders = Record<string, string>;

const CARD_PATH = /^\/?api\/card\/(\d+)\/query\/csv\/?$/;
const DASHCARD_PATH = /^\/?api\/dashboard\/(\d+)\/dashcard\/(\d+)\/card\/(\d+)\/query\/csv\/?$/;

/**
 * Error types of Metabase's query processor (query_processor/error_type.clj) that describe the
 * query itself: running it again gives the same error. A SQL error from the database is typed
 * "invalid-query" too. Other types (qp, db, server) are the server's trouble and may pass.
 */
const QUERY_ERROR_TYPES = new Set([
  "client",
  "invalid-query",
  "missing-required-parameter",
  "missing-required-permissions",
]);

const isRetryableExportError = (fields: Record<string, string | true>) =>
  !QUERY_ERROR_TYPES.has(String(fields.error_type ?? ""));

/** The session or API key, for Metabase's own origin only. */
function credentialsFor(connection: TMetabase, auth: TAuthHeaders): TCredentials {
  return { origin: new URL(connection.baseUrl).origin, headers: auth };
}

/** Metabase's reason for a 400: `{"errors": {"parameters": "…"}}`, `{"message": "…"}` or text. */
function metabaseReason(body: string | undefined): string | null {
  if (!body?.trim()) return null;
  try {
    const parsed = JSON.parse(body) as { errors?: unknown; message?: unknown };
    if (parsed.errors && typeof parsed.errors === "object") {
      return Object.entries(parsed.errors as Record<string, unknown>)
        .map(([field, problem]) => {
          const words = typeof problem === "string" ? problem : JSON.stringify(problem);
          return field === "_error" ? words : `${field}: ${words}`;
        })
        .join("; ");
    }
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    return body;
  }
  return null;
}

function exportPath(query: TQuery): string {
  return query.target === "card"
    ? `api/card/${query.cardId}/query/csv`
    : `api/dashboard/${query.dashboardId}/dashcard/${query.dashcardId}/card/${query.cardId}/query/csv`;
}

async function signIn(connection: TMetabase, context: TConnectorContext): Promise<TAuthHeaders> {
  if (connection.settings.authMethod === "api_key") {
    if (!connection.secrets.apiKey)
      throw new ConnectorError("no API key is set for this connector");
    return { "x-api-key": connection.secrets.apiKey };
  }
  if (!connection.settings.email || !connection.secrets.password) {
    throw new ConnectorError("session sign-in needs an email and a password");
  }
  try {
    const { body } = await context.http.requestJson(
      joinUrl(connection.baseUrl, "api/session"),
      ZSessionAnswer,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        credentials: {
          origin: new URL(connection.baseUrl).origin,
          headers: {},
          isBodySecret: true,
        },
        body: JSON.stringify({
          username: connection.settings.email,
          password: connection.secrets.password,
        }),
        signal: context.signal,
      },
    );
    if (!body.id) throw new ConnectorError("Metabase accepted the sign-in but sent no session id");
    return { "x-metabase-session": body.id };
  } catch (error) {
    if (error instanceof DownloadError && error.httpStatus === 401) {
      throw new ConnectorError(
        /disabled/i.test(error.responseBody ?? "")
          ? "this Metabase account is disabled"
          : "wrong email or password (Metabase refused the sign-in)",
      );
    }
    throw describeTransportError(error, "signing in to Metabase");
  }
}

/** Metabase answers an unknown or expired credential with 401 and the text "Unauthenticated". */
function toMetabaseError(connection: TMetabase, error: unknown, what: string): Error {
  if (error instanceof DownloadError && error.httpStatus === 401) {
    if (connection.settings.authMethod === "session")
      return new SessionExpiredError("Metabase said Unauthenticated");
    return new ConnectorError("Metabase refused the API key (401 Unauthenticated)");
  }
  if (error instanceof DownloadError && error.httpStatus === 400) {
    const reason = metabaseReason(error.responseBody);
    if (reason) {
      return new ConnectorError(`Metabase refused ${what}: ${excerpt(reason)}`, {
        httpStatus: 400,
      });
    }
  }
  return describeTransportError(error, what);
}

const call = sessionCaller(signIn);

/** A GET on this Metabase with its credentials, through a cached session. */
function getFrom(connection: TMetabase, context: TConnectorContext): TMetabaseGet {
  return (path, schema, what) =>
    call(connection, context, async (auth) => {
      try {
        const url = joinUrl(connection.baseUrl, path);
        return (
          await context.http.requestJson(url, schema, {
            credentials: credentialsFor(connection, auth),
            signal: context.signal,
          })
        ).body;
      } catch (error) {
        throw toMetabaseError(connection, error, what);
      }
    });
}

export const metabaseConnector: ConnectorKind<TSettings, TSecrets, TQuery> = {
  ...metabaseSchemas,

  async testConnection(connection, context) {
    const get = getFrom(connection, context);
    const user = await get("api/user/current", ZCurrentUser, "reading the current user");
    const who = user.email ?? user.common_name ?? "an unnamed user";
    return connection.settings.authMethod === "api_key"
      ? `API key accepted (acts as ${who})`
      : `signed in as ${who}`;
  },

  async fetchReport(connection, query, context) {
    const file = await call(connection, context, async (auth) => {
      try {
        return await context.http.downloadToFile(joinUrl(connection.baseUrl, exportPath(query)), {
          method: "POST",
          accept: "text/csv",
          headers: { "content-type": "application/json" },
          credentials: credentialsFor(connection, auth),
          // format_rows changed its default across versions: always say which one we want
          body: JSON.stringify({
            parameters: query.parameters,
            format_rows: query.formatRows,
            pivot_results: false,
          }),
          signal: context.signal,
        });
      } catch (error) {
        throw toMetabaseError(connection, error, `card ${query.cardId}`);
      }
    });
    const charset = charsetOf(file.contentType);
    await removeOnFailure(file.path, () =>
      assertCsvBody({
        path: file.path,
        firstBytes: file.firstBytes,
        system: "Metabase",
        charset,
        isRetryableError: isRetryableExportError,
      }),
    );
    return { files: [{ path: file.path, label: null }], format: "csv", charset };
  },

  describeQuery(query) {
    const card =
      query.target === "card"
        ? `card ${query.cardId}`
        : `dashboard ${query.dashboardId}, card ${query.cardId}`;
    const parameters =
      query.parameters.length > 0 ? `, ${query.parameters.length} parameter(s)` : "";
    return `${card}${parameters}${query.formatRows ? ", formatted values" : ""}`;
  },

  queryFromSeed({ path, payload }) {
    const body = (payload ?? {}) as { parameters?: unknown; format_rows?: unknown };
    const parameters =
      typeof body.parameters === "string" ? JSON.parse(body.parameters) : (body.parameters ?? []);
    const formatRows = body.format_rows === true || body.format_rows === "true";
    const card = CARD_PATH.exec(path);
    if (card)
      return ZQuery.parse({ target: "card", cardId: Number(card[1]), parameters, formatRows });
    const dashcard = DASHCARD_PATH.exec(path);
    if (dashcard) {
      return ZQuery.parse({
        target: "dashcard",
        dashboardId: Number(dashcard[1]),
        dashcardId: Number(dashcard[2]),
        cardId: Number(dashcard[3]),
        parameters,
        formatRows,
      });
    }
    return null;
  },

  queryToSeed(connection, query) {
    return {
      request_url: joinUrl(connection.baseUrl, exportPath(query)),
      payload: { parameters: query.parameters, format_rows: query.formatRows },
    };
  },

  browse: (connection, request, context) => browseMetabase(getFrom(connection, context), request),

  describeParameters: (connection, query, context) =>
    describeMetabaseParameters(getFrom(connection, context), query),
};
