// What `npm start` and the bench share: build when the sources are newer, and the server's environment.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

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
 * Environment the server process starts with (`npm start` and the bench).
 * - Two glibc malloc arenas instead of one per thread: downloads churn through many short-lived
 *   buffers, and per-thread arenas kept that memory as RSS (bench:images, +160 MB above idle
 *   before, +120 MB after).
 * - 16 libuv pool threads instead of 4: each downloaded file is created, written and renamed in the
 *   pool, and on a busy disk one creation can wait most of a millisecond; four at a time capped a
 *   job well below the network's pace (bench:images).
 */
export const SERVER_ENV_DEFAULTS = {
  MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2",
  UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? "16",
};

export function buildIfStale() {
  const builtAt =
    fs.statSync(path.join(root, ".next", "BUILD_ID"), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (builtAt >= newestSourceTime()) {
    console.log("→ the build is up to date");
    return;
  }
  console.log("→ building the app");
  const result = spawnSync(path.join(root, "node_modules", ".bin", "next"), ["build"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) throw new Error(`next build failed (exit ${result.status})`);
}
