import "server-only";
import { z } from "@/server/forms/zod";
import { connectorKind } from "@/server/connectors";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { ZSteps, type TStep } from "@/server/tables/steps";
import { enqueueJob } from "../jobs/enqueue-job";
import { jobTitleFields } from "../jobs/job-title";
import { addBlobReferences } from "../storage/blob-references";
import type { TTableSnapshot } from "../tables/tables";
import { getTransform, snapshotTables } from "../tables/transforms";

export const PUSH_MODES = ["replace", "append"] as const;

export const ZStartPushInput = z
  .object({
    /** the destination: a connector whose kind takes rows */
    connectorId: z.string().min(1, "Choose a destination."),
    mode: z.enum(PUSH_MODES).default("replace"),
    /** a saved transform: its table and steps */
    transformId: z.string().min(1).optional(),
    /** or a table and steps given here (steps default to none: the table as it is) */
    tableId: z.string().min(1).optional(),
    steps: ZSteps.optional(),
  })
  .refine((input) => input.transformId || input.tableId, {
    message: "Name the transform to push, or a table.",
  });
export type TStartPushInput = z.input<typeof ZStartPushInput>;

/** What a push reads, fixed when it starts: a later edit of the transform changes nothing. */
export type TPushOptions = {
  transformId: string | null;
  transformName: string | null;
  tables: TTableSnapshot[];
  steps: TStep[];
  /** the pipeline run this push is a stage of */
  pipelineRunJobId?: string;
};

async function destinationOf(connectorId: string, wants: "rows" | "refresh") {
  const connector = await db.connector.findUnique({ where: { id: connectorId } });
  if (!connector)
    throw new AppError("NOT_FOUND", "This destination does not exist (it may have been deleted).");
  const kind = connectorKind(connector.kind);
  if (wants === "rows" && !kind.destination?.takesRows) {
    throw new AppError(
      "BAD_REQUEST",
      kind.destination?.canRefresh
        ? `${kind.label} takes no rows: it can only be refreshed. ${kind.destination.note}`
        : `${connector.name} is a ${kind.label} connector, which reports read from; it takes no rows.`,
    );
  }
  if (wants === "refresh" && !kind.destination?.canRefresh) {
    throw new AppError("BAD_REQUEST", `${connector.name} (${kind.label}) has nothing to refresh.`);
  }
  return { connector, kind };
}

/**
 * Creates a push (a job of kind push, with its Push row) and queues it. What it sends is fixed now:
 * the stored files of its tables (kept while the job exists) and the steps as saved.
 */
export async function startPush(
  input: TStartPushInput & { createdById: string; scheduleId?: string; pipelineRunJobId?: string },
): Promise<{ jobId: string }> {
  const parsed = ZStartPushInput.parse(input);
  const { connector, kind } = await destinationOf(parsed.connectorId, "rows");
  const transform = parsed.transformId ? await getTransform(parsed.transformId) : null;
  const tableId = transform?.tableId ?? parsed.tableId!;
  const steps = parsed.steps ?? transform?.steps ?? [];
  const tables = await snapshotTables(tableId, steps);
  const title = `${transform?.name ?? tables[0]!.name} → ${connector.name}`;
  const options: TPushOptions = {
    transformId: transform?.id ?? null,
    transformName: transform?.name ?? null,
    tables,
    steps,
    ...(input.pipelineRunJobId ? { pipelineRunJobId: input.pipelineRunJobId } : {}),
  };
  const job = await db.job.create({
    data: {
      kind: "push",
      ...jobTitleFields(title),
      totalItems: 1,
      options: JSON.stringify(options),
      createdById: input.createdById,
      scheduleId: input.scheduleId ?? null,
      push: {
        create: {
          connectorId: connector.id,
          connectorName: connector.name,
          connectorKind: kind.kind,
          action: "push",
          mode: parsed.mode,
        },
      },
    },
  });
  await addBlobReferences(tables.map((table) => ({ jobId: job.id, sha256: table.sha256 })));
  await enqueueJob(job);
  return { jobId: job.id };
}

/** Creates a refresh of a destination (a Power BI import dataset, Looker's caches) and queues it. */
export async function startRefresh(input: {
  connectorId: string;
  createdById: string;
  scheduleId?: string;
}): Promise<{ jobId: string }> {
  const { connector, kind } = await destinationOf(input.connectorId, "refresh");
  const job = await db.job.create({
    data: {
      kind: "refresh",
      ...jobTitleFields(`Refresh ${connector.name}`),
      totalItems: 1,
      options: "{}",
      createdById: input.createdById,
      scheduleId: input.scheduleId ?? null,
      push: {
        create: {
          connectorId: connector.id,
          connectorName: connector.name,
          connectorKind: kind.kind,
          action: "refresh",
        },
      },
    },
  });
  await enqueueJob(job);
  return { jobId: job.id };
}
