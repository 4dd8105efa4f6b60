import "server-only";
import { setMaxListeners } from "node:events";
import { rm } from "node:fs/promises";
import { db } from "@/server/db";
import type { HeldImageDownloadResult } from "@/server/downloads";
import { forgetJobActivity, recordFinishedImages, trackDownload } from "@/server/jobs/job-activity";
import { publishJobChange } from "@/server/jobs/progress";
import { drainSignal, trackRunningJob } from "@/server/jobs/running-jobs";
import { logger } from "@/server/logger";
import { getRuntime } from "@/server/runtime";
import { describeStorageFault } from "@/server/storage/describe-storage-fault";
import {
  claimPendingItems,
  hasSharedUrls,
  recordItemOutcomes,
  releaseClaims,
  type TClaimedItem,
  type TItemOutcomeRow,
} from "./item-rows";
import { finalJobStatus, markJobFinished } from "../jobs/finish-job";
import { ITEM_LEASE_MS, ITEM_LEASE_RENEW_MS, pauseUntil } from "../jobs/job-kind";
import {
  RUNNABLE_JOB_STATES,
  forgetPauses,
  pauseJob,
  storageStillFailing,
} from "../jobs/pause-job";
import type { TIncomingBlob } from "@/server/storage/blob-store";
import { addBlobReferences } from "../storage/blob-references";
import { imageOptionsOf, type TImageConversion } from "@/server/batches/image-batch-options";
import { convertImage, type TConversionResult } from "@/server/images/convert-image";

export const IMAGE_BATCH_QUEUE = "image-batch.run";
export type TImageBatchMessage = { jobId: string };

const FLUSH_EVERY_MS = 100;
const FLUSH_AT_RESULTS = 250;
/** Downloads kept in memory that start a write of results (about 300 images of 55 KB)... */
const FLUSH_AT_HELD_BYTES = 16 << 20;
/** ...and that stop new claims until a write frees them: a slow disk must not fill the memory. */
const MAX_HELD_BYTES = 64 << 20;
/** Claims a failed run could not put back in line; the job's next run here releases them first. */
const unreleasedClaims = new Map<string, string[]>();

export type TBatchRunOptions = {
  /**
   * Awaited by every write of results after its files are moved into the store and before its rows
   * are written: a test holds a write there to land a delete in between.
   */
  beforeRecording?: () => Promise<void>;
  /** Downloaded bytes held in memory before new claims wait for a write (64 MB). */
  maxHeldBytes?: number;
  /** How often the leases of the items in flight are renewed (30 s). */
  leaseRenewMs?: number;
};

type TItemOutcome =
  /**
   * a download: a good one's bytes wait (in memory, or a temp file) until its results are written;
   * in a batch that converts images, with the conversion's result (the items of a group share it)
   */
  | { item: TClaimedItem; result: HeldImageDownloadResult; conversion?: TConversionResult }
  /** our side failed (the store, the database): the item goes back in line, not failed */
  | { item: TClaimedItem; isRequeued: true };

/**
 * The worker side of an image batch. Safe to run again at any time: items are claimed with an
 * atomic state change, and results are written only onto items still claimed, so a restart or a
 * second delivery can delay an item but never lose or double it.
 *
 * When our side fails (storage not writable, the database refusing writes) no item is failed for
 * it: the items go back in line and the job pauses, with the reason on its page, and resumes by
 * itself with a growing wait once a probe file can be stored again. Whatever stops a run, the job
 * is left finished, paused with a resume on its way, or cancelled: never "running" with nothing
 * working on it.
 */
export async function runBatchJob(
  jobId: string,
  queueSignal: AbortSignal,
  options: TBatchRunOptions = {},
): Promise<void> {
  const job = await db.job.findUnique({
    where: { id: jobId },
    select: { status: true, options: true },
  });
  if (!job || !RUNNABLE_JOB_STATES.includes(job.status)) {
    forgetPauses(jobId);
    unreleasedClaims.delete(jobId);
    return;
  }

  const running = trackRunningJob(jobId, queueSignal);
  try {
    const { conversion } = imageOptionsOf(job.options);
    const fault = await runOnce(jobId, job.status, running.signal, options, conversion);
    if (running.signal.aborted) {
      // cancelled or deleted: no later run of this job releases what this one could not
      unreleasedClaims.delete(jobId);
      return;
    }
    if (fault) await pauseJob(jobId, fault, IMAGE_BATCH_QUEUE);
    else {
      forgetPauses(jobId);
      unreleasedClaims.delete(jobId);
      await finishJob(jobId);
    }
  } catch (error) {
    if (running.signal.aborted) {
      unreleasedClaims.delete(jobId);
      return;
    }
    logger.error({ jobId, err: error }, "the image batch stopped");
    await pauseJob(jobId, describeStorageFault(error), IMAGE_BATCH_QUEUE);
  } finally {
    forgetJobActivity(jobId);
    running.done();
  }
}

