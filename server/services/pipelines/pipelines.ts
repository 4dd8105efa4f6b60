import "server-only";
import { z } from "@/server/forms/zod";
import { connectorKind } from "@/server/connectors";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { enqueueJob } from "../jobs/enqueue-job";
import { jobTitleFields } from "../jobs/job-title";
import { parseAlertRules, ZAlertRules, type TAlertRules } from "@/server/alerts/alert-rules";
import { checkAlertRules } from "../alerts/alerts";

export const PIPELINE_ACTIONS = ["push", "refresh", "deliver"] as const;
export type TPipelineAction = (typeof PIPELINE_ACTIONS)[number];

export const ZPipelineInput = z
  .object({
    id: z.string().optional(),
    name: z.string().trim().min(1, "Give the pipeline a name.").max(150),
    /** a report run first, so what follows reads its fresh rows */
    reportId: z.string().min(1).nullish(),
    transformId: z.string().min(1).nullish(),
    tableId: z.string().min(1).nullish(),
    connectorId: z.string().min(1, "Choose a destination."),
    /** push the rows, refresh the destination, or export the rows and deliver the files there */
    action: z.enum(PIPELINE_ACTIONS).default("push"),
    mode: z.enum(["replace", "append"]).default("replace"),
    /** whom to tell about its runs, by hand or scheduled */
    alertRules: ZAlertRules.default(ZAlertRules.parse({})),
  })
  .refine((input) => input.action === "refresh" || input.transformId || input.tableId, {
    message:
      "A pipeline that pushes or delivers rows needs a transform or a table to take them from.",
    path: ["transformId"],
  });
export type TPipelineInput = z.input<typeof ZPipelineInput>;

export type TPipelineView = {
  id: string;
  name: string;
  reportId: string | null;
  reportName: string | null;
  transformId: string | null;
  transformName: string | null;
  tableId: string | null;
  tableName: string | null;
  connectorId: string;
  connectorName: string | null;
  action: TPipelineAction;
  mode: "replace" | "append";
  alertRules: TAlertRules;
  /** "Report Sales → transform North → push to Team sheet (replace)" */
  stages: string[];
  lastRun: { jobId: string; status: string; createdAt: Date } | null;
  updatedAt: Date;
};

export async function listPipelines(): Promise<TPipelineView[]> {
  const pipelines = await db.pipeline.findMany({ orderBy: { name: "asc" } });
  const [reports, transforms, tables, connectors, lastRuns] = await Promise.all([
    db.report.findMany({ select: { id: true, name: true } }),
    db.transform.findMany({ select: { id: true, name: true } }),
    db.dataTable.findMany({ select: { id: true, name: true } }),
    db.connector.findMany({ select: { id: true, name: true } }),
    // each pipeline's newest run, however many runs other pipelines had since
    Promise.all(
      pipelines.map((pipeline) =>
        db.job.findFirst({
          where: { kind: "pipeline", options: { contains: `"pipelineId":"${pipeline.id}"` } },
          orderBy: { createdAt: "desc" },
          select: { id: true, status: true, createdAt: true },
        }),
      ),
    ),
  ]);
  const nameOf = (list: { id: string; name: string }[], id: string | null) =>
    id ? (list.find((row) => row.id === id)?.name ?? null) : null;
  return pipelines.map((pipeline, index) => {
    const reportName = nameOf(reports, pipeline.reportId);
    const transformName = nameOf(transforms, pipeline.transformId);
    const tableName = nameOf(tables, pipeline.tableId);
    const connectorName = nameOf(connectors, pipeline.connectorId);
    const rowsName = transformName
      ? `the transform ${transformName}`
      : `the table ${tableName ?? "(deleted)"}`;
    const last = lastRuns[index];
    return {
      id: pipeline.id,
      name: pipeline.name,
      reportId: pipeline.reportId,
      reportName,
      transformId: pipeline.transformId,
      transformName,
      tableId: pipeline.tableId,
      tableName,
      connectorId: pipeline.connectorId,
      connectorName,
      action: pipeline.action as TPipelineAction,
      mode: pipeline.mode as "replace" | "append",
      alertRules: parseAlertRules(pipeline.alertRules),
      stages: [
        pipeline.reportId ? `run the report ${reportName ?? "(deleted)"}` : null,
        pipeline.action === "refresh"
          ? `refresh ${connectorName ?? "(deleted)"}`
          : pipeline.action === "deliver"
            ? `export ${rowsName} and deliver the files to ${connectorName ?? "(deleted)"}`
            : `push ${rowsName} to ${connectorName ?? "(deleted)"} (${pipeline.mode})`,
      ].filter((stage): stage is string => stage !== null),
      lastRun: last ? { jobId: last.id, status: last.status, createdAt: last.createdAt } : null,
      updatedAt: pipeline.updatedAt,
    };
  });
}

