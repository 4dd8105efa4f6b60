import "server-only";
import { db } from "@/server/db";
import { databaseName } from "@/server/db-dialect";
import { formatBytes } from "@/server/format-bytes";
import { getRuntime } from "@/server/runtime";
import { getRetentionDays } from "../jobs/job-actions";
import { listAppProcesses } from "./app-processes";

export type TCheck = { name: string; isOk: boolean; detail: string };

const LOW_DISK_BYTES = 1024 ** 3;

export async function checkSystem(): Promise<{ checks: TCheck[]; isHealthy: boolean }> {
  const runtime = getRuntime();
  const checks: TCheck[] = [];

  const dbStarted = performance.now();
  try {
    await db.$queryRawUnsafe("SELECT 1");
    checks.push({
      name: "Database",
      isOk: true,
      detail: `${databaseName} answered in ${(performance.now() - dbStarted).toFixed(1)} ms`,
    });
  } catch (error) {
    checks.push({
      name: "Database",
      isOk: false,
      detail: `not reachable: ${(error as Error).message}`,
    });
  }

  const queue = await runtime.queue.stats();
  checks.push({
    name: "Queue",
    isOk: true,
    detail: `${runtime.queue.describe()}: ${queue.active} running, ${queue.waiting} waiting`,
  });
  checks.push(await checkWorkers(queue.consumers, runtime.startedAt));

  const storage = await runtime.blobs.check();
  checks.push({ name: "Storage writable", isOk: storage.isWritable, detail: storage.detail });
  checks.push({
    name: "Free disk",
    isOk: storage.freeBytes >= LOW_DISK_BYTES,
    detail: `${formatBytes(storage.freeBytes)} free${storage.freeBytes < LOW_DISK_BYTES ? " (less than 1 GB)" : ""}`,
  });

  return { checks, isHealthy: checks.every((c) => c.isOk) };
}

/** This process's worker, else the worker processes whose heartbeat is recent (the process list). */
async function checkWorkers(consumersHere: number, startedAt: Date): Promise<TCheck> {
  if (consumersHere > 0) {
    return {
      name: "Workers",
      isOk: true,
      detail: `this process runs the worker (${consumersHere} job type${consumersHere === 1 ? "" : "s"}) for ${describeUptime(Date.now() - startedAt.getTime())}`,
    };
  }
  const workers = (await listAppProcesses()).filter(
    (process) => process.isAnswering && process.mode !== "web",
  );
  return {
    name: "Workers",
    isOk: workers.length > 0,
    detail:
      workers.length > 0
        ? `${workers.length} worker process${workers.length === 1 ? "" : "es"} answering (${workers.map((w) => `${w.host} pid ${w.pid}`).join(", ")}); this one serves pages only`
        : "no worker process has answered in the last 45 s: jobs wait in the queue until one runs (npm run worker)",
  };
}

export async function getSystemSettings() {
  return {
    retentionDays: await getRetentionDays(),
    limits: getRuntime().downloadLimits,
  };
}

/** "for 40 seconds", "for 25 minutes", "for 3 hours", "for 2 days": a time zone-free uptime. */
function describeUptime(ms: number): string {
  const units: [string, number][] = [
    ["day", 86_400_000],
    ["hour", 3_600_000],
    ["minute", 60_000],
  ];
  for (const [unit, size] of units) {
    const count = Math.floor(ms / size);
    if (count >= 1) return `${count} ${unit}${count === 1 ? "" : "s"}`;
  }
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}
