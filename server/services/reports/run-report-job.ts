import "server-only";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import { ConnectorError, sourceKind, type TFetchedReport } from "@/server/connectors";
import { db } from "@/server/db";
import { jsonRows } from "@/server/db-dialect";
import type { TRequestRecord } from "@/server/downloads";
import { formatSeconds } from "@/server/downloads/errors";
import { env } from "@/server/env";
import { publishJobChange } from "@/server/jobs/progress";
import { drainSignal, trackRunningJob } from "@/server/jobs/running-jobs";
import { logger } from "@/server/logger";
import { getRuntime } from "@/server/runtime";
import { loadConnection } from "../connectors/connectors";
import { finalJobStatus, markJobFinished } from "../jobs/finish-job";
import { ITEM_LEASE_MS, ITEM_LEASE_RENEW_MS, pauseUntil } from "../jobs/job-kind";
import {
  RUNNABLE_JOB_STATES,
  forgetPauses,
  pauseJob,
  storageStillFailing,
} from "../jobs/pause-job";
import { describeStorageFault } from "@/server/storage/describe-storage-fault";
import { storeBlob } from "../storage/blob-references";
import { toSafeFileName } from "@/server/archive";
import { renderFileName } from "./file-name-template";
import { normaliseFetchedFile } from "./normalise-fetched-file";
import { startExportsAfterReportRun } from "../tables/export-after-run";

export const REPORT_RUN_QUEUE = "report-run.run";
export type TReportRunMessage = { jobId: string };
export type TReportRunOptions = {
  maxConcurrency: number;
  maxAttempts: number;
  /** file destinations the run's files go to once it ends */
  deliverTo?: string[];
};

const MAX_RETRY_DELAY_MS = 10 * 60_000;

type TClaimedItem = { id: string; reportId: string | null; reportName: string; attempts: number };
/** Items whose outcome could not be written (the database refused): back in line at the next run. */
const unrecordedItems = new Map<string, Set<string>>();

/**
 * The worker side of a report run: fetches its reports, a few at a time, and retries each with
 * growing waits until it succeeds or reaches the run's attempt limit. The run's attempts are the
 * report's one retry budget: inside an attempt no request is repeated (a sign-in renewed on expiry
 * aside), and the wait before the next attempt is the server's Retry-After when it sent one.
 * Every attempt and every request of it is recorded. Like image batches it is safe to run again:
 * items are claimed with an atomic state change.
 *
 * When our side fails (the temp folder or the store cannot take a file, the database refuses
 * writes) no report is failed or charged an attempt for it: the report goes back in line and the
 * run pauses with the reason on its page, and resumes by itself, as image batches do.
 */
export async function runReportJob(jobId: string, queueSignal: AbortSignal): Promise<void> {
  const job = await db.job.findUnique({ where: { id: jobId } });
  if (!job || !RUNNABLE_JOB_STATES.includes(job.status)) {
    forgetPauses(jobId);
    return;
  }
  const options = JSON.parse(job.options) as TReportRunOptions;
  const running = trackRunningJob(jobId, queueSignal);
  // the run's lease and those of the reports this run is fetching (an export may take longer than
  // a lease), and no others: a dead worker's run out, and its reports go back in line
  const held = new Set<string>();
  const renewLease = () => {
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + ITEM_LEASE_MS);
    return db.$transaction([
      db.job.update({ where: { id: jobId }, data: { leaseUntil } }),
      db.reportRunItem.updateMany({
        where: { id: { in: [...held] }, state: "running", leaseUntil: { gt: now } },
        data: { leaseUntil },
      }),
    ]);
  };
  const heartbeat = setInterval(
    () => void renewLease().catch(() => undefined),
    ITEM_LEASE_RENEW_MS,
  );
  let fault: string | null = null;
  try {
    fault = job.status === "paused" ? await storageStillFailing() : null;
    if (!fault) fault = await runOnce(jobId, job.startedAt, options, held, running.signal);
  } catch (error) {
    logger.error({ jobId, err: error }, "the report run stopped");
    fault = describeStorageFault(error);
  } finally {
    clearInterval(heartbeat);
  }
  try {
    if (running.signal.aborted) {
      forgetPauses(jobId);
      unrecordedItems.delete(jobId);
      return;
    }
    if (!fault) {
      try {
        await finishRun(jobId);
        forgetPauses(jobId);
        return;
      } catch (error) {
        fault = describeStorageFault(error);
      }
    }
    await pauseJob(jobId, fault, REPORT_RUN_QUEUE);
  } finally {
    running.done();
  }
}

