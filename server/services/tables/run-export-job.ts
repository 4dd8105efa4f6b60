import "server-only";
import fs from "node:fs";
import path from "node:path";
import { db } from "@/server/db";
import { env } from "@/server/env";
import { publishJobChange } from "@/server/jobs/progress";
import { drainSignal } from "@/server/jobs/running-jobs";
import { logger } from "@/server/logger";
import { describeStorageFault } from "@/server/storage/describe-storage-fault";
import { TableError } from "@/server/tables/table-types";
import { engineMessage } from "@/server/tables/read-source";
import type { TStep } from "@/server/tables/steps";
import { writeOutput, ZOutputSpec } from "@/server/tables/write-output";
import { AppError } from "@/server/errors";
import { finalJobStatus, markJobFinished } from "../jobs/finish-job";
import { ITEM_LEASE_MS, pauseUntil } from "../jobs/job-kind";
import { runUnderLease } from "../jobs/run-under-lease";
import { storeBlob } from "../storage/blob-references";
import type { TTableSnapshot } from "./tables";
import { withEngine, withWorkDir } from "./table-engine";
import { openPipeline } from "./transforms";

export const EXPORT_QUEUE = "export.run";

/** What an export reads, fixed when it starts: a later edit of the transform changes nothing. */
export type TExportOptions = {
  transformId: string | null;
  transformName: string | null;
  tables: TTableSnapshot[];
  steps: TStep[];
  /** the report run this export followed, when it ran as a step after one */
  afterRunJobId?: string;
  /** file destinations the files go to once the export ends */
  deliverTo?: string[];
};

const PROGRESS_EVERY_MS = 1_000;

/**
 * The worker side of an export: writes its files one after the other, each claimed with a lease
 * (a worker that dies leaves it to the next), within EXPORT_TASK_TIMEOUT. Safe to run again.
 */
export async function runExportJob(jobId: string, queueSignal: AbortSignal): Promise<void> {
  const held = new Set<string>();
  await runUnderLease({
    jobId,
    queueSignal,
    queue: EXPORT_QUEUE,
    what: "export",
    renewItems: (id, leaseUntil) =>
      db.exportOutput.updateMany({
        where: { id: { in: [...held] }, state: "running" },
        data: { leaseUntil },
      }),
    work: (job, signal) => writeAll(jobId, JSON.parse(job.options) as TExportOptions, held, signal),
    finish: finishExport,
  });
}

async function writeAll(
  jobId: string,
  options: TExportOptions,
  held: Set<string>,
  signal: AbortSignal,
): Promise<string | null> {
  await releaseExpiredOutputs(jobId);
  const draining = drainSignal();
  while (!signal.aborted && !draining.aborted) {
    const next = await claimNext(jobId);
    if (!next) {
      // a file another worker holds: a live one writes it, a dead one's lease runs out and it
      // comes back here (the job was handed on by the queue before that), or the job never ends
      const heldElsewhere = await db.exportOutput.findFirst({
        where: { jobId, state: "running" },
        orderBy: { leaseUntil: "asc" },
        select: { leaseUntil: true },
      });
      if (!heldElsewhere) return null;
      const waitMs = (heldElsewhere.leaseUntil?.getTime() ?? 0) - Date.now();
      await pauseUntil(Math.max(0, waitMs) + 5, AbortSignal.any([signal, draining])).done;
      await releaseExpiredOutputs(jobId);
      continue;
    }
    held.add(next.id);
    try {
      const fault = await writeOne(jobId, next, options, signal);
      if (fault) return fault;
    } finally {
      held.delete(next.id);
    }
  }
  return null;
}

/** What a dead worker held goes back in line. */
function releaseExpiredOutputs(jobId: string) {
  return db.exportOutput.updateMany({
    where: {
      jobId,
      state: "running",
      OR: [{ leaseUntil: { lt: new Date() } }, { leaseUntil: null }],
    },
    data: { state: "pending", leaseUntil: null },
  });
}

