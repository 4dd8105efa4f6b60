// What `npm start` and the bench share: build when the sources are newer, and the server's environment.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

const root = path.resolve(import.meta.dirname, "..");
const SOURCES = [
  "app",
  "server",
  "prisma",
  "public",
  "instrumentation.ts",
  "proxy.ts",
  "next.config.mjs",
  "package-lock.json",
];

function newestSourceTime() {
  let newest = 0;
  const walk = (p) => {
    const stat = fs.statSync(p, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(p)) if (entry !== "generated") walk(path.join(p, entry));
    } else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const source of SOURCES) walk(path.join(root, source));
  return newest;
}

/**
 * Environment the server process starts with (`npm start` and the bench). Two glibc malloc arenas
 * instead of one per thread: downloads churn through many short-lived buffers, and per-thread
 * arenas kept that memory as RSS (bench:images, +160 MB above idle before, +120 MB after).
 */
export const SERVER_ENV_DEFAULTS = { MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2" };

/**
 * V8 flags the server process starts with (`npm start` and the bench). A download job allocates
 * little that lives, but fast: with V8's defaults the heap and the body buffers awaiting a full GC
 * grew by ~150 MB over a 5,000-image job and kept growing job after job (bench:images).
 * - a young generation of 2 x 8 MB instead of 2 x 16 MB;
 * - the old generation may grow 50 % past what survived the last full GC before the next one,
 *   instead of up to 4x; that also frees promoted body buffers sooner.
 * Measured: +57 to +88 MB above idle for job and ZIP instead of +146 to +169, for ~0.4 s more CPU
 * per 5,000 images.
 */
export const SERVER_NODE_FLAGS = ["--max-semi-space-size=8", "--heap-growing-percent=50"];

const isBuildFresh = () =>
  (fs.statSync(path.join(root, ".next", "BUILD_ID"), { throwIfNoEntry: false })?.mtimeMs ?? 0) >=
  newestSourceTime();

/**
 * Runs `work` while this process holds `lockFile`'s lock, waiting up to `waitMs` for another
 * process that holds it. The lock is SQLite's own file lock (as the data folder's instance lock):
 * the operating system drops it when its holder dies, kill -9 included, so it never goes stale.
 */
export function withFileLock(lockFile, waitMs, work) {
  const lock = new Database(lockFile, { timeout: waitMs });
  try {
    lock.pragma("locking_mode = EXCLUSIVE");
    // in exclusive mode the lock a write transaction takes is kept until the connection closes
    lock.exec("BEGIN EXCLUSIVE; COMMIT;");
    return work();
  } finally {
    lock.close();
  }
}

/**
 * Builds the app when its sources are newer than the last build. One build at a time per checkout:
 * processes started together on one host (two web processes after an upgrade) would otherwise
 * write one `.next` at once; the later ones wait, then find the build fresh.
 */
export function buildIfStale() {
  if (isBuildFresh()) {
    console.log("→ the build is up to date");
    return;
  }
  withFileLock(path.join(root, ".build.lock"), 30 * 60_000, () => {
    if (isBuildFresh()) {
      console.log("→ the build is up to date (another process has just built it)");
      return;
    }
    console.log("→ building the app");
    const result = spawnSync(path.join(root, "node_modules", ".bin", "next"), ["build"], {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    if (result.status !== 0) throw new Error(`next build failed (exit ${result.status})`);
  });
}
