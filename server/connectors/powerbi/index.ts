import { z } from "zod";
import { serviceWindow } from "@/server/downloads/quota";
import { DownloadError, systemClock } from "@/server/downloads";
import type { TColumnType } from "@/server/tables/table-types";
import {
  ConnectorError,
  describeTransportError,
  excerpt,
  SessionExpiredError,
} from "../connector-error";
import { sessionCaller } from "../session-cache";
import type {
  ConnectorKindBase,
  TConnection,
  TConnectorContext,
  TPushColumn,
  TPushPlan,
} from "../types";
import { joinUrl } from "../url";
import {
  isGuid,
  powerBiSchemas,
  ZPowerBiSecrets as ZSecrets,
  ZPowerBiSettings as ZSettings,
} from "./schemas";
import { signInToPowerBi, type TPowerBiToken } from "./sign-in";

type TSettings = z.infer<typeof ZSettings>;
type TSecrets = z.infer<typeof ZSecrets>;
type TPowerBi = TConnection<TSettings, TSecrets>;

/** Microsoft's limits for push datasets (learn.microsoft.com, push-datasets-limitations). */
export const POWER_BI_LIMITS = {
  rowsPerPost: 10_000,
  postsPerMinute: 120,
  rowsPerHour: 1_000_000,
  columnsPerTable: 75,
};

const DATA_TYPES: Record<TColumnType, string> = {
  text: "String",
  integer: "Int64",
  number: "Double",
  boolean: "Boolean",
  date: "DateTime",
  timestamp: "DateTime",
};
/** the names Power BI answers with, in any case, to ours ("bool" is the docs' own sample) */
const canonicalType = (dataType: string) =>
  ({
    string: "String",
    int64: "Int64",
    double: "Double",
    boolean: "Boolean",
    bool: "Boolean",
    datetime: "DateTime",
  })[dataType.toLowerCase()] ?? dataType;

const ZDataset = z.object({
  id: z.string(),
  name: z.string(),
  addRowsAPIEnabled: z.boolean().optional(),
  isRefreshable: z.boolean().optional(),
});
type TDataset = z.infer<typeof ZDataset>;
const ZDatasets = z.object({ value: z.array(ZDataset) });
const ZTables = z.object({
  value: z.array(
    z.object({
      name: z.string(),
      columns: z.array(z.object({ name: z.string(), dataType: z.string() })).optional(),
    }),
  ),
});
const ZRefreshes = z.object({
  value: z.array(
    z.object({
      requestId: z.string().optional(),
      id: z.union([z.number(), z.string()]).optional(),
      startTime: z.string().optional(),
      endTime: z.string().nullish(),
      status: z.string(),
      serviceExceptionJson: z.string().nullish(),
    }),
  ),
});

const call = sessionCaller<TPowerBi, TPowerBiToken>((connection, context) =>
  signInToPowerBi(
    connection.settings,
    connection.secrets.clientSecret,
    context.http,
    context.signal,
  ),
);

/** Power BI's own words: `{"error":{"code":"…","message":"…"}}`. */
function powerBiReason(body: string | undefined): { code: string | null; message: string | null } {
  try {
    const parsed = JSON.parse(body ?? "") as { error?: { code?: unknown; message?: unknown } };
    return {
      code: typeof parsed.error?.code === "string" ? parsed.error.code : null,
      message: typeof parsed.error?.message === "string" ? parsed.error.message : null,
    };
  } catch {
    return { code: null, message: null };
  }
}

