import "server-only";
import { db } from "@/server/db";
import type { TJobKind } from "../jobs/job-kind";
import { FINAL_JOB_STATES } from "../jobs/job-progress";
import { getPipelineProgress } from "./pipeline-progress";
import type { TPipelineRunOptions } from "./pipelines";
import { PIPELINE_QUEUE, runPipelineJob } from "./run-pipeline-job";

/** A pipeline run: its items are its stages, each a job of its own that keeps its own items. */
export const pipelineKind: TJobKind = {
  name: "pipeline",
  queue: PIPELINE_QUEUE,
  // a run mostly waits for its stages' jobs: many at a time cost little
  concurrency: 8,
  run: runPipelineJob,
  readProgress: (jobId) => getPipelineProgress(jobId),
  // the stages' jobs hold what there is to hold; the run itself is taken up again as a whole
  releaseAbandonedItems: async () => 0,
  async countEndedItems(jobIds) {
    const runs = await db.job.findMany({
      where: { id: { in: jobIds } },
      select: { id: true, options: true },
    });
    const stageIds = runs.flatMap((run) => {
      const options = JSON.parse(run.options) as TPipelineRunOptions;
      return [options.reportJobId, options.deliveryJobId].filter((id): id is string => Boolean(id));
    });
    const stages = await db.job.findMany({
      where: { id: { in: stageIds } },
      select: { id: true, status: true },
    });
    return runs.map((run) => {
      const options = JSON.parse(run.options) as TPipelineRunOptions;
      const statuses = [options.reportJobId, options.deliveryJobId]
        .map((id) => stages.find((stage) => stage.id === id)?.status)
        .filter((status): status is string => status !== undefined);
      return {
        jobId: run.id,
        done: statuses.filter((status) => FINAL_JOB_STATES.has(status)).length,
        failed: statuses.filter(
          (status) => status === "failed" || status === "completed_with_errors",
        ).length,
        cancelled: statuses.filter((status) => status === "cancelled").length,
      };
    });
  },
  // the run's worker cancels the stage it follows (run-pipeline-job.ts): nothing to mark here
  cancelItems: (jobId) => db.job.updateMany({ where: { id: jobId, kind: "none" }, data: {} }),
  retry: {
    refusalWhile: (status) =>
      ["queued", "running"].includes(status)
        ? "Wait for the pipeline run to finish (or cancel it)."
        : null,
    count: async () => 0,
    explainNothing: async () =>
      "A pipeline run is not retried as a whole: retry its failed stage on that stage's page, or run the pipeline again.",
    putBack: (jobId) => db.job.updateMany({ where: { id: jobId, kind: "none" }, data: {} }),
  },
};
