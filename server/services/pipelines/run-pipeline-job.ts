import "server-only";
import { db } from "@/server/db";
import { publishJobChange, subscribeJobChanges } from "@/server/jobs/progress";
import { drainSignal, trackRunningJob } from "@/server/jobs/running-jobs";
import { logger } from "@/server/logger";
import { startDeliveries } from "../deliveries/start-deliveries";
import { startPush, startRefresh } from "../destinations/start-push";
import { markJobFinished } from "../jobs/finish-job";
import { ITEM_LEASE_MS, ITEM_LEASE_RENEW_MS, pauseUntil } from "../jobs/job-kind";
import { FINAL_JOB_STATES } from "../jobs/job-progress";
import { RUNNABLE_JOB_STATES, forgetPauses } from "../jobs/pause-job";
import { startReportRun } from "../reports/start-report-run";
import { startExport } from "../tables/start-export";
import type { TPipelineRunOptions } from "./pipelines";

export const PIPELINE_QUEUE = "pipeline.run";

/** The longest a stage is left without a look, should a change never be heard of (another process). */
const CHECK_EVERY_MS = 5_000;

/**
 * The worker side of a pipeline run: starts each stage as a job of its own (a report run, then a
 * push or a refresh) and follows it to its end. The stages' job ids are kept as they start, so a
 * run taken up again after a restart follows the same jobs instead of starting them twice.
 */
export async function runPipelineJob(jobId: string, queueSignal: AbortSignal): Promise<void> {
  const job = await db.job.findUnique({ where: { id: jobId } });
  if (!job || !RUNNABLE_JOB_STATES.includes(job.status)) {
    forgetPauses(jobId);
    return;
  }
  const running = trackRunningJob(jobId, queueSignal);
  const heartbeat = setInterval(() => {
    void db.job
      .updateMany({
        where: { id: jobId, status: "running" },
        data: { leaseUntil: new Date(Date.now() + ITEM_LEASE_MS) },
      })
      .catch(() => undefined);
  }, ITEM_LEASE_RENEW_MS);
  try {
    const { count } = await db.job.updateMany({
      where: { id: jobId, status: { in: RUNNABLE_JOB_STATES } },
      data: {
        status: "running",
        startedAt: job.startedAt ?? new Date(),
        leaseUntil: new Date(Date.now() + ITEM_LEASE_MS),
      },
    });
    if (count === 0) return;
    publishJobChange({ jobId, productIds: [], isStatusChange: true });
    const signal = AbortSignal.any([running.signal, drainSignal()]);
    const options = JSON.parse(job.options) as TPipelineRunOptions;
    const outcome = await runStages(jobId, job.createdById, job.scheduleId, options, signal);
    if (outcome === null) {
      // cancelled: the stage still going is cancelled with it
      if (running.signal.aborted) await cancelActiveStage(jobId);
      return;
    }
    await markJobFinished(jobId, outcome);
    forgetPauses(jobId);
  } catch (error) {
    logger.error({ jobId, err: error }, "the pipeline run stopped");
    await db.job
      .updateMany({
        where: { id: jobId, status: "running" },
        data: { status: "failed", finishedAt: new Date(), leaseUntil: null },
      })
      .catch(() => undefined);
  } finally {
    clearInterval(heartbeat);
    running.done();
  }
}

async function saveOptions(jobId: string, options: TPipelineRunOptions): Promise<void> {
  await db.job.update({ where: { id: jobId }, data: { options: JSON.stringify(options) } });
  publishJobChange({ jobId, productIds: [] });
}

