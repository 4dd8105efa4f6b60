import "server-only";
import { db } from "@/server/db";
import { describeJob } from "../jobs/job-progress";
import type { TPipelineRunOptions } from "./pipelines";

export type TPipelineStage = {
  label: string;
  /** the stage's own job, once it started */
  jobId: string | null;
  status: string;
  /** the stage's problem in plain words (its failed items', or why it could not start) */
  error: string | null;
};

export type TPipelineProgress = {
  job: ReturnType<typeof describeJob> & {
    kind: "pipeline";
    scheduleId: string | null;
    pipelineId: string;
  };
  stages: TPipelineStage[];
};

async function stageError(jobId: string, status: string): Promise<string | null> {
  if (status !== "failed" && status !== "completed_with_errors") return null;
  const push = await db.push.findUnique({ where: { jobId }, select: { error: true } });
  if (push?.error) return push.error;
  const delivery = await db.delivery.findFirst({
    where: { jobId, state: "failed" },
    select: { connectorName: true, error: true },
  });
  if (delivery?.error) return `${delivery.connectorName}: ${delivery.error}`;
  const output = await db.exportOutput.findFirst({
    where: { jobId, state: "failed" },
    select: { error: true },
  });
  if (output?.error) return output.error;
  const item = await db.reportRunItem.findFirst({
    where: { jobId, state: "failed" },
    select: { error: true },
  });
  return item?.error ?? null;
}

/** A run's stages in order: each with its job's status, waiting ones as "waiting". */
export async function getPipelineProgress(jobId: string): Promise<TPipelineProgress | null> {
  const job = await db.job.findUnique({ where: { id: jobId } });
  if (!job || job.kind !== "pipeline") return null;
  const options = JSON.parse(job.options) as TPipelineRunOptions;
  const plan: { label: string; jobId: string | undefined }[] = [
    ...(options.reportId ? [{ label: "Run the report", jobId: options.reportJobId }] : []),
    {
      label:
        options.action === "refresh"
          ? "Refresh the destination"
          : options.action === "deliver"
            ? "Export the rows to files"
            : `Push the rows (${options.mode})`,
      jobId: options.deliveryJobId,
    },
    ...(options.action === "deliver"
      ? [{ label: "Deliver the files", jobId: options.fileDeliveryJobId }]
      : []),
  ];
  const stages: TPipelineStage[] = [];
  let isStartErrorShown = false;
  for (const step of plan) {
    const stageJob = step.jobId
      ? await db.job.findUnique({ where: { id: step.jobId }, select: { status: true } })
      : null;
    const status = step.jobId ? (stageJob?.status ?? "deleted") : "waiting";
    let error = step.jobId ? await stageError(step.jobId, status) : null;
    if (!step.jobId && options.startError && !isStartErrorShown && job.status === "failed") {
      error = options.startError;
      isStartErrorShown = true;
    }
    stages.push({
      label: step.label,
      jobId: step.jobId ?? null,
      status: error && !step.jobId ? "failed" : status,
      error,
    });
  }
  return {
    job: {
      ...describeJob(job),
      kind: "pipeline",
      scheduleId: job.scheduleId,
      pipelineId: options.pipelineId,
    },
    stages,
  };
}
