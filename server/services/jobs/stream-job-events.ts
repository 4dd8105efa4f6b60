import "server-only";
import { AppError } from "@/server/errors";
import { subscribeJobChanges } from "@/server/jobs/progress";
import { logger } from "@/server/logger";
import { getReportRunProgress } from "../reports/report-run-progress";
import { getJobKind, getJobProgress } from "./job-progress";

const COALESCE_MS = 250;
const HEARTBEAT_MS = 15_000;

/**
 * Server-sent events for one job: the whole current state first, then only what changed, at most a
 * few times a second. A reconnecting browser gets the whole state again, so it never misses a change.
 */
export async function streamJobEvents(args: {
  jobId: string;
  signal: AbortSignal;
}): Promise<Response> {
  const kind = await getJobKind(args.jobId);
  // an image batch sends only the products that changed; a report run is small enough to send whole
  const read: (changed: string[] | undefined) => Promise<unknown> =
    kind === "report_run"
      ? () => getReportRunProgress(args.jobId)
      : (changed) => getJobProgress(args.jobId, changed);
  // Subscribed before the first read: a change made while that read runs is sent again after it
  // instead of being lost (counts are absolute, so sending one twice is harmless).
  const dirtyProducts = new Set<string>();
  let isDirty = false;
  const unsubscribe = subscribeJobChanges(args.jobId, (change) => {
    for (const id of change.productIds) dirtyProducts.add(id);
    isDirty = true;
  });
  let first: unknown = null;
  try {
    first = kind ? await read(undefined) : null;
  } finally {
    if (!first) unsubscribe();
  }
  if (!first)
    throw new AppError("NOT_FOUND", "This job does not exist (it may have been deleted).");
  const encoder = new TextEncoder();
  let cleanup = unsubscribe;

  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let isClosed = false;
      let isSending = false;

      const send = (event: string, data: unknown) => {
        if (!isClosed)
          controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
      };
      const close = () => {
        if (isClosed) return;
        isClosed = true;
        cleanup();
        try {
          controller.close();
        } catch {
          // the client went away first
        }
      };

      send("snapshot", first);

      const flush = async () => {
        if (!isDirty || isSending || isClosed) return;
        isSending = true;
        isDirty = false;
        const productIds = [...dirtyProducts];
        dirtyProducts.clear();
        try {
          const progress = await read(productIds);
          if (!progress) {
            send("deleted", { jobId: args.jobId });
            close();
          } else send("progress", progress);
        } catch (error) {
          logger.error({ jobId: args.jobId, err: error }, "could not read job progress");
        } finally {
          isSending = false;
        }
      };

      const ticker = setInterval(() => void flush(), COALESCE_MS);
      const heartbeat = setInterval(
        () => !isClosed && controller.enqueue(encoder.encode(": keep-alive\n\n")),
        HEARTBEAT_MS,
      );
      cleanup = () => {
        unsubscribe();
        clearInterval(ticker);
        clearInterval(heartbeat);
      };
      args.signal.addEventListener("abort", close, { once: true });
    },
    cancel() {
      cleanup();
    },
  });

  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
