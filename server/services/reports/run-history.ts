import "server-only";
import { z } from "zod";
import { db, type Prisma } from "@/server/db";
import { AppError } from "@/server/errors";

/** One past run as a history chart shows it: when, how it ended, and how much it brought. */
export type TRunHistoryPoint = {
  jobId: string;
  at: string;
  /** succeeded / failed / cancelled for a report; the job's final status for a schedule */
  status: string;
  rows: number | null;
  bytes: number | null;
  durationMs: number | null;
  /** the system sent fewer rows than the report has */
  isTruncated: boolean;
  error: string | null;
};

export type TRunHistory = { name: string; points: TRunHistoryPoint[] };

export const ZHistoryInput = z.object({
  id: z.uuid(),
  /** how many of the latest runs, oldest first in the answer */
  limit: z.coerce.number().int().min(1).max(200).default(30),
});

const ENDED_ITEM_STATES = ["succeeded", "failed", "cancelled"];
const ENDED_JOB_STATES = ["completed", "completed_with_errors", "failed", "cancelled"];

const durationOf = (startedAt: Date | null, finishedAt: Date | null) =>
  startedAt && finishedAt ? finishedAt.getTime() - startedAt.getTime() : null;

/** A report's latest ended runs: rows, bytes and time each took, failures with their reason. */
export async function getReportHistory(input: z.input<typeof ZHistoryInput>): Promise<TRunHistory> {
  const { id, limit } = ZHistoryInput.parse(input);
  const report = await db.report.findUnique({ where: { id }, select: { name: true } });
  if (!report)
    throw new AppError("NOT_FOUND", "This report does not exist (it may have been deleted).");
  const items = await db.reportRunItem.findMany({
    where: { reportId: id, state: { in: ENDED_ITEM_STATES } },
    orderBy: [{ job: { createdAt: "desc" } }, { id: "asc" }],
    take: limit,
    include: { job: { select: { createdAt: true } } },
  });
  return {
    name: report.name,
    points: items.reverse().map((item) => ({
      jobId: item.jobId,
      at: item.job.createdAt.toISOString(),
      status: item.state,
      rows: item.rows,
      bytes: item.bytes,
      durationMs: durationOf(item.startedAt, item.finishedAt),
      isTruncated: item.isTruncated,
      error: item.error,
    })),
  };
}

/** A schedule's latest ended runs: each run's status, its reports' rows and bytes, its time. */
export async function getScheduleHistory(
  input: z.input<typeof ZHistoryInput>,
): Promise<TRunHistory> {
  const { id, limit } = ZHistoryInput.parse(input);
  const schedule = await db.schedule.findUnique({
    where: { id },
    select: { name: true, pipelineId: true },
  });
  if (!schedule)
    throw new AppError("NOT_FOUND", "This schedule does not exist (it may have been deleted).");
  // a pipeline's report stage carries the schedule too: its runs are the pipeline's
  const kind = schedule.pipelineId ? "pipeline" : "report_run";
  return { name: schedule.name, points: await jobHistory({ scheduleId: id, kind }, limit) };
}

/** A pipeline's latest ended runs, by hand and scheduled: each one's status and time. */
export async function getPipelineHistory(
  input: z.input<typeof ZHistoryInput>,
): Promise<TRunHistory> {
  const { id, limit } = ZHistoryInput.parse(input);
  const pipeline = await db.pipeline.findUnique({ where: { id }, select: { name: true } });
  if (!pipeline)
    throw new AppError("NOT_FOUND", "This pipeline does not exist (it may have been deleted).");
  const where = { kind: "pipeline", options: { contains: `"pipelineId":"${id}"` } };
  return { name: pipeline.name, points: await jobHistory(where, limit) };
}

async function jobHistory(where: Prisma.JobWhereInput, limit: number) {
  const jobs = await db.job.findMany({
    where: { ...where, status: { in: ENDED_JOB_STATES } },
    orderBy: { createdAt: "desc" },
    take: limit,
    include: {
      reportItems: {
        select: { state: true, rows: true, bytes: true, isTruncated: true, error: true },
      },
    },
  });
  return jobs.reverse().map((job): TRunHistoryPoint => {
    const items = job.reportItems;
    const sum = (values: (number | null)[]) =>
      values.length === 0 || values.every((value) => value === null)
        ? null
        : values.reduce<number>((total, value) => total + (value ?? 0), 0);
    return {
      jobId: job.id,
      at: job.createdAt.toISOString(),
      status: job.status,
      rows: sum(items.map((item) => item.rows)),
      bytes: sum(items.map((item) => item.bytes)),
      durationMs: durationOf(job.startedAt, job.finishedAt),
      isTruncated: items.some((item) => item.isTruncated),
      error: items.find((item) => item.state === "failed")?.error ?? null,
    };
  });
}
