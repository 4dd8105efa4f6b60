import "server-only";
import { AppError } from "@/server/errors";
import { openJobFeedStream } from "@/server/jobs/job-feed";
import { jobKind } from "./job-kinds";
import { FINAL_JOB_STATES, getJobKind } from "./job-progress";

/**
 * Server-sent events for one job: the whole current state first, then only what changed, at most a
 * few times a second, and `end` once the job has finished. A reconnecting browser gets the whole
 * state again, so it never misses a change.
 */
export async function streamJobEvents(args: {
  jobId: string;
  signal: AbortSignal;
}): Promise<Response> {
  const kind = await getJobKind(args.jobId);
  if (!kind) throw new AppError("NOT_FOUND", "This job does not exist (it may have been deleted).");
  const { readProgress } = jobKind(kind);
  const read = (changed: string[] | undefined) => readProgress(args.jobId, changed);
  const isFinal = (progress: unknown) =>
    FINAL_JOB_STATES.has((progress as { job: { status: string } }).job.status);
  return new Response(openJobFeedStream(args.jobId, read, args.signal, { isFinal }), {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
