import "server-only";
import { connectorKind } from "@/server/connectors";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { logger } from "@/server/logger";
import { enqueueJob } from "../jobs/enqueue-job";
import { jobTitleFields } from "../jobs/job-title";
import { addBlobReferences } from "../storage/blob-references";
import { sourceFilesOf, type TSourceFile, type TSourceSummary } from "./source-files";

/** What a delivery job sends, fixed when it starts: a later run or edit changes nothing. */
export type TDeliveryJobOptions = {
  sourceJobId: string;
  sourceKind: string;
  sourceTitle: string;
  /** when the source started: what `{date}` in file names stands for */
  sourceStartedAt: string | null;
  /** the time zone `{date}` is written in (the schedule's), UTC when absent */
  timeZone?: string;
  files: TSourceFile[];
  summary: TSourceSummary;
};

/** a cancelled job delivers nothing: whoever cancelled it did not want its files sent */
const FINISHED = ["completed", "completed_with_errors", "failed"];
/** how far back a starting worker looks for finished jobs whose deliveries never started */
const MISSED_WINDOW_MS = 7 * 24 * 60 * 60_000;

/** The destinations a job's files go to, from its options (`deliverTo`). */
export function deliverToOf(options: string): string[] {
  const parsed = JSON.parse(options) as { deliverTo?: unknown };
  return Array.isArray(parsed.deliverTo)
    ? parsed.deliverTo.filter((id): id is string => typeof id === "string")
    : [];
}

/**
 * Checks that each id names a destination that takes files, and says which do not: a schedule or
 * an export must not be saved with a delivery that can only fail.
 */
export async function checkFileDestinations(ids: string[]): Promise<string[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  if (unique.length > 20)
    throw new AppError("BAD_REQUEST", "Deliver to 20 destinations at most.", {
      deliverTo: "Deliver to 20 destinations at most.",
    });
  const connectors = await db.connector.findMany({ where: { id: { in: unique } } });
  const problems = unique.flatMap((id) => {
    const connector = connectors.find((c) => c.id === id);
    if (!connector) return [`the destination ${id} does not exist (it may have been deleted)`];
    const kind = connectorKind(connector.kind);
    return kind.destination?.takesFiles ? [] : [`${connector.name} (${kind.label}) takes no files`];
  });
  if (problems.length > 0) {
    const message = `Files cannot be delivered there: ${problems.join("; ")}.`;
    throw new AppError("BAD_REQUEST", message, { deliverTo: message });
  }
  return unique;
}

/**
 * Starts the delivery of a finished job's files to the destinations it names, once per ending: a
 * job of kind delivery with one step per destination. A job that produced no file starts none (its
 * page says so). A job retried and ended again delivers again when its files changed (the report
 * that failed the first time has its file now). Safe to call again: a second call for the same
 * ending finds its steps and does nothing.
 */
export async function startDeliveries(sourceJobId: string): Promise<string | null> {
  const source = await db.job.findUnique({ where: { id: sourceJobId } });
  if (!source || !FINISHED.includes(source.status)) return null;
  const connectorIds = [...new Set(deliverToOf(source.options))];
  if (connectorIds.length === 0) return null;
  const ending = source.finishedAt ?? source.createdAt;
  const latest = await db.delivery.findFirst({
    where: { sourceJobId },
    orderBy: { sourceFinishedAt: "desc" },
    select: { sourceFinishedAt: true, job: { select: { options: true } } },
  });
  if (latest && latest.sourceFinishedAt.getTime() >= ending.getTime()) return null;
  const { files, summary } = await sourceFilesOf(source);
  if (files.length === 0) return null;
  if (latest && sameFiles((JSON.parse(latest.job.options) as TDeliveryJobOptions).files, files))
    return null;
  const connectors = await db.connector.findMany({ where: { id: { in: connectorIds } } });
  const schedule = source.scheduleId
    ? await db.schedule.findUnique({
        where: { id: source.scheduleId },
        select: { timeZone: true },
      })
    : null;
  const options: TDeliveryJobOptions = {
    sourceJobId,
    sourceKind: source.kind,
    sourceTitle: source.title,
    sourceStartedAt: (source.startedAt ?? source.createdAt).toISOString(),
    ...(schedule ? { timeZone: schedule.timeZone } : {}),
    files,
    summary,
  };
  let job: { id: string; kind: string };
  try {
    job = await db.$transaction(async (tx) => {
      const created = await tx.job.create({
        data: {
          kind: "delivery",
          ...jobTitleFields(`Delivery of ${source.title}`),
          totalItems: connectorIds.length,
          options: JSON.stringify(options),
          createdById: source.createdById,
          scheduleId: source.scheduleId,
        },
      });
      await tx.delivery.createMany({
        data: connectorIds.map((connectorId, position) => {
          const connector = connectors.find((c) => c.id === connectorId);
          return {
            jobId: created.id,
            sourceJobId,
            sourceFinishedAt: ending,
            position,
            connectorId,
            connectorName: connector?.name ?? "a deleted destination",
            connectorKind: connector?.kind ?? "unknown",
          };
        }),
      });
      return created;
    });
  } catch (error) {
    // another process started them first
    if ((error as { code?: string }).code === "P2002") return null;
    throw error;
  }
  // the delivery keeps the files while it exists, whatever retention does to its source
  await addBlobReferences(files.map((file) => ({ jobId: job.id, sha256: file.sha256 })));
  await enqueueJob(job);
  logger.info(
    { jobId: job.id, sourceJobId, destinations: connectorIds.length },
    "delivery started",
  );
  return job.id;
}

const sameFiles = (a: TSourceFile[], b: TSourceFile[]) =>
  a.length === b.length &&
  a.every((file, i) => file.sha256 === b[i]!.sha256 && file.name === b[i]!.name);

/** Starts deliveries of finished jobs a stopped process left unstarted; returns how many. */
export async function startMissedDeliveries(now = new Date()): Promise<number> {
  const finished = await db.job.findMany({
    where: {
      kind: { in: ["report_run", "export", "pipeline"] },
      status: { in: FINISHED },
      finishedAt: { gte: new Date(now.getTime() - MISSED_WINDOW_MS) },
      options: { contains: '"deliverTo":["' },
    },
    select: { id: true, finishedAt: true },
    orderBy: { finishedAt: "desc" },
    take: 500,
  });
  if (finished.length === 0) return 0;
  const started = new Set(
    (
      await db.delivery.findMany({
        where: { sourceJobId: { in: finished.map((job) => job.id) } },
        select: { sourceJobId: true, sourceFinishedAt: true },
      })
    ).map((row) => `${row.sourceJobId}@${row.sourceFinishedAt.getTime()}`),
  );
  let count = 0;
  for (const { id, finishedAt } of finished) {
    if (started.has(`${id}@${finishedAt?.getTime()}`)) continue;
    try {
      if (await startDeliveries(id)) count += 1;
    } catch (error) {
      logger.error({ sourceJobId: id, err: error }, "a missed delivery could not start");
    }
  }
  return count;
}
