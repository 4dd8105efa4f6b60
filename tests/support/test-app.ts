import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, inject } from "vitest";
import { createTestDatabase, type TTestDatabase } from "@/test-support/postgres";
import { waitFor } from "@/test-support/wait-for";

/**
 * Which database the integration tests run on: SQLite (the `integration` project) or, with
 * TEST_DATABASE=postgres (the `integration-pg` project), a fresh PostgreSQL database per test file.
 */
export const isPostgresRun = process.env.TEST_DATABASE === "postgres";

/** A new PostgreSQL database for this test file, migrated (a copy of the run's migrated one). */
function createMigratedPostgresDatabase(): Promise<TTestDatabase> {
  const file = path.basename(expect.getState().testPath ?? "app", ".int.test.ts");
  return createTestDatabase(file.slice(0, 30), { template: inject("postgresTemplate") });
}

/**
 * A fresh data folder with a migrated database (a SQLite file in it, or a new PostgreSQL database
 * that `stop()` drops), and the server modules loaded against it. The env module reads
 * process.env once, so this must run before any server module is imported.
 */
export async function startTestApp(extraEnv: Record<string, string> = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-int-"));
  const pgDatabase = isPostgresRun ? await createMigratedPostgresDatabase() : null;
  const databaseUrl = pgDatabase?.url ?? `file:${path.join(dataDir, "datahaul.db")}`;
  Object.assign(process.env, {
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    RUN_MODE: "all",
    DOWNLOAD_ALLOW_PRIVATE_HOSTS: "127.0.0.1,::1,localhost",
    ...extraEnv,
  });
  if (!pgDatabase)
    execFileSync(path.resolve("node_modules/.bin/prisma"), ["migrate", "deploy"], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: "pipe",
    });
  const { db } = await import("@/server/db");
  const { getRuntime } = await import("@/server/runtime");
  const user = await db.user.create({
    data: {
      id: crypto.randomUUID(),
      name: "Tester",
      email: `tester-${Date.now()}@example.com`,
      role: "admin",
    },
  });
  return {
    dataDir,
    databaseUrl,
    db,
    runtime: getRuntime(),
    userId: user.id,
    /** An image batch of pasted lines ("SKU<tab>URL"), created as the New batch page does. */
    async createBatch(lines: string[]) {
      const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
      return createBatchJob({ userId: user.id, text: lines.join("\n"), source: "paste" });
    },
    async stop() {
      await getRuntime().queue.close();
      await getRuntime().downloads.close();
      await getRuntime().progress.close();
      await getRuntime().jobCommands.close();
      await getRuntime().activitySharing?.close();
      await db.$disconnect();
      await pgDatabase?.drop();
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

/** The tRPC caller the pages use, acting as the owner of this API token (within its scope). */
export async function callerWithToken(token: string) {
  const { createCaller } = await import("@/server/api/root");
  const { createTRPCContext } = await import("@/server/api/trpc");
  const headers = new Headers({ authorization: `Bearer ${token}` });
  return createCaller(await createTRPCContext({ headers }));
}
