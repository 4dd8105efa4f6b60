import "server-only";
import { connectorKind } from "@/server/connectors";
import { db } from "@/server/db";
import type { TDeliveredFile } from "@/server/deliveries/types";
import { describeJob } from "../jobs/job-progress";
import { deliverToOf, type TDeliveryJobOptions } from "./start-deliveries";

/** One destination of a delivery, as the run page and the delivery's own page show it. */
export type TDeliveryStep = {
  id: string;
  connectorId: string | null;
  connectorName: string;
  connectorLabel: string;
  state: string;
  attempts: number;
  message: string | null;
  error: string | null;
  files: TDeliveredFile[];
  startedAt: string | null;
  finishedAt: string | null;
};

export type TDeliveryProgress = {
  job: ReturnType<typeof describeJob> & { kind: "delivery"; scheduleId: string | null };
  source: { id: string; kind: string; title: string };
  files: { name: string; bytes: number }[];
  steps: TDeliveryStep[];
  pause: { reason: string; resumeAt: string | null } | null;
};

const iso = (date: Date | null) => date?.toISOString() ?? null;

type TDeliveryRow = Awaited<ReturnType<typeof db.delivery.findMany>>[number];

function stepOf(row: TDeliveryRow): TDeliveryStep {
  let connectorLabel = row.connectorKind;
  try {
    connectorLabel = connectorKind(row.connectorKind).label;
  } catch {
    // a deleted destination, or a kind this version no longer has: its name says enough
  }
  return {
    id: row.id,
    connectorId: row.connectorId,
    connectorName: row.connectorName,
    connectorLabel,
    state: row.state,
    attempts: row.attempts,
    message: row.message,
    error: row.error,
    files: JSON.parse(row.files) as TDeliveredFile[],
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
  };
}

export async function getDeliveryProgress(jobId: string): Promise<TDeliveryProgress | null> {
  const job = await db.job.findUnique({
    where: { id: jobId },
    include: { deliveries: { orderBy: { position: "asc" } } },
  });
  if (!job || job.kind !== "delivery") return null;
  const options = JSON.parse(job.options) as TDeliveryJobOptions;
  return {
    job: { ...describeJob(job), kind: "delivery", scheduleId: job.scheduleId },
    source: { id: options.sourceJobId, kind: options.sourceKind, title: options.sourceTitle },
    files: options.files.map((file) => ({ name: file.name, bytes: file.bytes })),
    steps: job.deliveries.map(stepOf),
    pause:
      job.status === "paused"
        ? { reason: job.pausedReason ?? "", resumeAt: iso(job.resumeAt) }
        : null,
  };
}

/**
 * Where a run's, an export's or a pipeline run's files go, for its own page: the delivery job and
 * its steps once started, else the destinations it names and why nothing went yet.
 */
export type TSourceDeliveries = {
  deliveryJobId: string | null;
  steps: TDeliveryStep[];
  /** destinations named but not started, with the reason in words */
  waiting: { name: string; reason: string }[];
};

export async function getSourceDeliveries(sourceJobId: string): Promise<TSourceDeliveries | null> {
  const source = await db.job.findUnique({
    where: { id: sourceJobId },
    select: { status: true, options: true },
  });
  if (!source) return null;
  const all = await db.delivery.findMany({
    where: { sourceJobId },
    orderBy: [{ sourceFinishedAt: "desc" }, { position: "asc" }],
  });
  // the delivery of the job's latest ending (a retried job may have ended more than once)
  const rows = all.filter((row) => row.jobId === all[0]?.jobId);
  if (rows.length > 0)
    return { deliveryJobId: rows[0]!.jobId, steps: rows.map(stepOf), waiting: [] };
  const ids = deliverToOf(source.options);
  if (ids.length === 0) return { deliveryJobId: null, steps: [], waiting: [] };
  const connectors = await db.connector.findMany({
    where: { id: { in: ids } },
    select: { id: true, name: true },
  });
  const reason =
    source.status === "cancelled"
      ? "not delivered: the job was cancelled"
      : ["completed", "completed_with_errors", "failed"].includes(source.status)
        ? "not delivered: no file was produced"
        : "waits for the files";
  return {
    deliveryJobId: null,
    steps: [],
    waiting: ids.map((id) => ({
      name: connectors.find((c) => c.id === id)?.name ?? "a deleted destination",
      reason,
    })),
  };
}