export async function savePipeline(
  raw: TPipelineInput & { createdById: string },
): Promise<{ id: string }> {
  const input = ZPipelineInput.parse(raw);
  const connector = await db.connector.findUnique({ where: { id: input.connectorId } });
  if (!connector)
    throw new AppError("BAD_REQUEST", "The destination does not exist (it may have been deleted).");
  const role = connectorKind(connector.kind).destination;
  if (input.action === "push" && !role?.takesRows) {
    throw new AppError(
      "BAD_REQUEST",
      `${connector.name} takes no rows${role?.canRefresh ? ": choose Refresh instead" : ""}.`,
    );
  }
  if (input.action === "refresh" && !role?.canRefresh) {
    throw new AppError("BAD_REQUEST", `${connector.name} has nothing to refresh.`);
  }
  if (input.action === "deliver" && !role?.takesFiles) {
    throw new AppError("BAD_REQUEST", `${connector.name} takes no files.`);
  }
  if (input.reportId && !(await db.report.findUnique({ where: { id: input.reportId } }))) {
    throw new AppError("BAD_REQUEST", "The report does not exist (it may have been deleted).");
  }
  if (input.transformId && !(await db.transform.findUnique({ where: { id: input.transformId } }))) {
    throw new AppError("BAD_REQUEST", "The transform does not exist (it may have been deleted).");
  }
  if (
    !input.transformId &&
    input.tableId &&
    !(await db.dataTable.findUnique({ where: { id: input.tableId } }))
  ) {
    throw new AppError("BAD_REQUEST", "The table does not exist (it may have been deleted).");
  }
  const data = {
    name: input.name,
    reportId: input.reportId ?? null,
    transformId: input.action !== "refresh" ? (input.transformId ?? null) : null,
    tableId: input.action !== "refresh" && !input.transformId ? (input.tableId ?? null) : null,
    connectorId: input.connectorId,
    action: input.action,
    mode: input.mode,
    alertRules: JSON.stringify(await checkAlertRules(input.alertRules)),
  };
  try {
    const saved = input.id
      ? await db.pipeline.update({ where: { id: input.id }, data })
      : await db.pipeline.create({ data: { ...data, createdById: raw.createdById } });
    return { id: saved.id };
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") {
      throw new AppError("CONFLICT", `A pipeline named "${input.name}" exists already.`);
    }
    if ((error as { code?: string }).code === "P2025")
      throw new AppError("NOT_FOUND", "This pipeline does not exist.");
    throw error;
  }
}

export async function deletePipeline(id: string): Promise<void> {
  await db.pipeline.deleteMany({ where: { id } });
}

/** What a pipeline run is, fixed when it starts, and the jobs of its stages as they start. */
export type TPipelineRunOptions = {
  pipelineId: string;
  pipelineName: string;
  reportId: string | null;
  transformId: string | null;
  tableId: string | null;
  connectorId: string;
  action: TPipelineAction;
  mode: "replace" | "append";
  reportJobId?: string;
  deliveryJobId?: string;
  /** a deliver pipeline: the delivery of its export's files, once the export ended */
  fileDeliveryJobId?: string;
  /** file destinations the report stage's files go to once the run ends */
  deliverTo?: string[];
  /** why a stage could not start, in plain words */
  startError?: string;
};

/** Starts a run of the pipeline: a job of kind pipeline, whose worker starts and follows each stage. */
export async function startPipelineRun(args: {
  pipelineId: string;
  createdById: string;
  scheduleId?: string;
  deliverTo?: string[];
}): Promise<{ jobId: string }> {
  const pipeline = await db.pipeline.findUnique({ where: { id: args.pipelineId } });
  if (!pipeline)
    throw new AppError("NOT_FOUND", "This pipeline does not exist (it may have been deleted).");
  const options: TPipelineRunOptions = {
    pipelineId: pipeline.id,
    pipelineName: pipeline.name,
    reportId: pipeline.reportId,
    transformId: pipeline.transformId,
    tableId: pipeline.tableId,
    connectorId: pipeline.connectorId,
    action: pipeline.action as TPipelineAction,
    mode: pipeline.mode as "replace" | "append",
    ...(args.deliverTo?.length ? { deliverTo: args.deliverTo } : {}),
  };
  const job = await db.job.create({
    data: {
      kind: "pipeline",
      ...jobTitleFields(pipeline.name),
      totalItems: (pipeline.reportId ? 1 : 0) + (pipeline.action === "deliver" ? 2 : 1),
      options: JSON.stringify(options),
      createdById: args.createdById,
      scheduleId: args.scheduleId ?? null,
    },
  });
  await enqueueJob(job);
  return { jobId: job.id };
}
