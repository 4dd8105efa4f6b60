import { z } from "zod";
import { DownloadError, systemClock, type TCredentials } from "@/server/downloads";
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
  lookerSchemas,
  ZLookerQuery as ZQuery,
  ZLookerSecrets as ZSecrets,
  ZLookerSettings as ZSettings,
} from "./schemas";

type TSettings = z.infer<typeof ZSettings>;
type TSecrets = z.infer<typeof ZSecrets>;
type TQuery = z.infer<typeof ZQuery>;
type TLooker = TConnection<TSettings, TSecrets>;
type TLookerSession = { accessToken: string };

const ZLogin = z.object({ access_token: z.string() });
const ZDatagroup = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  model_name: z.string().nullish(),
  name: z.string().nullish(),
});
const ZDatagroups = z.array(ZDatagroup);
const ZLookSummaries = z.array(
  z.object({
    id: z.union([z.string(), z.number()]).transform(Number),
    title: z.string().nullish(),
    folder: z.object({ name: z.string().nullish() }).nullish(),
  }),
);
const ZMaterialization = z.object({
  materialization_id: z.string().nullish(),
  resp_text: z.string().nullish(),
});

const LOOK_PATH = /^\/?api\/4\.0\/looks\/(\d+)\/run\/csv\/?(\?.*)?$/;
const QUERY_PATH = /^\/?api\/4\.0\/queries\/(\d+)\/run\/csv\/?(\?.*)?$/;
const INLINE_PATH = /^\/?api\/4\.0\/queries\/run\/csv\/?(\?.*)?$/;

const apiUrl = (connection: { baseUrl: string }, path: string) =>
  joinUrl(connection.baseUrl, `api/4.0/${path}`);

async function signIn(connection: TLooker, context: TConnectorContext): Promise<TLookerSession> {
  if (!connection.secrets.clientSecret)
    throw new ConnectorError("no client secret is set for this connector");
  try {
    const { body } = await context.http.requestJson(apiUrl(connection, "login"), ZLogin, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: connection.settings.clientId,
        client_secret: connection.secrets.clientSecret,
      }).toString(),
      credentials: { origin: new URL(connection.baseUrl).origin, headers: {}, isBodySecret: true },
      signal: context.signal,
    });
    return { accessToken: body.access_token };
  } catch (error) {
    // Looker answers wrong API credentials with 404 Not found, as it does for an unknown user
    if (
      error instanceof DownloadError &&
      (error.httpStatus === 404 || error.httpStatus === 401 || error.httpStatus === 403)
    ) {
      throw new ConnectorError("wrong client id or secret (Looker refused the API login)");
    }
    throw describeTransportError(error, "signing in to Looker");
  }
}

const call = sessionCaller(signIn);

function credentialsFor(connection: TLooker, session: TLookerSession): TCredentials {
  return {
    origin: new URL(connection.baseUrl).origin,
    headers: { authorization: `token ${session.accessToken}` },
  };
}

/** Looker's words: `{"message":"…","errors":[{"field","message"}]}`. */
function lookerReason(body: string | undefined): string | null {
  try {
    const parsed = JSON.parse(body ?? "") as {
      message?: unknown;
      errors?: { field?: unknown; message?: unknown }[];
    };
    const details = (parsed.errors ?? [])
      .map((e) => [e.field, e.message].filter((part) => typeof part === "string").join(": "))
      .filter(Boolean);
    const message = typeof parsed.message === "string" ? parsed.message : null;
    return [message, ...details].filter(Boolean).join("; ") || null;
  } catch {
    return null;
  }
}

function toLookerError(error: unknown, what: string): Error {
  if (!(error instanceof DownloadError) || error.kind !== "http")
    return describeTransportError(error, what);
  if (error.httpStatus === 401)
    return new SessionExpiredError("Looker said Requires authentication");
  const reason = lookerReason(error.responseBody);
  if (error.httpStatus === 404)
    return new ConnectorError(`Looker did not find ${what} (404${reason ? `, ${reason}` : ""})`, {
      httpStatus: 404,
    });
  if (reason && error.httpStatus && error.httpStatus < 500 && error.httpStatus !== 429) {
    return new ConnectorError(`Looker refused ${what}: ${excerpt(reason)}`, {
      httpStatus: error.httpStatus,
    });
  }
  return describeTransportError(error, what);
}

