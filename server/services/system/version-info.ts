import "server-only";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import packageJson from "@/package.json";
import { databaseName } from "@/server/db-dialect";
import { env } from "@/server/env";

export type TVersionInfo = {
  version: string;
  /** the short commit the app was started from, or "unknown" (no .git, no git, not a checkout) */
  commit: string;
  nodeVersion: string;
  runMode: typeof env.runMode;
  queue: typeof env.QUEUE;
  storage: typeof env.STORAGE;
  database: typeof databaseName;
  host: string;
  pid: number;
  startedAt: Date;
};

/**
 * `git rev-parse --short HEAD` in the app's folder. Any failure is "unknown": an image built
 * without its .git, a machine without git, or git refusing a folder owned by another user.
 */
export function readGitCommit(folder = process.cwd()): string {
  if (!fs.existsSync(path.join(/*turbopackIgnore: true*/ folder, ".git"))) return "unknown";
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: folder,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5_000,
    }).trim();
    return /^[0-9a-f]{4,40}$/.test(commit) ? commit : "unknown";
  } catch {
    return "unknown";
  }
}

/** Node's own count since the process began: earlier than any module of ours was loaded. */
const processStartedAt = new Date(Math.round(Date.now() - process.uptime() * 1000));

const globalForVersion = globalThis as unknown as { datahaulCommit?: string };

/**
 * Reads the commit once, as the process starts (boot.ts): read later, it would name whatever the
 * checkout moved to since, not the code this process runs.
 */
export function rememberStartCommit(): string {
  return (globalForVersion.datahaulCommit ??= readGitCommit());
}

/** What the process that answers runs: version, commit, Node.js, its modes, and since when. */
export function getVersionInfo(): TVersionInfo {
  return {
    version: packageJson.version,
    commit: rememberStartCommit(),
    nodeVersion: process.versions.node,
    runMode: env.runMode,
    queue: env.QUEUE,
    storage: env.STORAGE,
    database: databaseName,
    host: os.hostname(),
    pid: process.pid,
    startedAt: processStartedAt,
  };
}