/** One pass over the run's due reports; returns why our side had to stop it early, or null. */
async function runOnce(
  jobId: string,
  startedAt: Date | null,
  options: TReportRunOptions,
  held: Set<string>,
  signal: AbortSignal,
): Promise<string | null> {
  const { count } = await db.job.updateMany({
    where: { id: jobId, status: { in: RUNNABLE_JOB_STATES } },
    data: {
      status: "running",
      startedAt: startedAt ?? new Date(),
      leaseUntil: new Date(Date.now() + ITEM_LEASE_MS),
      pausedReason: null,
      resumeAt: null,
    },
  });
  if (count === 0) return null; // cancelled or deleted meanwhile
  // results this process could not write go back in line, their attempt not counted
  const unrecorded = [...(unrecordedItems.get(jobId) ?? [])];
  if (unrecorded.length > 0) {
    await db.reportRunItem.updateMany({
      where: { id: { in: unrecorded }, state: "running" },
      data: { state: "pending", attempts: { decrement: 1 }, leaseUntil: null },
    });
    unrecordedItems.delete(jobId);
  }
  await releaseExpiredItems(jobId);
  publishJobChange({ jobId, productIds: [], isStatusChange: true });
  return fetchAll(jobId, options, held, signal);
}

/** What a dead worker held goes back in line; its attempt stays counted. */
function releaseExpiredItems(jobId: string) {
  const now = new Date();
  return db.reportRunItem.updateMany({
    where: { jobId, state: "running", OR: [{ leaseUntil: { lt: now } }, { leaseUntil: null }] },
    data: { state: "waiting_retry", leaseUntil: null, nextAttemptAt: now },
  });
}