function lookerApi(connection: TLooker, context: TConnectorContext) {
  return <T extends z.ZodType>(
    path: string,
    schema: T,
    what: string,
    request: { method?: string; body?: unknown } = {},
  ) =>
    call(connection, context, async (session) => {
      try {
        const answer = await context.http.requestJson(apiUrl(connection, path), schema, {
          method: request.method ?? "GET",
          headers: request.body === undefined ? {} : { "content-type": "application/json" },
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          credentials: credentialsFor(connection, session),
          signal: context.signal,
        });
        return answer.body as z.output<T>;
      } catch (error) {
        throw toLookerError(error, what);
      }
    });
}

function runPath(query: TQuery): { path: string; method: "GET" | "POST"; what: string } {
  switch (query.target) {
    case "look":
      return {
        path: `looks/${query.lookId}/run/csv?apply_formatting=false&limit=-1`,
        method: "GET",
        what: `Look ${query.lookId}`,
      };
    case "query":
      return {
        path: `queries/${query.queryId}/run/csv?apply_formatting=false&limit=-1`,
        method: "GET",
        what: `query ${query.queryId}`,
      };
    case "inline":
      return {
        path: "queries/run/csv?apply_formatting=false",
        method: "POST",
        what: `the query on ${String(query.query.model)}/${String(query.query.view)}`,
      };
  }
}

/** Whole seconds a little in the past: Looker refuses a time in its future, and clocks differ. */
const lookerNow = () => Math.floor(Date.now() / 1000) - 5;

