import "server-only";
import { db } from "@/server/db";
import { DownloadError, type ImageDownloadResult } from "@/server/downloads";
import { publishJobChange } from "@/server/jobs/progress";
import { trackRunningJob } from "@/server/jobs/running-jobs";
import { logger } from "@/server/logger";
import { getRuntime } from "@/server/runtime";
import {
  claimPendingItems,
  recordItemOutcomes,
  releaseClaims,
  type TClaimedItem,
  type TItemOutcomeRow,
} from "./item-rows";
import { finalJobStatus, markJobFinished } from "../jobs/finish-job";

export const IMAGE_BATCH_QUEUE = "image-batch.run";
export type TImageBatchMessage = { jobId: string };

/** How long a claimed item belongs to this worker before another may take it over. */
const LEASE_MS = 10 * 60_000;
const FLUSH_EVERY_MS = 100;
const FLUSH_AT_RESULTS = 250;
/** First wait before a job whose results could not be written runs again; doubles up to the max. */
export const RESUME_FIRST_DELAY_MS = 5_000;
const RESUME_MAX_DELAY_MS = 5 * 60_000;
const resumeDelays = new Map<string, number>();

type TItemOutcome = { item: TClaimedItem; result: ImageDownloadResult };

/**
 * The worker side of an image batch. Safe to run again at any time: items are claimed with an
 * atomic state change, and results are written only onto items still claimed, so a restart or a
 * second delivery can delay an item but never lose or double it.
 */
export async function runBatchJob(jobId: string, queueSignal: AbortSignal): Promise<void> {
  const job = await db.job.findUnique({ where: { id: jobId }, select: { status: true } });
  if (!job || (job.status !== "queued" && job.status !== "running")) return;

  const running = trackRunningJob(jobId, queueSignal);
  const controller = { signal: running.signal };
  try {
    await db.job.update({
      where: { id: jobId },
      data: { status: "running", startedAt: job.status === "queued" ? new Date() : undefined },
    });
    publishJobChange({ jobId, productIds: [], isStatusChange: true });
    await releaseExpiredLeases(jobId);
    const { isWriteFailed } = await downloadPendingItems(jobId, controller.signal);
    if (controller.signal.aborted) return;
    if (isWriteFailed) scheduleResume(jobId);
    else {
      resumeDelays.delete(jobId);
      await finishJob(jobId);
    }
  } finally {
    running.done();
  }
}

/**
 * Results that could not be written (disk full, database locked too long) were put back in line;
 * the job stays "running" and tries again later, so it neither hangs nor fails items that did download.
 */
function scheduleResume(jobId: string): void {
  const delay = resumeDelays.get(jobId) ?? RESUME_FIRST_DELAY_MS;
  resumeDelays.set(jobId, Math.min(delay * 2, RESUME_MAX_DELAY_MS));
  logger.warn({ jobId, retryInMs: delay }, "results could not be recorded; the job resumes later");
  setTimeout(() => {
    getRuntime()
      .queue.enqueue(IMAGE_BATCH_QUEUE, { jobId }, { key: jobId })
      .catch((error: unknown) => logger.error({ jobId, err: error }, "could not resume the job"));
  }, delay).unref();
}

async function releaseExpiredLeases(jobId: string): Promise<void> {
  await db.imageItem.updateMany({
    where: { jobId, state: "downloading", leaseUntil: { lt: new Date() } },
    data: { state: "pending", leaseUntil: null },
  });
}

