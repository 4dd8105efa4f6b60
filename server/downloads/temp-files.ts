import fsp from "node:fs/promises";
import path from "node:path";
import { startRecurringTask, type TRecurringTask } from "@/server/recurring-task";

/**
 * Every file a download or a report run writes before it is stored ends in ".part" (".part.final"
 * once checked); a crash or a kill leaves them behind in the data folder's tmp/.
 */
const TEMP_FILE = /\.part(\.final)?$/;
/** Older than this, no download or report run of any process still works on the file. */
export const TEMP_FILE_GRACE_MS = 10 * 60_000;
const SWEEP_EVERY_SECONDS = 3600;

/** Removes leftover download files not touched for the grace period; returns how many. */
export async function sweepTempFiles(
  dir: string,
  options: { now?: number; olderThanMs?: number } = {},
): Promise<number> {
  const cutoff = (options.now ?? Date.now()) - (options.olderThanMs ?? TEMP_FILE_GRACE_MS);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!TEMP_FILE.test(name)) continue;
    const file = path.join(dir, name);
    try {
      const stats = await fsp.stat(file);
      if (!stats.isFile() || stats.mtimeMs > cutoff) continue;
      await fsp.rm(file, { force: true });
      removed += 1;
    } catch {
      // gone already, or not ours to remove: the next sweep looks again
    }
  }
  return removed;
}

/**
 * Sweeps at once and then every hour. A file another process may still be writing (several
 * processes can share a data folder) is spared until it has been idle for the grace period, so
 * what a crash left shortly before a restart goes at the next sweep.
 */
export function startTempFileSweep(
  dir: string,
  onSwept: (removed: number) => void = () => undefined,
): TRecurringTask {
  return startRecurringTask({
    name: "sweep of leftover download files",
    firstRunAfterMs: 0,
    periodSeconds: SWEEP_EVERY_SECONDS,
    run: async () => {
      const removed = await sweepTempFiles(dir);
      if (removed > 0) onSwept(removed);
    },
  });
}
