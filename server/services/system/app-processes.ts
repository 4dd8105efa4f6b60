import "server-only";
import { randomUUID } from "node:crypto";
import os from "node:os";
import packageJson from "@/package.json";
import { db } from "@/server/db";
import { countDownloadsInFlight } from "@/server/jobs/job-activity";

/** A heartbeat this often; a process silent for three of them is not answering. */
export const HEARTBEAT_SECONDS = 15;
const SILENT_AFTER_MS = 3 * HEARTBEAT_SECONDS * 1000;
/** A process not seen for this long has stopped for good: its row goes. */
const FORGET_AFTER_MS = 60 * 60_000;

export type TProcessMode = "all" | "web" | "worker";

export type TAppProcessView = {
  id: string;
  host: string;
  pid: number;
  mode: TProcessMode;
  version: string;
  startedAt: Date;
  lastSeenAt: Date;
  itemsInFlight: number;
  isAnswering: boolean;
  isThisProcess: boolean;
};

const globalForProcess = globalThis as unknown as { datahaulProcessId?: string };
/** This process's id in the list: new at each start. */
export const thisProcessId = (globalForProcess.datahaulProcessId ??= randomUUID());

/** Writes this process's row: at start, then with every heartbeat. */
export async function beat(mode: TProcessMode, now = new Date()): Promise<void> {
  const seen = { lastSeenAt: now, itemsInFlight: countDownloadsInFlight() };
  await db.appProcess.upsert({
    where: { id: thisProcessId },
    create: {
      id: thisProcessId,
      host: os.hostname(),
      pid: process.pid,
      mode,
      version: packageJson.version,
      startedAt: now,
      ...seen,
    },
    update: seen,
  });
}

/** This process stops: it leaves the list at once instead of going silent. */
export async function leave(): Promise<void> {
  await db.appProcess.deleteMany({ where: { id: thisProcessId } });
}

/** Rows of processes not seen for an hour: stopped, killed, or on a host that is gone. */
export async function forgetStoppedProcesses(now = new Date()): Promise<number> {
  const { count } = await db.appProcess.deleteMany({
    where: { lastSeenAt: { lt: new Date(now.getTime() - FORGET_AFTER_MS) } },
  });
  return count;
}

/** Every process seen within the hour, the ones answering first, then by host and start. */
export async function listAppProcesses(now = new Date()): Promise<TAppProcessView[]> {
  const rows = await db.appProcess.findMany({
    where: { lastSeenAt: { gte: new Date(now.getTime() - FORGET_AFTER_MS) } },
    orderBy: [{ host: "asc" }, { startedAt: "asc" }],
    take: 200,
  });
  return rows
    .map((row) => ({
      ...row,
      mode: row.mode as TProcessMode,
      isAnswering: now.getTime() - row.lastSeenAt.getTime() <= SILENT_AFTER_MS,
      isThisProcess: row.id === thisProcessId,
    }))
    .sort((a, b) => Number(b.isAnswering) - Number(a.isAnswering));
}