async function fetchAll(
  jobId: string,
  options: TReportRunOptions,
  held: Set<string>,
  signal: AbortSignal,
): Promise<string | null> {
  let active = 0;
  let wake: () => void = () => {};
  /** a fetch ended (or a fault came) since the loop last looked: look again before waiting */
  let hasNews = false;
  const notify = () => {
    hasNews = true;
    wake();
  };
  let fault: string | null = null;
  const stop = (reason: string) => {
    fault ??= reason;
    notify();
  };
  // shutting down: the fetches in flight finish, no report is claimed
  const draining = drainSignal();
  draining.addEventListener("abort", notify);
  while (!signal.aborted && !fault) {
    hasNews = false;
    const free = draining.aborted ? 0 : options.maxConcurrency - active;
    let claimed: TClaimedItem[];
    try {
      claimed = free > 0 ? await claimDueItems(jobId, free) : [];
    } catch (error) {
      stop(describeStorageFault(error));
      break;
    }
    for (const item of claimed) {
      active++;
      held.add(item.id);
      void fetchOne(jobId, item, options, signal, stop)
        .catch((error: unknown) => {
          logger.error({ jobId, itemId: item.id, err: error }, "report item failed to record");
          const items = unrecordedItems.get(jobId) ?? new Set<string>();
          unrecordedItems.set(jobId, items.add(item.id));
          stop(describeStorageFault(error));
        })
        .finally(() => {
          active--;
          held.delete(item.id);
          notify();
        });
    }
    if (claimed.length > 0) continue;
    if (draining.aborted) {
      if (active === 0) break;
      // a fetch that ended since the loop looked has said so already
      if (!hasNews) await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    let nextRetry: { nextAttemptAt: Date | null } | null;
    let heldElsewhere: { leaseUntil: Date | null } | null = null;
    try {
      nextRetry = await db.reportRunItem.findFirst({
        where: { jobId, state: "waiting_retry" },
        orderBy: { nextAttemptAt: "asc" },
        select: { nextAttemptAt: true },
      });
      // reports another worker took: a live one records them, a dead one's lease runs out and
      // they come back here, or the run would never end
      if (active === 0)
        heldElsewhere = await db.reportRunItem.findFirst({
          where: { jobId, state: "running" },
          orderBy: { leaseUntil: "asc" },
          select: { leaseUntil: true },
        });
    } catch (error) {
      stop(describeStorageFault(error));
      break;
    }
    // a fetch that ended meanwhile may have put its report back in line
    if (hasNews) continue;
    if (active === 0 && !nextRetry && !heldElsewhere) break;
    const wakeAt = [nextRetry?.nextAttemptAt, heldElsewhere?.leaseUntil]
      .filter((at): at is Date => at instanceof Date)
      .map((at) => at.getTime());
    // with nothing to wait for but the fetches in flight, one of them ending wakes the loop
    const waitMs =
      wakeAt.length > 0 ? Math.max(0, Math.min(...wakeAt) - Date.now()) : MAX_RETRY_DELAY_MS;
    const retryWait = pauseUntil(Math.min(waitMs, MAX_RETRY_DELAY_MS) + 5, signal);
    wake = retryWait.wake;
    await retryWait.done;
    if (heldElsewhere)
      await releaseExpiredItems(jobId).catch((error: unknown) => stop(describeStorageFault(error)));
  }
  while (active > 0) await new Promise<void>((resolve) => (wake = resolve));
  draining.removeEventListener("abort", notify);
  return fault;
}

async function claimDueItems(jobId: string, limit: number): Promise<TClaimedItem[]> {
  const now = new Date();
  const due = await db.reportRunItem.findMany({
    where: {
      jobId,
      OR: [{ state: "pending" }, { state: "waiting_retry", nextAttemptAt: { lte: now } }],
    },
    orderBy: { position: "asc" },
    take: limit,
    select: { id: true },
  });
  if (due.length === 0) return [];
  // the state guard makes the claim atomic against a second worker or a cancel
  return db.reportRunItem.updateManyAndReturn({
    where: { id: { in: due.map((d) => d.id) }, state: { in: ["pending", "waiting_retry"] } },
    data: {
      state: "running",
      attempts: { increment: 1 },
      leaseUntil: new Date(now.getTime() + ITEM_LEASE_MS),
      startedAt: now,
      nextAttemptAt: null,
    },
    select: { id: true, reportId: true, reportName: true, attempts: true },
  });
}

type TStoredFile = {
  fileName: string;
  rows: number | null;
  bytes: number;
  sha256: string;
  crc32: number;
};

/** What a successful attempt stored: its files (one, or one per query) and what was noticed. */
type TStoredReport = {
  files: TStoredFile[];
  isTruncated: boolean;
  notes: string[];
};

async function fetchOne(
  jobId: string,
  item: TClaimedItem,
  options: TReportRunOptions,
  signal: AbortSignal,
  onOurSideFault: (reason: string) => void,
) {
  const startedAt = new Date();
  publishJobChange({ jobId, productIds: [item.id] });
  let stored: TStoredReport | null = null;
  let failure: ConnectorError | null = null;
  const requests: TRequestRecord[] = [];
  try {
    stored = await fetchAndStore(jobId, item, signal, (request) => requests.push(request));
  } catch (error) {
    const isOurSide = error instanceof ConnectorError && error.options.isOurSide === true;
    if (signal.aborted || isOurSide) {
      // shutdown, cancel or our own fault: the attempt did not count as the report's fault
      if (isOurSide) onOurSideFault(error.message);
      await db.reportRunItem.updateMany({
        where: { id: item.id, state: "running" },
        data: { state: "pending", attempts: { decrement: 1 }, leaseUntil: null },
      });
      return;
    }
    failure =
      error instanceof ConnectorError
        ? error
        : new ConnectorError(`unexpected error: ${(error as Error).message}`, {
            isRetryable: true,
          });
    if (!(error instanceof ConnectorError))
      logger.error({ jobId, itemId: item.id, err: error }, "report fetch failed");
  }

  const finishedAt = new Date();
  const retry = failure ? planRetry(failure, item.attempts, options.maxAttempts) : null;
  if (retry?.failure) failure = retry.failure;
  const canRetry = retry !== null && retry.waitMs !== null;
  // One array transaction, each statement guarding itself: an interactive one would hold the
  // single SQLite connection open across awaits, and other jobs' writes would land inside it.
  const isNow = { id: item.id, state: "succeeded", attempts: item.attempts };
  const files = stored?.files.map((file, position) => [
    randomUUID(),
    position,
    file.fileName,
    file.sha256,
    file.bytes,
    file.rows,
    file.crc32 | 0,
  ]);
  await db.$transaction([
    db.reportAttempt.create({
      data: {
        itemId: item.id,
        attempt: item.attempts,
        startedAt,
        finishedAt,
        outcome: failure ? "failed" : "succeeded",
        httpStatus: failure?.options.httpStatus ?? null,
        error: failure?.message ?? null,
        waitMs: canRetry ? retry.waitMs : null,
        isRetryAfter: canRetry && retry.isRetryAfter,
        requests: {
          create: requests.map((request, position) => ({
            position,
            method: request.method,
            url: request.url,
            httpStatus: request.httpStatus,
            error: request.error,
            startedAt: new Date(request.startedAt),
            durationMs: Math.round(request.durationMs),
          })),
        },
      },
    }),
    db.reportRunItem.updateMany({
      // a cancel that came first is never overwritten
      where: { id: item.id, state: "running" },
      data: stored
        ? {
            state: "succeeded",
            rows: sumOrNull(stored.files.map((file) => file.rows)),
            bytes: stored.files.reduce((sum, file) => sum + file.bytes, 0),
            isTruncated: stored.isTruncated,
            note: stored.notes.join("; ") || null,
            error: null,
            leaseUntil: null,
            finishedAt,
          }
        : {
            state: canRetry ? "waiting_retry" : "failed",
            error: failure!.message,
            leaseUntil: null,
            nextAttemptAt: canRetry ? new Date(finishedAt.getTime() + retry.waitMs!) : null,
            finishedAt: canRetry ? null : finishedAt,
          },
    }),
    // only when this attempt's success was written (not when a cancel came first): its files
    // replace those of an earlier success, which went missing from the store
    ...(files
      ? [
          db.reportRunFile.deleteMany({ where: { itemId: item.id, item: isNow } }),
          db.$executeRaw`
            INSERT INTO "ReportRunFile"
              ("id", "itemId", "position", "fileName", "sha256", "bytes", "rows", "crc32")
            SELECT "value"->>0, ${item.id}, CAST("value"->>1 AS INTEGER), "value"->>2, "value"->>3,
              CAST("value"->>4 AS INTEGER), CAST("value"->>5 AS INTEGER), CAST("value"->>6 AS INTEGER)
            FROM ${jsonRows(JSON.stringify(files))}
            WHERE EXISTS (SELECT 1 FROM "ReportRunItem"
              WHERE "id" = ${item.id} AND "state" = 'succeeded' AND "attempts" = ${item.attempts})`,
        ]
      : []),
    // a cancel that came first (from another process, before its stop reached this fetch) is
    // what happened to this attempt: it is logged as cancelled, not as the success it would be
    db.$executeRaw`
      UPDATE "ReportAttempt" SET "outcome" = 'cancelled', "error" = 'cancelled', "waitMs" = NULL,
        "isRetryAfter" = false
      WHERE "itemId" = ${item.id} AND "attempt" = ${item.attempts}
        AND EXISTS (SELECT 1 FROM "ReportRunItem" WHERE "id" = ${item.id} AND "state" = 'cancelled')`,
  ]);
  publishJobChange({ jobId, productIds: [item.id] });
}

/**
 * Whether a failed attempt gets another, and after how long: the server's Retry-After when it sent
 * one (a wait beyond what a run waits makes the failure final, saying so), else a backoff that
 * doubles per attempt. `failure` replaces the attempt's error when the plan changes its words.
 */
function planRetry(
  failure: ConnectorError,
  attempt: number,
  maxAttempts: number,
): { waitMs: number | null; isRetryAfter: boolean; failure?: ConnectorError } {
  if (!failure.isRetryable || attempt >= maxAttempts) return { waitMs: null, isRetryAfter: false };
  const asked = failure.options.retryAfterMs;
  if (asked !== undefined) {
    if (asked <= MAX_RETRY_DELAY_MS) return { waitMs: asked, isRetryAfter: true };
    return {
      waitMs: null,
      isRetryAfter: false,
      failure: new ConnectorError(
        `${failure.message}; the server asks to wait ${formatWait(asked)} before trying again, longer than a run waits`,
        { ...failure.options, isRetryable: false },
      ),
    };
  }
  const backoff =
    env.REPORT_RETRY_BASE_SECONDS * 1000 * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4);
  return { waitMs: Math.round(Math.min(backoff, MAX_RETRY_DELAY_MS)), isRetryAfter: false };
}

