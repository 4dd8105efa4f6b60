import "server-only";
import fs from "node:fs";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { ConnectorError, connectorKind, type TConnectorContext } from "@/server/connectors";
import type { TPushMode, TPushPlan, TPushTarget } from "@/server/connectors/types";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { publishJobChange } from "@/server/jobs/progress";
import { drainSignal } from "@/server/jobs/running-jobs";
import { logger } from "@/server/logger";
import { getRuntime } from "@/server/runtime";
import { describeStorageFault } from "@/server/storage/describe-storage-fault";
import { engineMessage } from "@/server/tables/read-source";
import { TableError, type TColumn } from "@/server/tables/table-types";
import { writeOutput, ZOutputSpec } from "@/server/tables/write-output";
import { loadConnection } from "../connectors/connectors";
import { finalJobStatus, markJobFinished } from "../jobs/finish-job";
import { ITEM_LEASE_MS, pauseUntil } from "../jobs/job-kind";
import { runUnderLease } from "../jobs/run-under-lease";
import { storeBlob } from "../storage/blob-references";
import { copyBlobTo, withEngine, withWorkDir } from "../tables/table-engine";
import { jsonRows, openPipeline } from "../tables/transforms";
import type { TPushOptions } from "./start-push";

/** Pushes and refreshes run on queues of their own, so a long refresh never holds up a push. */
export const queueOf = (kind: string) => `${kind}.run`;

type TPushRow = NonNullable<Awaited<ReturnType<typeof db.push.findUnique>>>;

/** A failure the destination or the data caused, said in plain words: the push fails with it. */
class PushFailure extends Error {}

const formatCount = (n: number) => n.toLocaleString("en-US");

/**
 * The worker side of a push or a refresh: one Push row, claimed with a lease (a worker that dies
 * leaves it to the next, which goes on from the first batch not confirmed). Safe to run again.
 */
export async function runPushJob(jobId: string, queueSignal: AbortSignal): Promise<void> {
  const job = await db.job.findUnique({ where: { id: jobId }, select: { kind: true } });
  if (!job) return;
  await runUnderLease({
    jobId,
    queueSignal,
    queue: queueOf(job.kind),
    what: job.kind,
    renewItems: (id, leaseUntil) =>
      db.push.updateMany({ where: { jobId: id, state: "running" }, data: { leaseUntil } }),
    work: (row, signal) => runClaimed(jobId, JSON.parse(row.options) as TPushOptions, signal),
    finish: finishPush,
  });
}

/** The job ends as its push did; a push still pending (a shutdown) leaves it for the next run. */
async function finishPush(jobId: string): Promise<void> {
  const push = await db.push.findUnique({ where: { jobId } });
  if (!push || ["pending", "running"].includes(push.state)) return;
  await markJobFinished(
    jobId,
    finalJobStatus(push.state === "succeeded" ? 1 : 0, push.state === "failed" ? 1 : 0),
  );
}

/** Claims the push (waiting out a dead worker's lease) and runs it; our side's fault, or null. */
async function runClaimed(
  jobId: string,
  options: TPushOptions,
  signal: AbortSignal,
): Promise<string | null> {
  const draining = drainSignal();
  while (!signal.aborted && !draining.aborted) {
    const now = new Date();
    const { count } = await db.push.updateMany({
      where: {
        jobId,
        OR: [
          { state: "pending" },
          { state: "running", OR: [{ leaseUntil: { lt: now } }, { leaseUntil: null }] },
        ],
      },
      data: {
        state: "running",
        attempts: { increment: 1 },
        leaseUntil: new Date(now.getTime() + ITEM_LEASE_MS),
        error: null,
      },
    });
    const push = await db.push.findUnique({ where: { jobId } });
    if (!push) return null;
    if (count === 0) {
      if (push.state !== "running") return null;
      // another worker holds it: a live one finishes it, a dead one's lease runs out
      const waitMs = (push.leaseUntil?.getTime() ?? 0) - Date.now();
      await pauseUntil(Math.max(0, waitMs) + 5, AbortSignal.any([signal, draining])).done;
      continue;
    }
    if (!push.startedAt) await db.push.update({ where: { id: push.id }, data: { startedAt: now } });
    publishJobChange({ jobId, productIds: [push.id] });
    return runOne(jobId, push, options, signal);
  }
  return null;
}

