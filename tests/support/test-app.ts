import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { waitFor } from "@/test-support/wait-for";

/**
 * A fresh data folder with a migrated SQLite database, and the server modules loaded against it.
 * The env module reads process.env once, so this must run before any server module is imported.
 */
export async function startTestApp(extraEnv: Record<string, string> = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-int-"));
  const databaseUrl = `file:${path.join(dataDir, "datahaul.db")}`;
  Object.assign(process.env, {
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    RUN_WORKER: "true",
    DOWNLOAD_ALLOW_PRIVATE_HOSTS: "127.0.0.1,::1,localhost",
    ...extraEnv,
  });
  execFileSync(path.resolve("node_modules/.bin/prisma"), ["migrate", "deploy"], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: "pipe",
  });
  const { db } = await import("@/server/db");
  const { getRuntime } = await import("@/server/runtime");
  const user = await db.user.create({
    data: { id: crypto.randomUUID(), name: "Tester", email: `tester-${Date.now()}@example.com` },
  });
  return {
    dataDir,
    db,
    runtime: getRuntime(),
    userId: user.id,
    async stop() {
      await getRuntime().queue.close();
      await getRuntime().downloads.close();
      await db.$disconnect();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The bytes of a stored file, read straight from the local store's folders (tests only). */
export function readStoredBlob(dataDir: string, sha256: string): Buffer {
  return fs.readFileSync(path.join(dataDir, "blobs", sha256.slice(0, 2), sha256));
}

export { waitFor } from "@/test-support/wait-for";

/** Waits until a job has ended (completed, with errors, or failed) and returns its row. */
export function waitForJobEnd(app: { db: TDb }, jobId: string, timeoutMs = 40_000) {
  return waitFor(async () => {
    const row = await app.db.job.findUnique({ where: { id: jobId } });
    return row && ["completed", "completed_with_errors", "failed"].includes(row.status)
      ? row
      : null;
  }, timeoutMs);
}

type TDb = Awaited<ReturnType<typeof startTestApp>>["db"];
