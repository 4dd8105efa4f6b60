import "server-only";
import { logger } from "@/server/logger";
import { getRuntime } from "@/server/runtime";
import { findReferencedHashes } from "./blob-references";

/**
 * A blob with no reference is left alone this long after it last changed. References are written
 * before files move in, so the sweep is safe without it; the grace period keeps a file that some
 * older process moved in without a reference, and leaves a deleted job's files for a while.
 */
export const SWEEP_GRACE_MS = 60 * 60_000;

let running: Promise<TSweepResult> | null = null;

export type TSweepResult = { checked: number; removed: number; removedBytes: number };

/**
 * Walks the whole store a page at a time (memory does not grow with the store) and removes every
 * blob that no reference names and that is older than the grace period: a deleted job's files,
 * and files a killed process left behind. One sweep at a time per process.
 */
export function sweepUnreferencedBlobs(
  options: { graceMs?: number; now?: () => Date } = {},
): Promise<TSweepResult> {
  running ??= sweep(options).finally(() => (running = null));
  return running;
}

async function sweep(options: { graceMs?: number; now?: () => Date }): Promise<TSweepResult> {
  const { blobs } = getRuntime();
  const graceMs = options.graceMs ?? SWEEP_GRACE_MS;
  const now = options.now ?? (() => new Date());
  const restored = await blobs.restoreSetAside();
  let checked = 0;
  let removed = 0;
  let removedBytes = 0;
  for await (const page of blobs.listBlobs()) {
    checked += page.length;
    const referenced = await findReferencedHashes(page);
    for (const sha256 of page) {
      if (referenced.has(sha256)) continue;
      const stat = await blobs.statBlob(sha256);
      if (!stat || now().getTime() - stat.modifiedAt.getTime() < graceMs) continue;
      const isRemoved = await blobs.removeUnlessReferenced(sha256, async () =>
        (await findReferencedHashes([sha256])).has(sha256),
      );
      if (isRemoved) {
        removed++;
        removedBytes += stat.size;
      }
    }
  }
  if (removed > 0 || restored > 0)
    logger.info({ checked, removed, removedBytes, restored }, "swept unreferenced stored files");
  return { checked, removed, removedBytes };
}