export const lookerConnector: ConnectorKind<TSettings, TSecrets, TQuery> = {
  ...lookerSchemas,

  async testConnection(connection, context) {
    const datagroups = await lookerApi(connection, context)(
      "datagroups",
      ZDatagroups,
      "the datagroups",
    );
    const wanted = connection.settings.datagroup;
    const datagroup = wanted ? findDatagroup(datagroups, wanted) : null;
    const about = !wanted
      ? ""
      : datagroup
        ? `; the datagroup ${wanted} exists`
        : `; no datagroup is called ${wanted} (there are ${datagroups.map(datagroupName).join(", ") || "none"})`;
    return `signed in; the instance has ${datagroups.length} datagroup${datagroups.length === 1 ? "" : "s"}${about}`;
  },

  async fetchReport(connection, query, context) {
    const { path, method, what } = runPath(query);
    const file = await call(connection, context, async (session) => {
      try {
        return await context.http.downloadToFile(apiUrl(connection, path), {
          method,
          accept: "text/csv",
          headers: method === "POST" ? { "content-type": "application/json" } : {},
          body: query.target === "inline" ? JSON.stringify(query.query) : undefined,
          credentials: credentialsFor(connection, session),
          signal: context.signal,
        });
      } catch (error) {
        throw toLookerError(error, what);
      }
    });
    const charset = charsetOf(file.contentType);
    await removeOnFailure(file.path, () =>
      assertCsvBody({ path: file.path, firstBytes: file.firstBytes, system: "Looker", charset }),
    );
    return { files: [{ path: file.path, label: null }], format: "csv", charset };
  },

  describeQuery(query) {
    return runPath(query).what;
  },

  queryFromSeed({ path, payload }) {
    const look = LOOK_PATH.exec(path);
    if (look) return { target: "look", lookId: Number(look[1]) };
    const saved = QUERY_PATH.exec(path);
    if (saved) return { target: "query", queryId: Number(saved[1]) };
    if (INLINE_PATH.test(path) && payload && typeof payload === "object") {
      const parsed = ZQuery.safeParse({ target: "inline", query: payload });
      return parsed.success ? parsed.data : null;
    }
    return null;
  },

  queryToSeed(connection, query) {
    const { path } = runPath(query);
    return {
      request_url: apiUrl(connection, path.split("?")[0]!),
      payload: query.target === "inline" ? query.query : {},
    };
  },

  /**
   * The Looks whose title holds the search text. search_looks reads `%` and `_` in it as LIKE
   * wildcards and documents no escape, so a `_` typed here matches any one character: a wider list,
   * never a missing Look.
   */
  async browse(connection, request, context) {
    const words = request.search.trim();
    const query = new URLSearchParams({
      fields: "id,title,folder(name)",
      sorts: "title",
      limit: String(request.limit + 1),
      ...(words ? { title: `%${words}%` } : {}),
    });
    const found = await call(connection, context, async (session) => {
      try {
        return await context.http.requestJson(
          apiUrl(connection, `looks/search?${query}`),
          ZLookSummaries,
          { credentials: credentialsFor(connection, session), signal: context.signal },
        );
      } catch (error) {
        throw toLookerError(error, "searching Looker's Looks");
      }
    });
    const items = found.body.slice(0, request.limit).map((look) => ({
      key: `look:${look.id}`,
      type: "Look",
      name: look.title || `Look ${look.id}`,
      detail: look.folder?.name ?? null,
      query: { target: "look", lookId: look.id },
    }));
    // Looker sends X-Total-Count when it knows it; otherwise one more than shown means "more"
    const total = Number(found.headers["x-total-count"]) || found.body.length;
    return { items, total };
  },

  async refresh(connection, context) {
    const api = lookerApi(connection, context);
    const { datagroup: wanted, derivedTable } = connection.settings;
    if (!wanted && !derivedTable) {
      throw new ConnectorError(
        "name a datagroup or a derived table in the connector: Looker has nothing else to refresh",
      );
    }
    const done: string[] = [];
    if (wanted) {
      const datagroups = await api("datagroups", ZDatagroups, "the datagroups");
      const datagroup = findDatagroup(datagroups, wanted);
      if (!datagroup) {
        throw new ConnectorError(
          `no datagroup is called ${wanted} (there are ${datagroups.map(datagroupName).join(", ") || "none"})`,
        );
      }
      const now = lookerNow();
      await api(
        `datagroups/${encodeURIComponent(datagroup.id)}`,
        ZDatagroup,
        `the datagroup ${wanted}`,
        {
          method: "PATCH",
          body: { stale_before: now, triggered_at: now },
        },
      );
      done.push(`datagroup ${wanted} reset and triggered`);
      context.onProgress?.(done.join("; "));
    }
    if (derivedTable) {
      const [model, view] = derivedTable.split("/");
      const started = await api(
        `derived_table/${encodeURIComponent(model!)}/${encodeURIComponent(view!)}/start?force_rebuild=true&workspace=production`,
        ZMaterialization,
        `the derived table ${derivedTable}`,
      );
      const id = started.materialization_id;
      if (!id)
        throw new ConnectorError(
          `Looker did not start a rebuild of ${derivedTable}: ${started.resp_text ?? "no reason given"}`,
        );
      for (let poll = 0; ; poll++) {
        await systemClock.sleep(Math.min(30_000, 1_000 * 2 ** Math.min(poll, 5)), context.signal);
        const status = await api(
          `derived_table/${encodeURIComponent(id)}/status`,
          ZMaterialization,
          `the rebuild of ${derivedTable}`,
        );
        const { state, message } = materializationState(status.resp_text);
        if (state === "complete") break;
        if (state === "failed")
          throw new ConnectorError(`the rebuild of ${derivedTable} failed: ${excerpt(message)}`);
        context.onProgress?.(`rebuilding ${derivedTable}: ${excerpt(message) || "running"}`);
      }
      done.push(`derived table ${derivedTable} rebuilt`);
    }
    return done.join("; ");
  },
};

/**
 * A rebuild's state from its status's resp_text: a JSON document whose `status` is running,
 * complete, killed or error (as Looker's Airflow operator reads it), or plain text.
 */
function materializationState(text: string | null | undefined): {
  state: "running" | "complete" | "failed";
  message: string;
} {
  let status = text ?? "";
  let message = text ?? "";
  try {
    const parsed = JSON.parse(text ?? "") as { status?: unknown; message?: unknown };
    if (typeof parsed.status === "string") status = parsed.status;
    message = typeof parsed.message === "string" ? parsed.message : status;
  } catch {
    // plain text: its words say the state
  }
  if (/^(complete|completed|done|success)$/i.test(status.trim()))
    return { state: "complete", message };
  if (/killed|error|fail|cancel/i.test(status))
    return { state: "failed", message: message || status };
  return { state: "running", message };
}

const datagroupName = (d: z.output<typeof ZDatagroup>) =>
  `${d.model_name ?? "?"}::${d.name ?? d.id}`;

function findDatagroup(datagroups: z.output<typeof ZDatagroups>, wanted: string) {
  return (
    datagroups.find((d) => datagroupName(d) === wanted || d.id === wanted || d.name === wanted) ??
    null
  );
}