async function runOne(
  jobId: string,
  push: TPushRow,
  options: TPushOptions,
  jobSignal: AbortSignal,
): Promise<string | null> {
  const runtime = getRuntime();
  const context: TConnectorContext = {
    http: runtime.connectorHttp,
    sessions: runtime.connectorSessions,
    tempDir: runtime.scratchDir,
    signal: jobSignal,
  };
  try {
    if (!push.connectorId) throw new PushFailure("the destination was deleted");
    const connection = await loadConnection(push.connectorId);
    const kind = connectorKind(connection.kind);
    let summary: string;
    if (push.action === "refresh") {
      if (!kind.refresh) throw new PushFailure(`${kind.label} has nothing to refresh`);
      summary = await kind.refresh(connection, {
        ...context,
        onProgress: (message) => {
          void db.push
            .updateMany({ where: { id: push.id, state: "running" }, data: { message } })
            .then(() => publishJobChange({ jobId, productIds: [push.id] }))
            .catch(() => undefined);
        },
      });
    } else {
      if (!kind.openPushTarget) throw new PushFailure(`${kind.label} takes no rows`);
      summary = await pushRows(
        jobId,
        push,
        options,
        kind.openPushTarget(connection, context),
        jobSignal,
      );
    }
    await db.push.updateMany({
      where: { id: push.id, state: "running" },
      data: { state: "succeeded", message: summary, leaseUntil: null, finishedAt: new Date() },
    });
    publishJobChange({ jobId, productIds: [push.id] });
    return null;
  } catch (error) {
    if (jobSignal.aborted) {
      // a cancel marked it already; a shutdown leaves it for the next run, batches kept
      await db.push.updateMany({
        where: { id: push.id, state: "running" },
        data: { state: "pending", leaseUntil: null, attempts: { decrement: 1 } },
      });
      return null;
    }
    const said =
      error instanceof PushFailure ||
      error instanceof ConnectorError ||
      error instanceof AppError ||
      error instanceof TableError
        ? error.message
        : isEngineError(error)
          ? engineMessage(error)
          : null;
    if (said === null) {
      logger.error({ jobId, err: error }, "the push could not go on");
      await db.push
        .updateMany({
          where: { id: push.id, state: "running" },
          data: { state: "pending", leaseUntil: null, attempts: { decrement: 1 } },
        })
        .catch(() => undefined);
      return describeStorageFault(error);
    }
    const left = await db.push.findUnique({ where: { id: push.id } });
    await db.push.updateMany({
      where: { id: push.id, state: "running" },
      data: {
        state: "failed",
        error: left ? withWhatItLeft(left, said) : said,
        leaseUntil: null,
        finishedAt: new Date(),
      },
    });
    publishJobChange({ jobId, productIds: [push.id] });
    return null;
  }
}

/** "rows deleted, 3 of 12 batches posted: …": what the destination holds now, before why. */
export function withWhatItLeft(push: TPushRow, message: string): string {
  if (push.action !== "push" || !push.plan) return message;
  const batches = (JSON.parse(push.batchEnds) as number[]).length;
  const sent = `${push.batchesConfirmed} of ${batches} batch${batches === 1 ? "" : "es"} sent`;
  const state =
    push.mode === "replace"
      ? push.isCleared
        ? `rows deleted, ${sent}`
        : "nothing changed yet"
      : sent;
  return `${state}: ${message}`;
}

function isEngineError(error: unknown): boolean {
  return error instanceof Error && /^[A-Za-z ]*Error: /.test(error.message) && !("code" in error);
}

/** The push itself: the rows fixed, the destination prepared, cleared, then batch after batch. */
async function pushRows(
  jobId: string,
  start: TPushRow,
  options: TPushOptions,
  target: TPushTarget,
  signal: AbortSignal,
): Promise<string> {
  return withWorkDir((dir) =>
    withEngine(async (connection) => {
      let push = start;
      const local = path.join(dir, "rows.parquet");
      if (!push.dataSha256) push = await fixRows(jobId, push, options, connection, local, signal);
      else await copyBlobTo(push.dataSha256, local, signal);
      const columns = JSON.parse(push.columns) as TColumn[];
      const mode = (push.mode ?? "replace") as TPushMode;
      if (push.rowsTotal === 0) {
        throw new PushFailure(
          "the table has no rows, so nothing was sent: the destination keeps what it holds",
        );
      }

      if (!push.plan) {
        const plan = await target.prepare({ columns, rows: push.rowsTotal, mode });
        const batchEnds = await splitIntoBatches(connection, local, columns, plan, signal);
        push = await db.push.update({
          where: { id: push.id },
          data: {
            plan: JSON.stringify(plan),
            batchEnds: JSON.stringify(batchEnds),
            notes: JSON.stringify(plan.notes),
          },
        });
        publishJobChange({ jobId, productIds: [push.id] });
      }
      const plan = JSON.parse(push.plan!) as TPushPlan;
      const batchEnds = JSON.parse(push.batchEnds) as number[];

      let isRepeat = false;
      if (push.batchInFlight !== null) {
        // the process stopped while a batch was on its way: it may have reached the destination
        const batch = push.batchInFlight + 1;
        if (plan.isBatchIdempotent) isRepeat = true;
        else if (mode === "replace") {
          push = await db.push.update({
            where: { id: push.id },
            data: {
              isCleared: false,
              batchesConfirmed: 0,
              batchInFlight: null,
              rowsSent: 0,
              bytesSent: 0,
              notes: JSON.stringify([
                ...(JSON.parse(push.notes) as string[]),
                `the push stopped while batch ${batch} was being sent: the replace started over, so no row arrives twice`,
              ]),
            },
          });
        } else {
          await db.push.update({ where: { id: push.id }, data: { batchInFlight: null } });
          throw new PushFailure(
            `the push stopped while batch ${batch} (rows ${formatCount((batchEnds[batch - 2] ?? 0) + 1)} to ${formatCount(batchEnds[batch - 1]!)}) was being sent, so those rows may or may not have been added. Check the destination: retry goes on from that batch`,
          );
        }
      }
      if (mode === "replace" && !push.isCleared) {
        await target.clear(plan);
        push = await db.push.update({ where: { id: push.id }, data: { isCleared: true } });
        publishJobChange({ jobId, productIds: [push.id] });
      }

      let index = push.batchesConfirmed;
      let firstRow = index === 0 ? 0 : batchEnds[index - 1]!;
      if (index < batchEnds.length) {
        const stream = await connection.stream(
          `SELECT * FROM read_parquet('${sqlPath(local)}') OFFSET ${firstRow}`,
        );
        let pending: unknown[][] = [];
        for await (const chunk of stream.yieldRowsJson()) {
          pending.push(...jsonRows(chunk as unknown[][], columns));
          while (index < batchEnds.length && firstRow + pending.length >= batchEnds[index]!) {
            const size = batchEnds[index]! - firstRow;
            const rows = pending.slice(0, size);
            pending = pending.slice(size);
            await sendOne(push.id, target, plan, index, firstRow, rows, isRepeat, signal);
            isRepeat = false;
            publishJobChange({ jobId, productIds: [push.id] });
            firstRow += size;
            index += 1;
          }
          if (index >= batchEnds.length) break;
        }
      }
      const done = await db.push.findUnique({ where: { id: push.id } });
      return `${formatCount(done?.rowsSent ?? 0)} rows sent in ${batchEnds.length} batch${batchEnds.length === 1 ? "" : "es"}`;
    }, signal),
  );
}

