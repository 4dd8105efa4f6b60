import "server-only";
import { z } from "zod";
import {
  ConnectorError,
  sourceKind,
  type TBrowsePage,
  type TConnectorContext,
  type TReportParameter,
} from "@/server/connectors";
import { AppError } from "@/server/errors";
import { logger } from "@/server/logger";
import { getRuntime } from "@/server/runtime";
import { loadConnection } from "../connectors/connectors";

/** The most items one listing shows: the rest is found by refining the search. */
export const BROWSE_LIMIT = 25;
export const PICKER_TIMEOUT_MS = 30_000;

export const ZBrowseInput = z.object({
  connectorId: z.uuid(),
  search: z.string().max(200, "Search for at most 200 characters."),
  parent: z.string().max(100).nullable().default(null),
});

export const ZParametersInput = z.object({
  connectorId: z.uuid(),
  query: z.record(z.string(), z.unknown()),
});

/** What a connector can list, shown as the first `limit` of `total`. */
export type TBrowseResult = TBrowsePage & { limit: number };

/** The connector, its kind and a context for one picker call (its own time limit). */
export async function pickerContext(connectorId: string, signal?: AbortSignal) {
  const connection = await loadConnection(connectorId);
  const runtime = getRuntime();
  const timeout = AbortSignal.timeout(PICKER_TIMEOUT_MS);
  const context: TConnectorContext = {
    // a picker waits for a person: one try, no backoff
    http: runtime.connectorHttp.withOptions({ retry: "never" }),
    sessions: runtime.connectorSessions,
    tempDir: runtime.scratchDir,
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  };
  return { connection, kind: sourceKind(connection.kind), context };
}

/** A connector's failure as the sentence the form shows; anything else is logged and summed up. */
export function pickerError(error: unknown, doing: string): Error {
  if (error instanceof AppError) return error;
  if (error instanceof ConnectorError)
    return new AppError("BAD_REQUEST", `${doing}: ${error.message}`);
  logger.error({ err: error }, `${doing} failed unexpectedly`);
  return new AppError("INTERNAL", `${doing} failed unexpectedly; the server log has the details.`);
}

/** One page of what the connector can reach, by name; a kind without a listing has none. */
export async function browseConnector(
  input: z.output<typeof ZBrowseInput>,
  signal?: AbortSignal,
): Promise<TBrowseResult> {
  const { connection, kind, context } = await pickerContext(input.connectorId, signal);
  if (!kind.browse) {
    throw new AppError("BAD_REQUEST", `A ${kind.label} connector has nothing to list.`);
  }
  try {
    const page = await kind.browse(
      connection,
      { search: input.search, parent: input.parent, limit: BROWSE_LIMIT },
      context,
    );
    return { ...page, items: page.items.slice(0, BROWSE_LIMIT), limit: BROWSE_LIMIT };
  } catch (error) {
    throw pickerError(error, `Listing ${connection.name} failed`);
  }
}

/** The parameters the report a query names takes; none for a kind that cannot tell. */
export async function describeReportParameters(
  input: z.output<typeof ZParametersInput>,
  signal?: AbortSignal,
): Promise<TReportParameter[]> {
  const { connection, kind, context } = await pickerContext(input.connectorId, signal);
  if (!kind.describeParameters) return [];
  const query = kind.querySchema.safeParse(input.query);
  if (!query.success) {
    throw new AppError(
      "BAD_REQUEST",
      `Choose what to fetch first (${query.error.issues[0]?.message ?? "the query is incomplete"}).`,
    );
  }
  try {
    return await kind.describeParameters(connection, query.data, context);
  } catch (error) {
    throw pickerError(error, "Reading the parameters failed");
  }
}