/** One pass over the job's waiting items; returns why it had to stop early, or null. */
async function runOnce(
  jobId: string,
  status: string,
  signal: AbortSignal,
  options: TBatchRunOptions,
  conversion: TImageConversion | null,
): Promise<string | null> {
  if (status === "paused") {
    const stillFailing = await storageStillFailing();
    if (stillFailing) return stillFailing;
  }
  const leftover = unreleasedClaims.get(jobId);
  if (leftover) {
    await releaseClaims(leftover);
    unreleasedClaims.delete(jobId);
  }
  const { count } = await db.job.updateMany({
    where: { id: jobId, status: { in: RUNNABLE_JOB_STATES } },
    data: {
      status: "running",
      startedAt: status === "queued" ? new Date() : undefined,
      pausedReason: null,
      resumeAt: null,
    },
  });
  if (count === 0) return null; // cancelled or deleted meanwhile
  publishJobChange({ jobId, productIds: [], isStatusChange: true });
  await releaseExpiredLeases(jobId);
  return downloadPendingItems(jobId, signal, options, conversion);
}

async function releaseExpiredLeases(jobId: string): Promise<void> {
  await db.imageItem.updateMany({
    where: {
      jobId,
      state: "downloading",
      OR: [{ leaseUntil: { lt: new Date() } }, { leaseUntil: null }],
    },
    data: { state: "pending", leaseUntil: null },
  });
}

/**
 * Renews the leases of the items this run holds, and only those: when the queue hands a job on
 * from a worker it thought dead, the items that worker held must be let run out, not kept alive.
 */
async function renewLeases(itemIds: Iterable<string>): Promise<void> {
  const ids = [...itemIds];
  if (ids.length === 0) return;
  const now = new Date();
  await db.imageItem.updateMany({
    where: { id: { in: ids }, state: "downloading", leaseUntil: { gt: now } },
    data: { leaseUntil: new Date(now.getTime() + ITEM_LEASE_MS) },
  });
}

/** When the first lease on an item of this job that another worker holds runs out, or null. */
async function firstForeignLeaseEnd(jobId: string): Promise<Date | null> {
  const held = await db.imageItem.findFirst({
    where: { jobId, state: "downloading" },
    orderBy: { leaseUntil: "asc" },
    select: { leaseUntil: true },
  });
  return held ? (held.leaseUntil ?? new Date()) : null;
}

/** Claimed items by URL: the same URL under several products is fetched once for all of them. */
function groupByUrl(items: TClaimedItem[]): TClaimedItem[][] {
  const groups = new Map<string, TClaimedItem[]>();
  for (const item of items) {
    const group = groups.get(item.url);
    if (group) group.push(item);
    else groups.set(item.url, [item]);
  }
  return [...groups.values()];
}