function toPowerBiError(error: unknown, what: string): Error {
  if (!(error instanceof DownloadError) || error.kind !== "http")
    return describeTransportError(error, what);
  const { code, message } = powerBiReason(error.responseBody);
  if (error.httpStatus === 403 && code === "TokenExpired")
    return new SessionExpiredError(message ?? "TokenExpired");
  const said = [code, message].filter(Boolean).join(": ");
  if (error.httpStatus === 401 || error.httpStatus === 403) {
    return new ConnectorError(
      `Power BI refused ${what} (${error.httpStatus}${said ? `, ${excerpt(said)}` : ""}): the app must be allowed to use Power BI APIs in the tenant settings and be a Member or Admin of the workspace`,
      { httpStatus: error.httpStatus },
    );
  }
  if (error.httpStatus === 404) {
    return new ConnectorError(
      `Power BI did not find ${what.replace(/^reading /, "")} (404${said ? `, ${excerpt(said)}` : ""}): check the workspace id and the dataset`,
      {
        httpStatus: 404,
      },
    );
  }
  if (error.httpStatus === 429) {
    return new ConnectorError(
      `Power BI kept refusing ${what} for the rate (429), after waiting as it asked`,
      {
        httpStatus: 429,
        isRetryable: true,
        retryAfterMs: error.retryAfterMs,
      },
    );
  }
  return said
    ? new ConnectorError(`Power BI refused ${what}: ${excerpt(said)}`, {
        httpStatus: error.httpStatus,
        isRetryable: error.retryable,
      })
    : describeTransportError(error, what);
}

const jsonHeaders = (body: unknown): Record<string, string> =>
  body === undefined ? {} : { "content-type": "application/json" };

type TRequest = {
  method?: string;
  body?: unknown;
  quotas?: { key: string; limit: number; windowMs: number; cost?: number }[];
};

/** The Power BI REST API of the connector's workspace, signed in through a cached token. */
function powerBiApi(connection: TPowerBi, context: TConnectorContext) {
  const base = joinUrl(
    connection.baseUrl,
    `v1.0/myorg/groups/${encodeURIComponent(connection.settings.workspaceId)}`,
  );
  const origin = new URL(connection.baseUrl).origin;
  const send = <T extends z.ZodType>(
    path: string,
    schema: T,
    what: string,
    request: TRequest = {},
  ) =>
    call(connection, context, async (token) => {
      const options = {
        method: request.method ?? "GET",
        headers: jsonHeaders(request.body),
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        credentials: { origin, headers: { authorization: `Bearer ${token.accessToken}` } },
        quotas: request.quotas,
        signal: context.signal,
      };
      try {
        return await context.http.requestJson(`${base}${path}`, schema, options);
      } catch (error) {
        throw toPowerBiError(error, what);
      }
    });
  /** A call whose success is an empty body (posting and deleting rows, starting a refresh). */
  const sendForStatus = (path: string, what: string, request: TRequest) =>
    call(connection, context, async (token) => {
      try {
        const answer = await context.http.requestText(`${base}${path}`, {
          method: request.method,
          headers: jsonHeaders(request.body),
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          credentials: { origin, headers: { authorization: `Bearer ${token.accessToken}` } },
          quotas: request.quotas,
          signal: context.signal,
        });
        return { status: answer.status, headers: answer.headers };
      } catch (error) {
        throw toPowerBiError(error, what);
      }
    });
  return { send, sendForStatus };
}

/** The workspace's datasets, and the one the setting names (by id when it is a GUID, else by name). */
async function findDataset(
  api: ReturnType<typeof powerBiApi>,
  dataset: string,
): Promise<{ all: TDataset[]; found: TDataset | null }> {
  const { body } = await api.send("/datasets", ZDatasets, "reading the workspace's datasets");
  const wanted = dataset.trim();
  const found = body.value.find((d) =>
    isGuid(wanted) ? d.id.toLowerCase() === wanted.toLowerCase() : d.name === wanted,
  );
  return { all: body.value, found: found ?? null };
}

/** Every difference between the dataset's table and ours, in words. */
export function schemaProblems(
  present: { name: string; dataType: string }[],
  columns: TPushColumn[],
): string[] {
  const problems: string[] = [];
  for (const column of columns) {
    const found = present.find((p) => p.name === column.name);
    if (!found) problems.push(`column "${column.name}" is not in the dataset's table`);
    else if (canonicalType(found.dataType) !== DATA_TYPES[column.type]) {
      problems.push(
        `column "${column.name}" is ${canonicalType(found.dataType)} in Power BI but ${DATA_TYPES[column.type]} (${column.type}) here`,
      );
    }
  }
  for (const p of present) {
    if (!columns.some((column) => column.name === p.name))
      problems.push(`the dataset's column "${p.name}" is not in the table`);
  }
  return problems;
}

type TPushState = { datasetId: string; table: string; dateColumns: number[] };

