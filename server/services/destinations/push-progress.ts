import "server-only";
import { connectorKind } from "@/server/connectors";
import { db } from "@/server/db";
import { describeJob } from "../jobs/job-progress";
import type { TPushOptions } from "./start-push";

/** A push or refresh as its page shows it: the job conventions, and how far the rows got. */
export type TPushProgress = {
  job: ReturnType<typeof describeJob> & {
    kind: "push" | "refresh";
    scheduleId: string | null;
    transformId: string | null;
    transformName: string | null;
    sourceName: string | null;
  };
  push: {
    id: string;
    connectorId: string | null;
    connectorName: string;
    connectorLabel: string;
    action: "push" | "refresh";
    mode: string | null;
    state: string;
    attempts: number;
    rowsTotal: number;
    rowsSent: number;
    bytesSent: number;
    batchesTotal: number;
    batchesConfirmed: number;
    isCleared: boolean;
    notes: string[];
    message: string | null;
    error: string | null;
    startedAt: string | null;
    finishedAt: string | null;
  };
  pause: { reason: string; resumeAt: string | null } | null;
};

const iso = (date: Date | null) => date?.toISOString() ?? null;

export async function getPushProgress(jobId: string): Promise<TPushProgress | null> {
  const job = await db.job.findUnique({ where: { id: jobId }, include: { push: true } });
  if (!job || (job.kind !== "push" && job.kind !== "refresh") || !job.push) return null;
  const options = JSON.parse(job.options) as Partial<TPushOptions>;
  const push = job.push;
  let connectorLabel = push.connectorKind;
  try {
    connectorLabel = connectorKind(push.connectorKind).label;
  } catch {
    // a kind this version no longer has: its name says enough
  }
  return {
    job: {
      ...describeJob(job),
      kind: job.kind,
      scheduleId: job.scheduleId,
      transformId: options.transformId ?? null,
      transformName: options.transformName ?? null,
      sourceName: options.tables?.[0]?.name ?? null,
    },
    push: {
      id: push.id,
      connectorId: push.connectorId,
      connectorName: push.connectorName,
      connectorLabel,
      action: push.action as "push" | "refresh",
      mode: push.mode,
      state: push.state,
      attempts: push.attempts,
      rowsTotal: push.rowsTotal,
      rowsSent: push.rowsSent,
      bytesSent: push.bytesSent,
      batchesTotal: (JSON.parse(push.batchEnds) as number[]).length,
      batchesConfirmed: push.batchesConfirmed,
      isCleared: push.isCleared,
      notes: JSON.parse(push.notes) as string[],
      message: push.message,
      error: push.error,
      startedAt: iso(push.startedAt),
      finishedAt: iso(push.finishedAt),
    },
    pause:
      job.status === "paused"
        ? { reason: job.pausedReason ?? "", resumeAt: iso(job.resumeAt) }
        : null,
  };
}
