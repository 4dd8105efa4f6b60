import "server-only";
import path from "node:path";
import { ConnectorError, connectorKind } from "@/server/connectors";
import { db } from "@/server/db";
import { DeliveryError, type TDeliveryFile } from "@/server/deliveries/types";
import { AppError } from "@/server/errors";
import { firstLine } from "@/server/deliveries/shared";
import { publishJobChange } from "@/server/jobs/progress";
import { drainSignal } from "@/server/jobs/running-jobs";
import { logger } from "@/server/logger";
import { describeStorageFault } from "@/server/storage/describe-storage-fault";
import { connectorContext, loadConnection } from "../connectors/connectors";
import { finalJobStatus, markJobFinished } from "../jobs/finish-job";
import { ITEM_LEASE_MS, pauseUntil } from "../jobs/job-kind";
import { runUnderLease } from "../jobs/run-under-lease";
import { copyBlobTo, withWorkDir } from "../tables/table-engine";
import { signedFileLink } from "./file-links";
import type { TDeliveryJobOptions } from "./start-deliveries";

export const DELIVERY_QUEUE = "delivery.run";

/** Tries of one delivery before its step fails; a failure the settings cause is not tried again. */
export const MAX_DELIVERY_ATTEMPTS = 3;
/** the wait before the second and the third try: a restarting server, a full inbox quota */
const RETRY_WAITS_MS = [10_000, 30_000];

type TDeliveryRow = NonNullable<Awaited<ReturnType<typeof db.delivery.findUnique>>>;

/** The worker side of a delivery job: each step claimed with a lease, delivered, recorded. */
export async function runDeliveryJob(jobId: string, queueSignal: AbortSignal): Promise<void> {
  await runUnderLease({
    jobId,
    queueSignal,
    queue: DELIVERY_QUEUE,
    what: "delivery",
    renewItems: (id, leaseUntil) =>
      db.delivery.updateMany({ where: { jobId: id, state: "running" }, data: { leaseUntil } }),
    work: (row, signal) =>
      deliverAll(jobId, JSON.parse(row.options) as TDeliveryJobOptions, signal),
    finish: finishDeliveryJob,
  });
}

async function finishDeliveryJob(jobId: string): Promise<void> {
  const rows = await db.delivery.findMany({ where: { jobId }, select: { state: true } });
  if (rows.some((row) => row.state === "pending" || row.state === "running")) return;
  const count = (state: string) => rows.filter((row) => row.state === state).length;
  await markJobFinished(jobId, finalJobStatus(count("succeeded"), count("failed")));
}

/** Claims steps one after another until none is left; our side's fault, or null. */
async function deliverAll(
  jobId: string,
  options: TDeliveryJobOptions,
  signal: AbortSignal,
): Promise<string | null> {
  const draining = drainSignal();
  while (!signal.aborted && !draining.aborted) {
    const now = new Date();
    const next = await db.delivery.findFirst({
      where: {
        jobId,
        OR: [
          { state: "pending" },
          { state: "running", OR: [{ leaseUntil: { lt: now } }, { leaseUntil: null }] },
        ],
      },
      orderBy: { position: "asc" },
    });
    if (!next) {
      const held = await db.delivery.findFirst({ where: { jobId, state: "running" } });
      if (!held) return null;
      // another worker holds it: a live one finishes it, a dead one's lease runs out
      const waitMs = (held.leaseUntil?.getTime() ?? 0) - Date.now();
      await pauseUntil(Math.max(0, waitMs) + 5, AbortSignal.any([signal, draining])).done;
      continue;
    }
    const { count } = await db.delivery.updateMany({
      where: { id: next.id, state: next.state, leaseUntil: next.leaseUntil },
      data: {
        state: "running",
        leaseUntil: new Date(now.getTime() + ITEM_LEASE_MS),
        startedAt: next.startedAt ?? now,
        error: null,
      },
    });
    if (count === 0) continue;
    publishJobChange({ jobId, productIds: [next.id] });
    const fault = await deliverOne(jobId, options, next, signal);
    if (fault) return fault;
  }
  return null;
}

