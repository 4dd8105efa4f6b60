import "server-only";
import { getRuntime } from "@/server/runtime";
import { jobKind } from "./job-kinds";

/** Hands a job to the worker of its kind; a job already waiting is not queued twice. */
export async function enqueueJob(job: { id: string; kind: string }): Promise<void> {
  await getRuntime().queue.enqueue(jobKind(job.kind).queue, { jobId: job.id }, { key: job.id });
}