/** One batch: marked in flight, sent, then confirmed with its rows and bytes in one update. */
async function sendOne(
  pushId: string,
  target: TPushTarget,
  plan: TPushPlan,
  index: number,
  firstRow: number,
  rows: unknown[][],
  isRepeat: boolean,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) throw signal.reason;
  await db.push.update({ where: { id: pushId }, data: { batchInFlight: index } });
  await target.sendBatch(plan, { firstRow, rows, isRepeat });
  await db.push.update({
    where: { id: pushId },
    data: {
      batchesConfirmed: index + 1,
      batchInFlight: null,
      rowsSent: { increment: rows.length },
      bytesSent: { increment: Buffer.byteLength(JSON.stringify(rows)) },
    },
  });
}

const sqlPath = (file: string) => file.replace(/'/g, "''");

/**
 * The rows the push sends, written once as a Parquet blob of the job: a retry, a resume on another
 * worker or a restart sends exactly these, whatever the report or the transform became since.
 */
async function fixRows(
  jobId: string,
  push: TPushRow,
  options: TPushOptions,
  connection: DuckDBConnection,
  local: string,
  signal: AbortSignal,
): Promise<TPushRow> {
  const pipeline = await openPipeline(connection, options.tables, options.steps, signal);
  if (pipeline.failure)
    throw new TableError(`step ${pipeline.failure.step + 1}: ${pipeline.failure.message}`);
  const relation = pipeline.relations.at(-1) ?? pipeline.source;
  const written = await writeOutput(
    connection,
    relation,
    ZOutputSpec.parse({ format: "parquet" }),
    local,
    { signal },
  );
  const kept = `${local}.kept`;
  fs.copyFileSync(local, kept);
  await storeBlob({ jobId, tempPath: kept, sha256: written.sha256 });
  return db.push.update({
    where: { id: push.id },
    data: {
      dataSha256: written.sha256,
      columns: JSON.stringify(relation.columns),
      rowsTotal: written.rows,
    },
  });
}

/**
 * Where each batch ends: as many rows as the destination takes in one request, and as its byte
 * limit allows (each row measured as the JSON it is sent as). Fixed with the plan, so a resume
 * sends the same batches.
 */
async function splitIntoBatches(
  connection: DuckDBConnection,
  local: string,
  columns: TColumn[],
  plan: TPushPlan,
  signal: AbortSignal,
): Promise<number[]> {
  const ends: number[] = [];
  let rows = 0;
  let inBatch = 0;
  let bytes = 0;
  const stream = await connection.stream(`SELECT * FROM read_parquet('${sqlPath(local)}')`);
  for await (const chunk of stream.yieldRowsJson()) {
    if (signal.aborted) throw signal.reason;
    for (const row of jsonRows(chunk as unknown[][], columns)) {
      const size = Buffer.byteLength(JSON.stringify(row)) + 1;
      if (size > plan.maxBytesPerBatch) {
        throw new PushFailure(
          `row ${formatCount(rows + 1)} alone is ${formatCount(size)} bytes, more than one request to the destination takes (${formatCount(plan.maxBytesPerBatch)})`,
        );
      }
      if (
        inBatch > 0 &&
        (inBatch >= plan.maxRowsPerBatch || bytes + size > plan.maxBytesPerBatch)
      ) {
        ends.push(rows);
        inBatch = 0;
        bytes = 0;
      }
      rows += 1;
      inBatch += 1;
      bytes += size;
    }
  }
  if (inBatch > 0) ends.push(rows);
  return ends;
}