function formatWait(ms: number): string {
  return ms < 120_000 ? formatSeconds(ms) : `${Math.round(ms / 60_000)} min`;
}

async function fetchAndStore(
  jobId: string,
  item: TClaimedItem,
  signal: AbortSignal,
  onRequest: (request: TRequestRecord) => void,
): Promise<TStoredReport> {
  const report = item.reportId
    ? await db.report.findUnique({ where: { id: item.reportId } })
    : null;
  if (!report) throw new ConnectorError("this report was deleted after the run started");
  const connection = await loadConnection(report.connectorId);
  const kind = sourceKind(connection.kind);
  const parsed = kind.querySchema.safeParse(JSON.parse(report.query));
  // waiting cannot mend a saved query this release no longer reads: no attempt is retried for it
  if (!parsed.success)
    throw new ConnectorError(
      `the report's saved query is not valid any more (${parsed.error.issues[0]?.message ?? "unreadable"}); edit the report`,
    );
  const query = parsed.data;
  const runtime = getRuntime();
  const fetched = await kind.fetchReport(connection, query, {
    // the run's attempts are the retry budget: no request is repeated inside one
    http: runtime.connectorHttp.withOptions({ retry: "never", onRequest }),
    sessions: runtime.connectorSessions,
    tempDir: runtime.scratchDir,
    signal,
  });
  const notes = [...(fetched.notes ?? [])];
  const fileName = renderFileName(report.fileNameTemplate, {
    report: report.name,
    date: new Date(),
    runId: jobId,
    extension: fetched.format,
  });
  const files: TStoredFile[] = [];
  try {
    for (const file of fetched.files) {
      const stored = await storeFetchedFile(jobId, fetched, file.path);
      notes.push(...stored.notes.map((note) => (file.label ? `${file.label}: ${note}` : note)));
      files.push({ ...stored.file, fileName: labelled(fileName, file.label) });
    }
  } catch (error) {
    // a file we could not write or a row we could not insert is our fault, not the report's
    if (error instanceof ConnectorError) throw error;
    throw new ConnectorError(describeStorageFault(error), { isOurSide: true });
  } finally {
    for (const file of fetched.files) fs.rmSync(file.path, { force: true });
  }
  return { files, isTruncated: fetched.isTruncated ?? false, notes };
}

