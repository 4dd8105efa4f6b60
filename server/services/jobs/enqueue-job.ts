import "server-only";
import { getRuntime } from "@/server/runtime";
import { IMAGE_BATCH_QUEUE } from "../batches/run-batch-job";
import { REPORT_RUN_QUEUE } from "../reports/run-report-job";

/** Which queue carries each kind of job. */
const QUEUE_BY_KIND: Record<string, string> = {
  image_batch: IMAGE_BATCH_QUEUE,
  report_run: REPORT_RUN_QUEUE,
};

/** Hands a job to the worker of its kind; a job already waiting is not queued twice. */
export async function enqueueJob(job: { id: string; kind: string }): Promise<void> {
  const name = QUEUE_BY_KIND[job.kind];
  if (!name) throw new Error(`no queue carries jobs of kind "${job.kind}"`);
  await getRuntime().queue.enqueue(name, { jobId: job.id }, { key: job.id });
}
