import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { DownloadError, type TCredentials } from "@/server/downloads";
import {
  ConnectorError,
  describeTransportError,
  excerpt,
  SessionExpiredError,
} from "../connector-error";
import { looksLikeHtml } from "../check-body";
import { charsetOf } from "../normalise-csv";
import { sessionCaller } from "../session-cache";
import type { ConnectorKind, TConnection, TConnectorContext, TFetchedReport } from "../types";
import { joinUrl } from "../url";
import { reportResultToCsv, ZReportResult } from "./report-json";
import {
  salesforceSchemas,
  ZSalesforceQuery as ZQuery,
  ZSalesforceSecrets as ZSecrets,
  ZSalesforceSettings as ZSettings,
} from "./schemas";

/** The parts of Salesforce's answers we read (OAuth token, Chatter's current user). */
const ZTokenAnswer = z.object({
  access_token: z.string().nullish(),
  instance_url: z.string().nullish(),
});
const ZChatterUser = z.object({ name: z.string().nullish(), username: z.string().nullish() });

type TSettings = z.infer<typeof ZSettings>;
type TSecrets = z.infer<typeof ZSecrets>;
type TQuery = z.infer<typeof ZQuery>;
type TSalesforce = TConnection<TSettings, TSecrets>;
type TSession = { accessToken: string; instanceUrl: string };