async function downloadPendingItems(
  jobId: string,
  signal: AbortSignal,
  options: TBatchRunOptions,
  conversion: TImageConversion | null,
): Promise<string | null> {
  const { downloads, scratchDir, downloadLimits } = getRuntime();
  // Enough work in flight that the engine's limiter never starves, without claiming the whole job.
  // A claim is a statement: topping the window up only once half of it is free makes each claim
  // take 64 items or more at the default 32 downloads at once (about 30 with a window of 96).
  const window = Math.max(16, downloadLimits.maxGlobalConcurrency * 4);
  const seenByProduct = await loadStoredHashes(jobId);
  const claimOptions = { hasSharedUrls: await hasSharedUrls(jobId) };
  // a fault stops new claims and the downloads in flight: their items go back in line
  const pause = new AbortController();
  const downloadSignal = AbortSignal.any([signal, pause.signal]);
  // every download in flight listens on this one signal
  setMaxListeners(0, downloadSignal);
  let fault: string | null = null;
  const stop = (error: unknown) => {
    logger.error({ jobId, err: error }, "our side failed; the job pauses");
    fault ??= describeStorageFault(error);
    pause.abort();
  };
  let inFlight = 0;
  /** the last claim found fewer items than it asked for: ask again only once nothing is in flight */
  let isDrained = false;
  let wake: () => void = () => {};
  const maxHeldBytes = options.maxHeldBytes ?? MAX_HELD_BYTES;
  const writer = createOutcomeWriter(jobId, seenByProduct, {
    onStoreFault: stop,
    beforeRecording: options.beforeRecording,
    onWritten: () => wake(),
  });

  // the items in flight stay this worker's while it lives; a dead worker's leases run out and
  // its items go back in line (releaseExpiredLeases, or a starting worker off the embedded mode)
  const held = new Set<string>();
  const renewal = setInterval(
    () =>
      void renewLeases(held).catch((error: unknown) =>
        logger.warn({ jobId, err: error }, "could not renew the leases of the images in flight"),
      ),
    options.leaseRenewMs ?? ITEM_LEASE_RENEW_MS,
  );
  // shutting down: what is in flight finishes, nothing new is claimed
  const draining = drainSignal();
  const onDrain = () => wake();
  draining.addEventListener("abort", onDrain);
  try {
    while (!downloadSignal.aborted) {
      if (draining.aborted && inFlight === 0) break;
      const free = window - inFlight;
      // at the end of a job a claim per finished download found nothing, at a statement each
      const canClaim = writer.heldBytes() < maxHeldBytes && !draining.aborted;
      if (canClaim && (isDrained ? inFlight === 0 : free >= window / 2)) {
        let claimed: TClaimedItem[];
        try {
          claimed = await claimPendingItems(
            jobId,
            free,
            new Date(Date.now() + ITEM_LEASE_MS),
            claimOptions,
          );
        } catch (error) {
          stop(error);
          break;
        }
        isDrained = claimed.length < free;
        for (const group of groupByUrl(claimed)) {
          inFlight += group.length;
          for (const item of group) held.add(item.id);
          void downloadGroup(group)
            .then((outcomes) => writer.add(outcomes))
            .finally(() => {
              inFlight -= group.length;
              for (const item of group) held.delete(item.id);
              wake();
            });
        }
        if (claimed.length === 0 && inFlight === 0) {
          // items another worker took may still be out there: a live one records them, a dead
          // one's lease runs out and they come back here, or the job would never end
          let leaseEnd: Date | null;
          try {
            // this run's own results written first: what is still downloading is someone else's
            await writer.flush();
            leaseEnd = await firstForeignLeaseEnd(jobId);
          } catch (error) {
            stop(error);
            break;
          }
          if (!leaseEnd || draining.aborted || downloadSignal.aborted) break;
          const leaseWait = pauseUntil(leaseEnd.getTime() - Date.now() + 5, downloadSignal);
          wake = leaseWait.wake;
          await leaseWait.done;
          await releaseExpiredLeases(jobId).catch(stop);
          isDrained = false;
          continue;
        }
        if (claimed.length > 0 && !isDrained && inFlight <= window / 2) continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
    while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
  } finally {
    clearInterval(renewal);
    draining.removeEventListener("abort", onDrain);
    const { unreleased, writeError } = await writer.close();
    if (unreleased.length > 0)
      unreleasedClaims.set(jobId, [...(unreleasedClaims.get(jobId) ?? []), ...unreleased]);
    if (writeError) fault ??= describeStorageFault(writeError);
  }
  return fault;

  async function downloadGroup(items: TClaimedItem[]): Promise<TItemOutcome[]> {
    const first = items[0]!;
    const tracked = trackDownload(jobId, {
      itemIds: items.map((item) => item.id),
      productId: first.productId,
      url: first.url,
    });
    // a later attempt or a wait for one changes nothing in the rows: the page hears of it here
    const announce = () => publishJobChange({ jobId, productIds: [] });
    try {
      // the engine throws only for its sink: the temp file could not be written
      const result = await downloads.downloadImage(first.url, scratchDir, {
        signal: downloadSignal,
        keepInMemory: true,
        onAttempt: (attempt) => {
          tracked.attemptStarts(attempt);
          if (attempt > 1) announce();
        },
        onRetryWait: (_attempt, error, delayMs) => {
          tracked.waitsForRetry(error.message, delayMs);
          announce();
        },
      });
      if (!conversion || !result.ok) return items.map((item) => ({ item, result }));
      // converted here, while the download's bytes are at hand: the sharing items get one copy
      const converted = await convertImage(
        result.heldBody ? { data: result.heldBody.data } : { tempPath: result.tempPath },
        conversion,
        scratchDir,
      );
      return items.map((item) => ({ item, result, conversion: converted }));
    } catch (error) {
      stop(error);
      return items.map((item) => ({ item, isRequeued: true as const }));
    } finally {
      tracked.ends();
    }
  }
}

/** SHA-256 of every image already stored per product, so equal bytes become a duplicate, not a second file. */
async function loadStoredHashes(jobId: string): Promise<Map<string, Set<string>>> {
  const rows = await db.imageItem.findMany({
    where: { jobId, state: "downloaded" },
    select: { productId: true, sha256: true },
  });
  const byProduct = new Map<string, Set<string>>();
  for (const row of rows) {
    if (!row.sha256) continue;
    const set = byProduct.get(row.productId) ?? new Set();
    set.add(row.sha256);
    byProduct.set(row.productId, set);
  }
  return byProduct;
}

type TOutcomeBatch = {
  outcomes: TItemOutcome[];
  /** bytes of its downloads kept in memory */
  heldBytes: number;
  /** files of this batch already in the store: a retried write does not move them again */
  stored: Set<string>;
};

/**
 * Collects outcomes and writes them a few times a second: first the references of their files, then
 * the files moved into the store, then the rows, so a row never names a file the store lacks and no
 * sweep takes a file between its move and its row. One write is two statements whatever its size;
 * writing references as each file finished cost a statement per 20 ms.
 */
function createOutcomeWriter(
  jobId: string,
  seenByProduct: Map<string, Set<string>>,
  hooks: {
    onStoreFault: (error: unknown) => void;
    beforeRecording?: () => Promise<void>;
    /** a write finished (or failed): the bytes it held are free */
    onWritten: () => void;
  },
) {
  let pending: TItemOutcome[] = [];
  let pendingHeldBytes = 0;
  /** held by results not yet written, pending or in a write */
  let heldBytes = 0;
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();
  /** batches whose write failed; tried once more at close, then their items go back in line */
  let unwritten: TOutcomeBatch[] = [];
  let writeError: unknown = null;
  const write = (batch: TOutcomeBatch) => writeOutcomes(jobId, batch, seenByProduct, hooks);

  function scheduleFlush() {
    if (pending.length >= FLUSH_AT_RESULTS || pendingHeldBytes >= FLUSH_AT_HELD_BYTES) void flush();
    else timer ??= setTimeout(() => void flush(), FLUSH_EVERY_MS);
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch: TOutcomeBatch = {
      outcomes: pending,
      heldBytes: pendingHeldBytes,
      stored: new Set(),
    };
    pending = [];
    pendingHeldBytes = 0;
    if (batch.outcomes.length === 0) return flushing;
    flushing = flushing
      .then(() => write(batch))
      .catch((error: unknown) => {
        logger.error({ jobId, err: error }, "could not record download results");
        unwritten.push(batch);
        // our side cannot keep results: stop fetching more until it can
        hooks.onStoreFault(error);
      })
      .finally(() => {
        // a failed write's batch waits for close(): the job is stopping, and claims no more
        heldBytes -= batch.heldBytes;
        hooks.onWritten();
      });
    return flushing;
  }

  return {
    /** The outcomes of one download (the items of a group share it). */
    add(outcomes: TItemOutcome[]) {
      const first = outcomes[0];
      const bytes =
        first && "result" in first && first.result.ok
          ? (first.result.heldBody?.data.length ?? 0)
          : 0;
      pending.push(...outcomes);
      pendingHeldBytes += bytes;
      heldBytes += bytes;
      scheduleFlush();
    },
    heldBytes: () => heldBytes,
    /** Writes what has come in so far (a failed write reaches onStoreFault, not the caller). */
    flush,
    /** Writes what is left; returns the claims it could not put back and the write's error. */
    async close(): Promise<{ unreleased: string[]; writeError: unknown }> {
      await flush();
      const retry = unwritten;
      unwritten = [];
      const given: TOutcomeBatch[] = [];
      for (const batch of retry) {
        try {
          await write(batch);
        } catch (error) {
          writeError = error;
          given.push(batch);
        }
      }
      if (given.length === 0) return { unreleased: [], writeError };
      const outcomes = given.flatMap((batch) => batch.outcomes);
      logger.error(
        { jobId, err: writeError, items: outcomes.length },
        "results still not recorded",
      );
      await removeTempFiles(outcomes);
      const ids = outcomes.map((o) => o.item.id);
      try {
        await releaseClaims(ids);
        return { unreleased: [], writeError };
      } catch (releaseError) {
        logger.error({ jobId, err: releaseError }, "could not put the items back in line");
        return { unreleased: ids, writeError };
      }
    },
  };
}

/** The bytes of good downloads that will not be stored now (their items go back in line). */
async function removeTempFiles(outcomes: TItemOutcome[]): Promise<void> {
  const paths = new Set<string>();
  for (const outcome of outcomes) {
    if (!("result" in outcome) || !outcome.result.ok) continue;
    if (outcome.result.tempPath) paths.add(outcome.result.tempPath);
    const converted = convertedFileOf(outcome);
    if (converted) paths.add(converted.tempPath);
  }
  await Promise.all([...paths].map((file) => rm(file, { force: true }).catch(() => undefined)));
}

/**
 * Stores a batch's downloads, once their references are committed, in one call to the store. A
 * blob that cannot be stored is our side's fault: it is reported, and its items go back in line.
 * Returns the hashes that are in the store now.
 */
async function storeFiles(
  jobId: string,
  batch: TOutcomeBatch,
  onStoreFault: (error: unknown) => void,
): Promise<Set<string>> {
  // a group's items share one download; two URLs with the same bytes bring two downloads
  const incoming = new Map<string, TIncomingBlob>();
  const redundantFiles: string[] = [];
  for (const outcome of batch.outcomes) {
    if (!("result" in outcome) || !outcome.result.ok) continue;
    const { sha256, tempPath, heldBody } = outcome.result;
    if (batch.stored.has(sha256)) continue;
    const first = incoming.get(sha256);
    if (!first)
      incoming.set(
        sha256,
        heldBody ? { sha256, data: heldBody.data } : { sha256, tempPath: tempPath! },
      );
    else if (tempPath && !("tempPath" in first && first.tempPath === tempPath))
      redundantFiles.push(tempPath);
  }
  // converted copies are stored beside the originals, each under its own SHA-256
  for (const outcome of batch.outcomes) {
    const converted = convertedFileOf(outcome);
    if (!converted) continue;
    const { sha256, tempPath } = converted;
    const first = incoming.get(sha256);
    if (
      batch.stored.has(sha256) ||
      (first && !("tempPath" in first && first.tempPath === tempPath))
    )
      redundantFiles.push(tempPath);
    else if (!first) incoming.set(sha256, { sha256, tempPath });
  }
  if (incoming.size > 0) {
    await addBlobReferences([...incoming.keys()].map((sha256) => ({ jobId, sha256 })));
    const blobs = [...incoming.values()];
    // held bytes are moved to the store's thread: whatever happens, they are not sent twice
    const errors = await getRuntime()
      .blobs.storeMany(blobs)
      .catch((error: unknown) => blobs.map(() => error as Error));
    errors.forEach((error, i) => {
      if (error) onStoreFault(error);
      else batch.stored.add(blobs[i]!.sha256);
    });
  }
  await Promise.all(redundantFiles.map((file) => rm(file, { force: true }).catch(() => undefined)));
  return batch.stored;
}

async function writeOutcomes(
  jobId: string,
  batch: TOutcomeBatch,
  seenByProduct: Map<string, Set<string>>,
  hooks: { onStoreFault: (error: unknown) => void; beforeRecording?: () => Promise<void> },
): Promise<void> {
  const stored = await storeFiles(jobId, batch, hooks.onStoreFault);
  await hooks.beforeRecording?.();
  const finishedAt = new Date();
  // hashes become "seen" only once written: a failed write is retried with the same verdicts
  const storedNow: Array<{ productId: string; sha256: string }> = [];
  const isSeen = (productId: string, sha256: string) =>
    seenByProduct.get(productId)?.has(sha256) ||
    storedNow.some((s) => s.productId === productId && s.sha256 === sha256);
  const backInLine = (id: string, attempts: number): TItemOutcomeRow => ({
    id,
    state: "pending",
    attempts,
    httpStatus: null,
    contentType: null,
    extension: null,
    bytes: null,
    sha256: null,
    crc32: null,
    error: null,
    errorKind: null,
    isRetryable: false,
    finishedAt: null,
    converted: null,
  });
  const rows = batch.outcomes.map((outcome): TItemOutcomeRow => {
    const { item } = outcome;
    if ("isRequeued" in outcome) return backInLine(item.id, 0);
    const { result } = outcome;
    if (!result.ok) {
      // our own abort (shutdown, a pause) puts the item back in line; anything else is its final answer
      if (result.error.kind === "cancelled") return backInLine(item.id, result.attempts);
      return {
        ...backInLine(item.id, result.attempts),
        state: "failed",
        httpStatus: result.httpStatus ?? null,
        error: result.error.message,
        // the engine's verdict: a timeout or a 503 may pass later, a 404 or an HTML page will not
        errorKind: result.error.kind,
        isRetryable: result.error.retryable,
        finishedAt,
      };
    }
    // the file could not be stored: our fault, fetched again once the job resumes
    if (!stored.has(result.sha256)) return backInLine(item.id, 0);
    const { conversion } = outcome;
    if (conversion && !conversion.ok) {
      // the original stays stored and recorded; only this image fails, and fails the same way again
      return {
        ...backInLine(item.id, result.attempts),
        state: "failed",
        httpStatus: result.httpStatus,
        contentType: result.mimeType,
        extension: result.extension,
        bytes: result.bytes,
        sha256: result.sha256,
        crc32: result.crc32 | 0,
        error: conversion.error,
        errorKind: "conversion",
        finishedAt,
      };
    }
    const converted = convertedFileOf(outcome);
    if (converted && !stored.has(converted.sha256)) return backInLine(item.id, 0);
    const isDuplicate = isSeen(item.productId, result.sha256);
    if (!isDuplicate) storedNow.push({ productId: item.productId, sha256: result.sha256 });
    return {
      id: item.id,
      state: isDuplicate ? "duplicate" : "downloaded",
      attempts: result.attempts,
      httpStatus: result.httpStatus,
      contentType: result.mimeType,
      extension: result.extension,
      bytes: result.bytes,
      sha256: result.sha256,
      crc32: result.crc32 | 0,
      error: isDuplicate ? "same image as another of this product" : null,
      errorKind: null,
      isRetryable: false,
      finishedAt,
      converted: converted && {
        sha256: converted.sha256,
        bytes: converted.bytes,
        crc32: converted.crc32 | 0,
        extension: converted.extension,
      },
    };
  });
  await recordItemOutcomes(rows);
  recordFinishedImages(jobId, rows.filter((row) => row.state !== "pending").length);
  for (const { productId, sha256 } of storedNow) {
    const seen = seenByProduct.get(productId) ?? new Set<string>();
    seenByProduct.set(productId, seen);
    seen.add(sha256);
  }
  publishJobChange({
    jobId,
    productIds: [...new Set(batch.outcomes.map((o) => o.item.productId))],
  });
}

/** The converted copy an outcome brought, when its image was converted into a file. */
function convertedFileOf(outcome: TItemOutcome) {
  if (!("result" in outcome) || !outcome.result.ok) return null;
  const { conversion } = outcome;
  return conversion?.ok && conversion.tempPath !== null ? conversion : null;
}

async function finishJob(jobId: string): Promise<void> {
  const counts = await db.imageItem.groupBy({
    by: ["state"],
    where: { jobId },
    _count: { _all: true },
  });
  const count = (state: string) => counts.find((c) => c.state === state)?._count._all ?? 0;
  if (count("pending") + count("downloading") > 0) return; // another delivery of this job will finish it
  const failed = count("failed");
  const succeeded = count("downloaded") + count("duplicate");
  const status = finalJobStatus(succeeded, failed);
  if (await markJobFinished(jobId, status)) {
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    const mb = (bytes: number) => Math.round(bytes / 1048576);
    logger.info(
      {
        jobId,
        status,
        failed,
        succeeded,
        memoryMb: {
          rss: mb(rss),
          heapUsed: mb(heapUsed),
          external: mb(external),
          arrayBuffers: mb(arrayBuffers),
        },
      },
      "image batch finished",
    );
  }
}
