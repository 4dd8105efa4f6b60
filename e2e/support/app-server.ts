import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * A second app server of our own, on the build Playwright's web server made, with a fresh data
 * folder: for tests that must kill, restart or start the app from nothing.
 */
export function createDataDir(prefix: string): { dataDir: string; databaseFile: string } {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `datahaul-${prefix}-`));
  const databaseFile = path.join(dataDir, "datahaul.db");
  execFileSync(path.resolve("node_modules/.bin/prisma"), ["migrate", "deploy"], {
    env: { ...process.env, DATABASE_URL: `file:${databaseFile}` },
    stdio: "pipe",
  });
  return { dataDir, databaseFile };
}

export function startAppServer(args: {
  port: number;
  dataDir: string;
  env?: Record<string, string>;
}): ChildProcess {
  const server = spawn(process.execPath, [path.resolve("scripts/server.mjs")], {
    env: {
      ...process.env,
      PORT: String(args.port),
      NODE_ENV: "production",
      DATA_DIR: args.dataDir,
      DOWNLOAD_ALLOW_PRIVATE_HOSTS: "127.0.0.1",
      ...args.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout?.resume();
  server.stderr?.resume();
  return server;
}

/** Polls for at most `timeoutMs`; a bounded wait, never a fixed sleep. */
export async function waitUntil<T>(
  check: () => Promise<T | null | false>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