const REPORT_PATH = /^\/?(00O[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)\/?$/;
const REST_REPORT_PATH = /analytics\/reports\/(00O[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)/;
/** Salesforce accepts a JWT for a few minutes; a short life limits what a leaked one is worth. */
const JWT_LIFETIME_S = 180;

const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

function signJwt(connection: TSalesforce, audience: string): string {
  const { clientId, username } = connection.settings;
  if (!clientId || !username || !connection.secrets.privateKeyPem) {
    throw new ConnectorError("JWT sign-in needs a consumer key, a user name and a private key");
  }
  const header = base64url(JSON.stringify({ alg: "RS256" }));
  const claims = base64url(
    JSON.stringify({
      iss: clientId,
      sub: username,
      aud: audience,
      exp: Math.floor(Date.now() / 1000) + JWT_LIFETIME_S,
    }),
  );
  let signature: Buffer;
  try {
    signature = crypto.sign(
      "RSA-SHA256",
      Buffer.from(`${header}.${claims}`),
      connection.secrets.privateKeyPem,
    );
  } catch {
    throw new ConnectorError("the private key is not a valid PEM RSA key");
  }
  return `${header}.${claims}.${base64url(signature)}`;
}

/** `aud` names the login server, not the org's My Domain (a community's own URL is its own audience). */
export function jwtAudience(loginUrl: string): string {
  const { origin, hostname } = new URL(loginUrl);
  if (hostname.endsWith(".sandbox.my.salesforce.com")) return "https://test.salesforce.com";
  if (hostname.endsWith(".my.salesforce.com")) return "https://login.salesforce.com";
  return origin;
}

async function signIn(connection: TSalesforce, context: TConnectorContext): Promise<TSession> {
  const { authMethod, clientId } = connection.settings;
  if (authMethod === "session_id") {
    if (!connection.secrets.sessionId)
      throw new ConnectorError("no session id is set for this connector");
    return { accessToken: connection.secrets.sessionId, instanceUrl: connection.baseUrl };
  }
  const loginUrl = connection.settings.loginUrl || connection.baseUrl;
  const form: Record<string, string> =
    authMethod === "jwt"
      ? {
          grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
          assertion: signJwt(connection, jwtAudience(loginUrl)),
        }
      : {
          grant_type: "client_credentials",
          client_id: clientId,
          client_secret: connection.secrets.clientSecret ?? "",
        };
  try {
    const { body } = await context.http.requestJson(
      joinUrl(loginUrl, "services/oauth2/token"),
      ZTokenAnswer,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        credentials: { origin: new URL(loginUrl).origin, headers: {}, isBodySecret: true },
        body: new URLSearchParams(form).toString(),
        signal: context.signal,
      },
    );
    if (!body.access_token) throw new ConnectorError("Salesforce sent no access token");
    // no expires_in: the token lives as long as the org's session timeout, so it is renewed on 401
    return { accessToken: body.access_token, instanceUrl: body.instance_url ?? connection.baseUrl };
  } catch (error) {
    if (error instanceof DownloadError && error.httpStatus === 400) {
      const answer = parseJson<{ error?: string; error_description?: string }>(error.responseBody);
      const code = answer?.error ?? "refused";
      const words =
        code === "invalid_client_id"
          ? "unknown consumer key (client id)"
          : code === "invalid_client"
            ? "wrong client secret"
            : code === "invalid_grant"
              ? "Salesforce refused the credentials"
              : "Salesforce refused the sign-in";
      throw new ConnectorError(`${words} (${code}: ${excerpt(answer?.error_description ?? "")})`);
    }
    throw describeTransportError(error, "signing in to Salesforce");
  }
}

function parseJson<T>(text: string | undefined): T | null {
  try {
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

/** The access token as the REST API takes it, for the instance it was issued for. */
function bearerFor(session: TSession): TCredentials {
  return {
    origin: new URL(session.instanceUrl).origin,
    headers: { authorization: `Bearer ${session.accessToken}` },
  };
}

function toSalesforceError(connection: TSalesforce, error: unknown, what: string): Error {
  if (error instanceof DownloadError && error.httpStatus !== undefined) {
    const answer = parseJson<Array<{ errorCode?: string; message?: string }>>(
      error.responseBody,
    )?.[0];
    if (error.httpStatus === 401 && answer?.errorCode === "INVALID_SESSION_ID") {
      if (connection.settings.authMethod === "session_id") {
        return new ConnectorError(
          "the pasted session id expired or is invalid: paste a new one in the connector",
        );
      }
      return new SessionExpiredError("INVALID_SESSION_ID");
    }
    if (answer?.errorCode === "REQUEST_LIMIT_EXCEEDED") {
      // an hourly or daily allowance: another attempt minutes later is refused the same way
      return new ConnectorError(
        `Salesforce's limit is used up, try again later (${excerpt(answer.message ?? "")})`,
        { httpStatus: error.httpStatus },
      );
    }
    if (answer?.errorCode) {
      return new ConnectorError(`${what}: ${answer.errorCode} ${excerpt(answer.message ?? "")}`, {
        httpStatus: error.httpStatus,
        isRetryable: error.httpStatus >= 500,
      });
    }
  }
  return describeTransportError(error, what);
}

const call = sessionCaller(signIn);

/** The parts of a SOQL answer we read (GET /services/data/vNN.N/query). */
const ZReportRecords = z.object({
  totalSize: z.number().int().nonnegative(),
  records: z.array(
    z.object({
      Id: z.string(),
      Name: z.string().nullish(),
      FolderName: z.string().nullish(),
      Format: z.string().nullish(),
    }),
  ),
});

/**
 * Text for a SOQL LIKE literal: the quotes and the backslash escaped, the line breaks and other
 * controls written as escapes, and `%` and `_` escaped so they match themselves instead of
 * anything. SOQL refuses a backslash before any other character.
 */
export function escapeSoqlLike(text: string): string {
  const escapes: Record<string, string> = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "%": "\\%",
    _: "\\_",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
  };
  return text.replace(
    /[\\'"%_\u0000-\u001f]/g,
    (character) =>
      escapes[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

export const salesforceConnector: ConnectorKind<TSettings, TSecrets, TQuery> = {
  ...salesforceSchemas,

  async testConnection(connection, context) {
    const version = connection.settings.apiVersion;
    const user = await call(connection, context, async (session) => {
      try {
        return (
          await context.http.requestJson(
            joinUrl(session.instanceUrl, `services/data/${version}/chatter/users/me`),
            ZChatterUser,
            { credentials: bearerFor(session), signal: context.signal },
          )
        ).body;
      } catch (error) {
        // Chatter can be switched off: the user's name is then unknown, and the session is
        // proven by the API version's own resource list instead
        if (!(error instanceof DownloadError) || error.httpStatus === 401) {
          throw toSalesforceError(connection, error, "reading the current user");
        }
      }
      try {
        await context.http.requestJson(
          joinUrl(session.instanceUrl, `services/data/${version}/`),
          z.unknown(),
          {
            credentials: bearerFor(session),
            signal: context.signal,
          },
        );
      } catch (error) {
        throw toSalesforceError(connection, error, "checking the session");
      }
      return null;
    });
    if (user) return `signed in as ${user.username ?? user.name ?? "an unnamed user"}`;
    const what = connection.settings.authMethod === "session_id" ? "session id" : "sign-in";
    return `signed in: Salesforce accepted the ${what} (who that is could not be read: Chatter is not available)`;
  },

  async fetchReport(connection, query, context): Promise<TFetchedReport> {
    const { settings } = connection;
    const result = await call(connection, context, async (session) => {
      try {
        const url = joinUrl(
          session.instanceUrl,
          `services/data/${settings.apiVersion}/analytics/reports/${query.reportId}?includeDetails=true`,
        );
        return (
          await context.http.requestJson(url, ZReportResult, {
            credentials: bearerFor(session),
            signal: context.signal,
          })
        ).body;
      } catch (error) {
        throw toSalesforceError(connection, error, `report ${query.reportId}`);
      }
    });

    let exportRefusal = "the report export is switched off for this connector";
    const { csv, rows } = reportResultToCsv(result);
    // a preview that has its rows already needs no export of all the others
    const hasEnoughRows = context.rowLimit !== undefined && rows >= context.rowLimit;
    if (result.allData === false && settings.fullExport && !hasEnoughRows) {
      const full = await fetchFullExport(connection, query, context);
      if ("files" in full) return full;
      exportRefusal = full.refusal;
    }
    const file = path.join(context.tempDir, `salesforce-${crypto.randomUUID()}.part`);
    fs.writeFileSync(file, csv);
    // a preview that stopped at its rows is not a truncated report
    const isTruncated = result.allData === false && !hasEnoughRows;
    return {
      files: [{ path: file, label: null }],
      format: "csv",
      isTruncated,
      notes: isTruncated
        ? [
            `truncated: the Reports API returns only the first ${rows.toLocaleString("en-US")} rows, and ${exportRefusal}`,
          ]
        : [],
    };
  },

  describeQuery: (query) => `report ${query.reportId}`,

  queryFromSeed({ path: requestPath }) {
    const id =
      REPORT_PATH.exec(requestPath.split("?")[0]!)?.[1] ?? REST_REPORT_PATH.exec(requestPath)?.[1];
    return id ? { reportId: id } : null;
  },

  queryToSeed(connection, query) {
    return {
      request_url: joinUrl(connection.baseUrl, `${query.reportId}?export=1&enc=UTF-8&xf=csv`),
      payload: {},
    };
  },

  /**
   * Reports by name. The Reports API's list (analytics/reports) holds only the reports the user
   * viewed lately, so this asks SOQL, which finds every report the user can see: one query for a
   * page ordered by name, one COUNT() for how many match.
   */
  async browse(connection, request, context) {
    const version = connection.settings.apiVersion;
    const search = request.search.trim();
    const where = search ? ` WHERE Name LIKE '%${escapeSoqlLike(search)}%'` : "";
    const soql = async (statement: string) =>
      call(connection, context, async (session) => {
        try {
          const url = joinUrl(
            session.instanceUrl,
            `services/data/${version}/query?q=${encodeURIComponent(statement)}`,
          );
          return (
            await context.http.requestJson(url, ZReportRecords, {
              credentials: bearerFor(session),
              signal: context.signal,
            })
          ).body;
        } catch (error) {
          throw toSalesforceError(connection, error, "searching Salesforce's reports");
        }
      });
    const page = await soql(
      `SELECT Id, Name, FolderName, Format FROM Report${where} ORDER BY Name LIMIT ${request.limit}`,
    );
    const count = await soql(`SELECT COUNT() FROM Report${where}`);
    const items = page.records.slice(0, request.limit).map((record) => ({
      key: `report:${record.Id}`,
      type: "report",
      name: record.Name ?? record.Id,
      detail: [record.FolderName, record.Format?.toLowerCase()].filter(Boolean).join(" · ") || null,
      query: { reportId: record.Id },
    }));
    return { items, total: Math.max(count.totalSize, items.length) };
  },
};

/**
 * The report export behind Salesforce's own "Export" button: every row, no 2,000-row cap. It takes
 * the token as the `sid` cookie and answers a refused one with an HTML login page, not an error.
 * Returns the file, or why the export could not be had, in words for the run's note.
 */
async function fetchFullExport(
  connection: TSalesforce,
  query: TQuery,
  context: TConnectorContext,
): Promise<TFetchedReport | { refusal: string }> {
  return call(connection, context, async (session) => {
    const host = connection.baseUrl || session.instanceUrl;
    let file;
    try {
      file = await context.http.downloadToFile(
        joinUrl(host, `${query.reportId}?export=1&enc=UTF-8&xf=csv`),
        {
          accept: "text/csv",
          credentials: {
            origin: new URL(host).origin,
            headers: { cookie: `sid=${session.accessToken}` },
          },
          signal: context.signal,
        },
      );
    } catch (error) {
      if (context.signal?.aborted) throw error;
      return { refusal: describeTransportError(error, "the report export").message };
    }
    if (looksLikeHtml(file.firstBytes, file.contentType)) {
      fs.rmSync(file.path, { force: true });
      return {
        refusal:
          "the report export answered with Salesforce's login page (the org does not accept this session for exports)",
      };
    }
    return {
      files: [{ path: file.path, label: null }],
      format: "csv",
      hasFooter: true,
      charset: charsetOf(file.contentType),
      notes: ["fetched in full through the report export (the Reports API stops at 2,000 rows)"],
    };
  });
}