/** One destination: the files copied out of the store, then tried up to MAX_DELIVERY_ATTEMPTS. */
async function deliverOne(
  jobId: string,
  options: TDeliveryJobOptions,
  row: TDeliveryRow,
  signal: AbortSignal,
): Promise<string | null> {
  const settle = async (data: Parameters<typeof db.delivery.updateMany>[0]["data"]) => {
    await db.delivery.updateMany({ where: { id: row.id, state: "running" }, data });
    publishJobChange({ jobId, productIds: [row.id] });
  };
  const fail = (error: string, delivered: unknown[] = []) =>
    settle({
      state: "failed",
      error,
      files: JSON.stringify(delivered),
      leaseUntil: null,
      finishedAt: new Date(),
    });
  const putBack = () =>
    db.delivery.updateMany({
      where: { id: row.id, state: "running" },
      data: { state: "pending", leaseUntil: null },
    });

  // read once, before any file is copied out of the store
  const connection = row.connectorId
    ? await loadConnection(row.connectorId).catch((error: unknown) => {
        if (error instanceof AppError && error.code === "NOT_FOUND") return null;
        throw error;
      })
    : null;
  if (!connection) {
    await fail("the destination was deleted, so nothing was delivered");
    return null;
  }
  return withWorkDir(async (dir) => {
    const files: TDeliveryFile[] = [];
    try {
      for (const [index, file] of options.files.entries()) {
        const local = path.join(dir, String(index));
        await copyBlobTo(file.sha256, local, signal);
        files.push({ ...file, path: local });
      }
    } catch (error) {
      if (signal.aborted) {
        await putBack();
        return null;
      }
      const code = (error as { code?: string; Code?: string }).code;
      if (code === "ENOENT" || code === "NoSuchKey") {
        await fail(
          "the run's files are no longer stored (removed by retention), so nothing was delivered",
        );
        return null;
      }
      await putBack();
      return describeStorageFault(error);
    }

    const kind = connectorKind(connection.kind);
    if (!kind.deliverFiles) {
      await fail(`${connection.name} (${kind.label}) takes no files`);
      return null;
    }
    for (let attempt = row.attempts + 1; ; attempt += 1) {
      await db.delivery.update({ where: { id: row.id }, data: { attempts: attempt } });
      publishJobChange({ jobId, productIds: [row.id] });
      try {
        const result = await kind.deliverFiles(connection, files, {
          ...connectorContext(connection.id, signal),
          delivery: {
            signal,
            summary: options.summary,
            linkFor: linkMaker(row.id, files),
            date: options.sourceStartedAt ? new Date(options.sourceStartedAt) : undefined,
            runId: options.sourceJobId,
            timeZone: options.timeZone,
          },
        });
        await settle({
          state: "succeeded",
          message: result.message,
          files: JSON.stringify(result.files),
          leaseUntil: null,
          finishedAt: new Date(),
        });
        return null;
      } catch (error) {
        if (signal.aborted) {
          // a cancel marked it already; a shutdown leaves it for the next run
          await putBack();
          return null;
        }
        const isSaid = error instanceof DeliveryError || error instanceof ConnectorError;
        if (!isSaid) logger.error({ jobId, err: error }, "a delivery failed unexpectedly");
        const message = isSaid ? error.message : firstLine(error);
        const isPermanent = error instanceof DeliveryError && error.isPermanent;
        const tries = attempt - row.attempts;
        if (!isPermanent && tries < MAX_DELIVERY_ATTEMPTS) {
          await db.delivery.update({ where: { id: row.id }, data: { error: message } });
          publishJobChange({ jobId, productIds: [row.id] });
          await pauseUntil(RETRY_WAITS_MS[tries - 1] ?? 30_000, signal).done;
          if (signal.aborted) {
            await putBack();
            return null;
          }
          continue;
        }
        await fail(message, error instanceof DeliveryError ? error.delivered : []);
        return null;
      }
    }
  });
}

/** Signed links to the files, when the server knows its own address (APP_URL). */
function linkMaker(deliveryId: string, files: TDeliveryFile[]) {
  if (!signedFileLink(deliveryId, 0)) return undefined;
  return (file: TDeliveryFile) => signedFileLink(deliveryId, files.indexOf(file))!;
}
