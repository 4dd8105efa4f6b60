import "server-only";
import { db } from "@/server/db";
import { describeJob } from "../jobs/job-progress";
import type { TExportOptions } from "./run-export-job";

export type TExportOutputView = {
  id: string;
  position: number;
  format: string;
  fileName: string;
  state: string;
  attempts: number;
  rowsDone: number;
  rows: number | null;
  bytes: number | null;
  note: string | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
};

export type TExportProgress = {
  job: ReturnType<typeof describeJob> & {
    kind: "export";
    scheduleId: string | null;
    transformId: string | null;
    transformName: string | null;
    sourceName: string | null;
    /** the report run this export followed */
    afterRunJobId: string | null;
  };
  totals: Record<"total" | "pending" | "running" | "succeeded" | "failed" | "cancelled", number> & {
    rows: number;
    bytes: number;
  };
  outputs: TExportOutputView[];
  pause: { reason: string; resumeAt: string | null } | null;
};

const iso = (date: Date | null) => date?.toISOString() ?? null;

/** The whole state of an export: a handful of files, sent whole on every change. */
export async function getExportProgress(jobId: string): Promise<TExportProgress | null> {
  const job = await db.job.findUnique({
    where: { id: jobId },
    include: { exportOutputs: { orderBy: { position: "asc" } } },
  });
  if (!job || job.kind !== "export") return null;
  const options = JSON.parse(job.options) as TExportOptions;
  const totals = {
    total: 0,
    pending: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    rows: 0,
    bytes: 0,
  };
  const outputs = job.exportOutputs.map((output): TExportOutputView => {
    totals.total += 1;
    if (output.state in totals) totals[output.state as "pending"] += 1;
    totals.rows += output.rows ?? 0;
    totals.bytes += output.bytes ?? 0;
    return {
      id: output.id,
      position: output.position,
      format: output.format,
      fileName: output.fileName,
      state: output.state,
      attempts: output.attempts,
      rowsDone: output.rowsDone,
      rows: output.rows,
      bytes: output.bytes,
      note: output.note,
      error: output.error,
      startedAt: iso(output.startedAt),
      finishedAt: iso(output.finishedAt),
    };
  });
  return {
    job: {
      ...describeJob(job),
      kind: "export",
      scheduleId: job.scheduleId,
      transformId: options.transformId,
      transformName: options.transformName,
      sourceName: options.tables[0]?.name ?? null,
      afterRunJobId: options.afterRunJobId ?? null,
    },
    totals,
    outputs,
    pause:
      job.status === "paused"
        ? { reason: job.pausedReason ?? "", resumeAt: iso(job.resumeAt) }
        : null,
  };
}