/** "2024-01-31" → "2024-01-31T00:00:00Z"; a timestamp without a zone is read as UTC. */
function toDateTime(value: unknown): unknown {
  if (typeof value !== "string") return value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00Z`;
  const iso = value.replace(" ", "T");
  return /[zZ]|[+-]\d{2}:?\d{2}$/.test(iso) ? iso : `${iso}Z`;
}

function refreshFailure(json: string | null | undefined): string {
  if (!json) return "Power BI gave no reason";
  try {
    const parsed = JSON.parse(json) as { errorCode?: unknown; errorDescription?: unknown };
    return (
      [parsed.errorCode, parsed.errorDescription]
        .filter((part) => typeof part === "string")
        .join(": ") || json
    );
  } catch {
    return json;
  }
}

export const powerBiConnector: ConnectorKindBase<TSettings, TSecrets> = {
  ...powerBiSchemas,

  async testConnection(connection, context) {
    const api = powerBiApi(connection, context);
    const wanted = connection.settings.dataset;
    const { all, found: dataset } = await findDataset(api, wanted);
    const count = `${all.length} dataset${all.length === 1 ? "" : "s"}`;
    if (!dataset) {
      return isGuid(wanted)
        ? `signed in; the workspace has ${count}, but none has the id ${wanted}`
        : `signed in; the workspace has ${count}; "${wanted}" does not exist yet: the first push creates it as a push dataset`;
    }
    if (dataset.addRowsAPIEnabled)
      return `signed in; the workspace has ${count}; "${dataset.name}" is a push dataset: rows can be pushed to it`;
    return `signed in; the workspace has ${count}; "${dataset.name}" is not a push dataset${dataset.isRefreshable ? " (an imported one): it can be refreshed, not pushed to" : ""}`;
  },

  openPushTarget(connection, context) {
    const api = powerBiApi(connection, context);
    const table = connection.settings.tableName;
    return {
      async prepare({ columns }): Promise<TPushPlan> {
        if (columns.length > POWER_BI_LIMITS.columnsPerTable) {
          throw new ConnectorError(
            `the table has ${columns.length} columns; a Power BI push dataset takes at most ${POWER_BI_LIMITS.columnsPerTable}: select fewer in the transform`,
          );
        }
        const notes: string[] = [];
        let dataset = (await findDataset(api, connection.settings.dataset)).found;
        if (!dataset) {
          if (isGuid(connection.settings.dataset)) {
            throw new ConnectorError(
              `the workspace has no dataset with the id ${connection.settings.dataset}`,
            );
          }
          const created = await api.send(
            "/datasets?defaultRetentionPolicy=None",
            ZDataset,
            `creating the dataset "${connection.settings.dataset}"`,
            {
              method: "POST",
              body: {
                name: connection.settings.dataset,
                defaultMode: "Push",
                tables: [
                  {
                    name: table,
                    columns: columns.map((c) => ({ name: c.name, dataType: DATA_TYPES[c.type] })),
                  },
                ],
              },
            },
          );
          dataset = created.body;
          notes.push(`push dataset "${dataset.name}" created with the table "${table}"`);
        } else {
          if (dataset.addRowsAPIEnabled === false) {
            throw new ConnectorError(
              `"${dataset.name}" is not a push dataset${dataset.isRefreshable ? " (it is imported: refresh it instead)" : ""}; rows can only be pushed to a push dataset`,
            );
          }
          const tables = await api.send(
            `/datasets/${encodeURIComponent(dataset.id)}/tables`,
            ZTables,
            `reading the tables of "${dataset.name}"`,
          );
          const found = tables.body.value.find((t) => t.name === table);
          if (!found) {
            throw new ConnectorError(
              `the dataset "${dataset.name}" has no table "${table}" (its tables: ${tables.body.value.map((t) => t.name).join(", ") || "none"})`,
            );
          }
          if (found.columns) {
            const problems = schemaProblems(found.columns, columns);
            if (problems.length > 0) {
              throw new ConnectorError(
                `the table "${table}" of "${dataset.name}" does not match: ${problems.join("; ")}. Nothing was sent.`,
              );
            }
          } else {
            notes.push(
              "Power BI did not list the table's columns: it checks each row as it arrives",
            );
          }
        }
        const state: TPushState = {
          datasetId: dataset.id,
          table,
          dateColumns: columns.flatMap((c, i) =>
            c.type === "date" || c.type === "timestamp" ? [i] : [],
          ),
        };
        return {
          maxRowsPerBatch: POWER_BI_LIMITS.rowsPerPost,
          // Power BI names no byte limit; 16 MB keeps a request well within any proxy's
          maxBytesPerBatch: 16 * 1024 * 1024,
          isBatchIdempotent: false,
          state: { ...state, columns: columns.map((c) => c.name) },
          notes,
        };
      },

      async clear(plan) {
        const state = plan.state as TPushState;
        await api.sendForStatus(
          `/datasets/${encodeURIComponent(state.datasetId)}/tables/${encodeURIComponent(state.table)}/rows`,
          `deleting the rows of "${state.table}"`,
          { method: "DELETE" },
        );
      },

      async sendBatch(plan, batch) {
        const state = plan.state as TPushState & { columns: string[] };
        const dates = new Set(state.dateColumns);
        const rows = batch.rows.map((row) =>
          Object.fromEntries(
            state.columns.map((name, i) => [name, dates.has(i) ? toDateTime(row[i]) : row[i]]),
          ),
        );
        await api.sendForStatus(
          `/datasets/${encodeURIComponent(state.datasetId)}/tables/${encodeURIComponent(state.table)}/rows`,
          `rows ${batch.firstRow + 1} to ${batch.firstRow + rows.length}`,
          {
            method: "POST",
            body: { rows },
            quotas: [
              {
                key: `powerbi:posts:${state.datasetId}`,
                limit: POWER_BI_LIMITS.postsPerMinute,
                windowMs: serviceWindow(60_000),
              },
              {
                key: `powerbi:rows:${state.datasetId}`,
                limit: POWER_BI_LIMITS.rowsPerHour,
                windowMs: serviceWindow(3_600_000),
                cost: rows.length,
              },
            ],
          },
        );
      },
    };
  },

  async refresh(connection, context) {
    const api = powerBiApi(connection, context);
    const dataset = (await findDataset(api, connection.settings.dataset)).found;
    if (!dataset)
      throw new ConnectorError(`the workspace has no dataset "${connection.settings.dataset}"`);
    if (dataset.isRefreshable === false) {
      throw new ConnectorError(
        `"${dataset.name}" cannot be refreshed${dataset.addRowsAPIEnabled ? ": it is a push dataset, which holds the rows pushed to it" : ""}`,
      );
    }
    const startedAt = Date.now();
    const path = `/datasets/${encodeURIComponent(dataset.id)}/refreshes`;
    const started = await api.sendForStatus(path, `the refresh of "${dataset.name}"`, {
      method: "POST",
      body: { notifyOption: "NoNotification" },
    });
    const requestId = started.headers["x-ms-request-id"] ?? null;
    context.onProgress?.(`refresh of "${dataset.name}" requested`);
    for (let poll = 0; ; poll++) {
      // a refresh takes from seconds to hours: ask often at first, then every 30 s
      await systemClock.sleep(Math.min(30_000, 1_000 * 2 ** Math.min(poll, 5)), context.signal);
      const { body } = await api.send(
        `${path}?$top=10`,
        ZRefreshes,
        `the refresh history of "${dataset.name}"`,
      );
      const ours =
        body.value.find((entry) => requestId && entry.requestId === requestId) ??
        body.value.find(
          (entry) => entry.startTime && Date.parse(entry.startTime) >= startedAt - 60_000,
        );
      if (!ours) continue;
      if (ours.status === "Completed") return `"${dataset.name}" refreshed`;
      if (ours.status === "Failed" || ours.status === "Cancelled" || ours.status === "Disabled") {
        throw new ConnectorError(
          `the refresh of "${dataset.name}" ${ours.status.toLowerCase()}: ${refreshFailure(ours.serviceExceptionJson)}`,
        );
      }
      context.onProgress?.(
        `refresh of "${dataset.name}" running (${Math.round((Date.now() - startedAt) / 1000)} s)`,
      );
    }
  },
};