async function downloadPendingItems(
  jobId: string,
  signal: AbortSignal,
): Promise<{ isWriteFailed: boolean }> {
  const { downloads, blobs, downloadLimits } = getRuntime();
  // Enough work in flight that the engine's limiter never starves, without claiming the whole job.
  const window = Math.max(16, downloadLimits.maxGlobalConcurrency * 3);
  const seenByProduct = await loadStoredHashes(jobId);
  const writer = createOutcomeWriter(jobId, seenByProduct);
  let inFlight = 0;
  let wake: () => void = () => {};

  try {
    while (!signal.aborted) {
      if (inFlight <= window / 2) {
        const claimed = await claimPendingItems(
          jobId,
          window - inFlight,
          new Date(Date.now() + LEASE_MS),
        );
        for (const item of claimed) {
          inFlight++;
          void downloadItem(item)
            .then((outcome) => writer.add(outcome))
            .finally(() => {
              inFlight--;
              wake();
            });
        }
        if (claimed.length === 0 && inFlight === 0) break;
        if (claimed.length > 0 && inFlight <= window / 2) continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
    while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
  } finally {
    await writer.close();
  }
  return { isWriteFailed: writer.unwritten.length > 0 };

  async function downloadItem(item: TClaimedItem): Promise<TItemOutcome> {
    try {
      const result = await downloads.downloadImage(item.url, blobs.tempDir, { signal });
      if (result.ok) await blobs.putFile(result.tempPath, result.sha256);
      return { item, result };
    } catch (error) {
      // our side failed (disk full, store gone): the item fails with that reason instead of hanging
      logger.error({ jobId, itemId: item.id, err: error }, "could not store a download");
      const message = `could not store the file: ${(error as Error).message}`;
      return {
        item,
        result: { ok: false, error: new DownloadError("network", message), attempts: 1 },
      };
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

/** Collects outcomes and writes them in small transactions, a few times a second, then tells listeners. */
function createOutcomeWriter(jobId: string, seenByProduct: Map<string, Set<string>>) {
  let pending: TItemOutcome[] = [];
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();
  /** outcomes whose write failed; tried once more at close, then their items go back in line */
  let unwritten: TItemOutcome[] = [];

  function scheduleFlush() {
    if (pending.length >= FLUSH_AT_RESULTS) void flush();
    else timer ??= setTimeout(() => void flush(), FLUSH_EVERY_MS);
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return flushing;
    flushing = flushing
      .then(() => writeOutcomes(jobId, batch, seenByProduct))
      .catch((error: unknown) => {
        logger.error({ jobId, err: error }, "could not record download results");
        unwritten.push(...batch);
      });
    return flushing;
  }

  return {
    add(outcome: TItemOutcome) {
      pending.push(outcome);
      scheduleFlush();
    },
    async close() {
      await flush();
      if (unwritten.length === 0) return;
      const retry = unwritten;
      unwritten = [];
      try {
        await writeOutcomes(jobId, retry, seenByProduct);
      } catch (error) {
        unwritten = retry;
        logger.error({ jobId, err: error, items: retry.length }, "results still not recorded");
        await releaseClaims(retry.map((o) => o.item.id)).catch((releaseError: unknown) =>
          // the next start of the worker releases them instead
          logger.error({ jobId, err: releaseError }, "could not put the items back in line"),
        );
      }
    },
    get unwritten() {
      return unwritten;
    },
  };
}

async function writeOutcomes(
  jobId: string,
  batch: TItemOutcome[],
  seenByProduct: Map<string, Set<string>>,
): Promise<void> {
  const finishedAt = new Date();
  // hashes become "seen" only once written: a failed write is retried with the same verdicts
  const storedNow: Array<{ productId: string; sha256: string }> = [];
  const isSeen = (productId: string, sha256: string) =>
    seenByProduct.get(productId)?.has(sha256) ||
    storedNow.some((s) => s.productId === productId && s.sha256 === sha256);
  const rows = batch.map(({ item, result }): TItemOutcomeRow => {
    if (!result.ok) {
      // our own abort (shutdown) puts the item back in line; anything else is its final answer
      const isShutdown = result.error.kind === "cancelled";
      return {
        id: item.id,
        state: isShutdown ? "pending" : "failed",
        attempts: result.attempts,
        httpStatus: result.httpStatus ?? null,
        contentType: null,
        extension: null,
        bytes: null,
        sha256: null,
        crc32: null,
        error: isShutdown ? null : result.error.message,
        finishedAt: isShutdown ? null : finishedAt,
      };
    }
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
      finishedAt,
    };
  });
  await recordItemOutcomes(rows);
  for (const { productId, sha256 } of storedNow) {
    const seen = seenByProduct.get(productId) ?? new Set<string>();
    seenByProduct.set(productId, seen);
    seen.add(sha256);
  }
  publishJobChange({ jobId, productIds: [...new Set(batch.map((o) => o.item.productId))] });
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