/** "Sales_2026-12-05.csv" with the label "query_2": "Sales_2026-12-05_query_2.csv". */
function labelled(fileName: string, label: string | null): string {
  if (!label) return fileName;
  const dot = fileName.lastIndexOf(".");
  const name =
    dot > 0 ? `${fileName.slice(0, dot)}_${label}${fileName.slice(dot)}` : `${fileName}_${label}`;
  // the label comes from the system's ZIP: a name there is not trusted as a path
  return toSafeFileName(name, fileName);
}

function sumOrNull(values: (number | null)[]): number | null {
  return values.some((value) => value === null)
    ? null
    : values.reduce<number>((sum, value) => sum + value!, 0);
}

/** One raw file checked (and a CSV normalised to UTF-8), then moved into the store. */
async function storeFetchedFile(
  jobId: string,
  fetched: TFetchedReport,
  rawPath: string,
): Promise<{ file: Omit<TStoredFile, "fileName">; notes: string[] }> {
  const finalPath = `${rawPath}.final`;
  try {
    const summary = await normaliseFetchedFile(fetched, rawPath, finalPath);
    await storeBlob({ jobId, tempPath: finalPath, sha256: summary.sha256 });
    const { rows, bytes, sha256, crc32, notes } = summary;
    return { file: { rows, bytes, sha256, crc32 }, notes };
  } finally {
    fs.rmSync(finalPath, { force: true });
  }
}

async function finishRun(jobId: string): Promise<void> {
  const counts = await db.reportRunItem.groupBy({
    by: ["state"],
    where: { jobId },
    _count: { _all: true },
  });
  const count = (state: string) => counts.find((c) => c.state === state)?._count._all ?? 0;
  if (count("pending") + count("running") + count("waiting_retry") > 0) return;
  const failed = count("failed");
  const succeeded = count("succeeded");
  const status = finalJobStatus(succeeded, failed);
  if (await markJobFinished(jobId, status)) {
    logger.info({ jobId, status, failed, succeeded }, "report run finished");
    if (succeeded > 0) await startExportsAfterReportRun(jobId);
  }
}