/** The run's outcome once its stages ended, or null when it was stopped first. */
async function runStages(
  jobId: string,
  createdById: string,
  scheduleId: string | null,
  options: TPipelineRunOptions,
  signal: AbortSignal,
): Promise<"completed" | "failed" | null> {
  if (options.reportId) {
    if (!options.reportJobId) {
      const { jobId: reportJobId } = await startReportRun({
        reportIds: [options.reportId],
        createdById,
        scheduleId: scheduleId ?? undefined,
        title: `${options.pipelineName}: report`,
      }).catch((error: unknown) => {
        options.startError = `the report run could not start: ${(error as Error).message}`;
        return { jobId: null };
      });
      if (!reportJobId) {
        await saveOptions(jobId, options);
        return "failed";
      }
      options.reportJobId = reportJobId;
      await saveOptions(jobId, options);
    }
    const status = await stageEnd(options.reportJobId, signal);
    if (status === null) return null;
    if (status !== "completed") return "failed";
  }
  if (!options.deliveryJobId) {
    const rows = options.transformId
      ? { transformId: options.transformId }
      : { tableId: options.tableId ?? "" };
    const started = await (
      options.action === "deliver"
        ? startExport({
            ...rows,
            deliverTo: [options.connectorId],
            createdById,
            scheduleId: scheduleId ?? undefined,
          })
        : options.action === "refresh"
          ? startRefresh({
              connectorId: options.connectorId,
              createdById,
              scheduleId: scheduleId ?? undefined,
            })
          : startPush({
              connectorId: options.connectorId,
              mode: options.mode,
              ...rows,
              createdById,
              scheduleId: scheduleId ?? undefined,
              pipelineRunJobId: jobId,
            })
    ).catch((error: unknown) => {
      options.startError = `the ${options.action} could not start: ${(error as Error).message}`;
      return null;
    });
    if (!started) {
      await saveOptions(jobId, options);
      return "failed";
    }
    options.deliveryJobId = started.jobId;
    await saveOptions(jobId, options);
  }
  const status = await stageEnd(options.deliveryJobId, signal);
  if (status === null) return null;
  if (status !== "completed") return "failed";
  if (options.action !== "deliver") return "completed";
  return deliverExportedFiles(jobId, options, options.deliveryJobId, signal);
}

/** A deliver pipeline's last stage: the delivery of its export's files, followed to its end. */
async function deliverExportedFiles(
  jobId: string,
  options: TPipelineRunOptions,
  exportJobId: string,
  signal: AbortSignal,
): Promise<"completed" | "failed" | null> {
  if (!options.fileDeliveryJobId) {
    // the export's end starts it; this starts it too when a stop came between the two
    await startDeliveries(exportJobId);
    const step = await db.delivery.findFirst({
      where: { sourceJobId: exportJobId },
      orderBy: { sourceFinishedAt: "desc" },
    });
    if (!step) {
      options.startError = "the export wrote no file, so nothing was delivered";
      await saveOptions(jobId, options);
      return "failed";
    }
    options.fileDeliveryJobId = step.jobId;
    await saveOptions(jobId, options);
  }
  const status = await stageEnd(options.fileDeliveryJobId, signal);
  if (status === null) return null;
  return status === "completed" ? "completed" : "failed";
}

/** The final status of a stage's job once it has one (a deleted job counts as failed), or null when stopped. */
async function stageEnd(stageJobId: string, signal: AbortSignal): Promise<string | null> {
  for (;;) {
    if (signal.aborted) return null;
    const stage = await db.job.findUnique({ where: { id: stageJobId }, select: { status: true } });
    if (!stage) return "failed";
    if (FINAL_JOB_STATES.has(stage.status)) return stage.status;
    const pause = pauseUntil(CHECK_EVERY_MS, signal);
    const stopListening = subscribeJobChanges(stageJobId, (change) => {
      if (change.isStatusChange) pause.wake();
    });
    try {
      await pause.done;
    } finally {
      stopListening();
    }
  }
}

async function cancelActiveStage(jobId: string): Promise<void> {
  const job = await db.job.findUnique({ where: { id: jobId } });
  if (!job || job.status !== "cancelled") return;
  const options = JSON.parse(job.options) as TPipelineRunOptions;
  const { cancelJob } = await import("../jobs/job-actions");
  for (const stageId of [options.fileDeliveryJobId, options.deliveryJobId, options.reportJobId]) {
    if (!stageId) continue;
    await cancelJob(stageId).catch(() => undefined);
  }
}