/** The next file to write, claimed with a state guard against a second worker or a cancel. */
async function claimNext(
  jobId: string,
): Promise<{ id: string; spec: string; fileName: string } | null> {
  for (;;) {
    const due = await db.exportOutput.findFirst({
      where: { jobId, state: "pending" },
      orderBy: { position: "asc" },
    });
    if (!due) return null;
    const now = new Date();
    const { count } = await db.exportOutput.updateMany({
      where: { id: due.id, state: "pending" },
      data: {
        state: "running",
        attempts: { increment: 1 },
        rowsDone: 0,
        startedAt: now,
        leaseUntil: new Date(now.getTime() + ITEM_LEASE_MS),
      },
    });
    if (count === 1) return due;
  }
}

/** Writes and stores one file; returns our side's fault (the item goes back in line), or null. */
async function writeOne(
  jobId: string,
  output: { id: string; spec: string; fileName: string },
  options: TExportOptions,
  jobSignal: AbortSignal,
): Promise<string | null> {
  publishJobChange({ jobId, productIds: [output.id] });
  const timeoutMs = env.EXPORT_TASK_TIMEOUT * 1000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([jobSignal, timeout]);
  let lastProgress = 0;
  const onRows = (rows: number) => {
    if (Date.now() - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = Date.now();
    void db.exportOutput
      .updateMany({ where: { id: output.id, state: "running" }, data: { rowsDone: rows } })
      .then(() => publishJobChange({ jobId, productIds: [output.id] }))
      .catch(() => undefined);
  };
  try {
    const written = await withWorkDir((dir) =>
      withEngine(async (connection) => {
        const pipeline = await openPipeline(connection, options.tables, options.steps, signal);
        if (pipeline.failure)
          throw new TableError(`step ${pipeline.failure.step + 1}: ${pipeline.failure.message}`);
        const relation = pipeline.relations.at(-1) ?? pipeline.source;
        const target = path.join(dir, "output");
        const spec = ZOutputSpec.parse(JSON.parse(output.spec));
        const result = await writeOutput(connection, relation, spec, target, { signal, onRows });
        await storeBlob({ jobId, tempPath: target, sha256: result.sha256 });
        fs.rmSync(target, { force: true });
        return result;
      }, signal),
    );
    await db.exportOutput.updateMany({
      where: { id: output.id, state: "running" },
      data: {
        state: "succeeded",
        rows: written.rows,
        rowsDone: written.rows,
        bytes: written.bytes,
        sha256: written.sha256,
        crc32: written.crc32 | 0,
        note: written.notes.join(" ") || null,
        error: null,
        leaseUntil: null,
        finishedAt: new Date(),
      },
    });
    publishJobChange({ jobId, productIds: [output.id] });
    return null;
  } catch (error) {
    if (jobSignal.aborted) {
      // a cancel marked it already; a shutdown leaves it for the next run
      await db.exportOutput.updateMany({
        where: { id: output.id, state: "running" },
        data: { state: "pending", leaseUntil: null, attempts: { decrement: 1 } },
      });
      return null;
    }
    const message = timeout.aborted
      ? `the export took longer than ${env.EXPORT_TASK_TIMEOUT} s (EXPORT_TASK_TIMEOUT) and was stopped`
      : error instanceof TableError || error instanceof AppError
        ? error.message
        : isEngineError(error)
          ? engineMessage(error)
          : null;
    if (message === null) {
      // our side (the store, the scratch folder, the database): the file goes back in line
      logger.error({ jobId, itemId: output.id, err: error }, "export output could not be written");
      await db.exportOutput
        .updateMany({
          where: { id: output.id, state: "running" },
          data: { state: "pending", leaseUntil: null, attempts: { decrement: 1 } },
        })
        .catch(() => undefined);
      return describeStorageFault(error);
    }
    await db.exportOutput.updateMany({
      where: { id: output.id, state: "running" },
      data: { state: "failed", error: message, leaseUntil: null, finishedAt: new Date() },
    });
    publishJobChange({ jobId, productIds: [output.id] });
    return null;
  }
}

function isEngineError(error: unknown): boolean {
  return error instanceof Error && /^[A-Za-z ]*Error: /.test(error.message) && !("code" in error);
}

async function finishExport(jobId: string): Promise<void> {
  const counts = await db.exportOutput.groupBy({
    by: ["state"],
    where: { jobId },
    _count: { _all: true },
  });
  const count = (state: string) => counts.find((c) => c.state === state)?._count._all ?? 0;
  if (count("pending") + count("running") > 0) return;
  await markJobFinished(jobId, finalJobStatus(count("succeeded"), count("failed")));
}
