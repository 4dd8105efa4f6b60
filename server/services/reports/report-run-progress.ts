import "server-only";
import { db } from "@/server/db";
import { describeJob } from "../jobs/job-progress";
import { uniqueFileNames } from "./unique-file-names";
import type { TReportRunOptions } from "./run-report-job";

export type TReportRunItemView = {
  id: string;
  reportId: string | null;
  reportName: string;
  position: number;
  state: string;
  attempts: number;
  rows: number | null;
  bytes: number | null;
  /** the files of a succeeded report (one, or one per query), named as in the run's ZIP */
  files: { id: string; fileName: string; rows: number | null; bytes: number }[];
  isTruncated: boolean;
  note: string | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  nextAttemptAt: string | null;
  /** HTTP requests of each finished attempt, in order */
  requestsPerAttempt: number[];
};

export type TReportRunProgress = {
  job: {
    id: string;
    kind: "report_run";
    title: string;
    status: string;
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
    totalItems: number;
    scheduleId: string | null;
    options: TReportRunOptions;
  };
  totals: Record<
    "total" | "pending" | "running" | "waiting_retry" | "succeeded" | "failed" | "cancelled",
    number
  > & {
    rows: number;
    bytes: number;
  };
  items: TReportRunItemView[];
  /** why a paused run waits and when it tries again by itself; null unless paused */
  pause: { reason: string; resumeAt: string | null } | null;
};

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** The whole state of a report run; small enough (one row per report) to send whole on every change. */
export async function getReportRunProgress(jobId: string): Promise<TReportRunProgress | null> {
  const job = await db.job.findUnique({
    where: { id: jobId },
    include: {
      reportItems: {
        orderBy: { position: "asc" },
        include: {
          attemptLog: {
            orderBy: { attempt: "asc" },
            select: { _count: { select: { requests: true } } },
          },
          files: {
            orderBy: { position: "asc" },
            select: { id: true, fileName: true, rows: true, bytes: true },
          },
        },
      },
    },
  });
  if (!job || job.kind !== "report_run") return null;
  const fileNames = uniqueFileNames(
    job.reportItems.flatMap((item) => (item.state === "succeeded" ? item.files : [])),
  );
  const totals = {
    total: 0,
    pending: 0,
    running: 0,
    waiting_retry: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    rows: 0,
    bytes: 0,
  };
  const items = job.reportItems.map((item): TReportRunItemView => {
    totals.total += 1;
    if (item.state in totals) totals[item.state as "pending"] += 1;
    totals.rows += item.rows ?? 0;
    totals.bytes += item.bytes ?? 0;
    return {
      id: item.id,
      reportId: item.reportId,
      reportName: item.reportName,
      position: item.position,
      state: item.state,
      attempts: item.attempts,
      rows: item.rows,
      bytes: item.bytes,
      files:
        item.state === "succeeded"
          ? item.files.map((file) => ({ ...file, fileName: fileNames.get(file.id)! }))
          : [],
      isTruncated: item.isTruncated,
      note: item.note,
      error: item.error,
      startedAt: iso(item.startedAt),
      finishedAt: iso(item.finishedAt),
      nextAttemptAt: iso(item.nextAttemptAt),
      requestsPerAttempt: item.attemptLog.map((attempt) => attempt._count.requests),
    };
  });
  return {
    job: {
      ...describeJob(job),
      kind: "report_run",
      scheduleId: job.scheduleId,
      options: JSON.parse(job.options) as TReportRunOptions,
    },
    totals,
    pause:
      job.status === "paused"
        ? { reason: job.pausedReason ?? "", resumeAt: iso(job.resumeAt) }
        : null,
    items,
  };
}
