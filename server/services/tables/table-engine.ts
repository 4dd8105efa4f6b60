import "server-only";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import { env } from "@/server/env";
import { getRuntime } from "@/server/runtime";
import { withTableConnection } from "@/server/tables/duckdb";

/**
 * The process's table engine, on the limits the environment sets; `reading` (a file read into a
 * table) takes one thread, which holds far less of the file in memory.
 */
export function withEngine<T>(
  work: (connection: DuckDBConnection) => Promise<T>,
  signal?: AbortSignal,
  use: "reading" | "querying" = "querying",
): Promise<T> {
  const tempDirectory = path.join(getRuntime().scratchDir, "table-engine");
  fs.mkdirSync(tempDirectory, { recursive: true });
  return withTableConnection(
    {
      threads: use === "reading" ? 1 : env.TABLE_ENGINE_THREADS,
      memoryLimitMb: env.TABLE_ENGINE_MEMORY_MB,
      tempDirectory,
    },
    work,
    signal,
  );
}

/** A folder of its own in the scratch folder, removed after `work` whatever happens. */
export async function withWorkDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = path.join(getRuntime().scratchDir, `table-${randomUUID()}`);
  fs.mkdirSync(dir, { recursive: true });
  try {
    return await work(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A stored blob copied to a local file: the engine reads files, and the store may be S3. The
 * store never hands out its own paths, so a blob is never changed through this copy.
 */
export async function copyBlobTo(
  sha256: string,
  targetPath: string,
  signal?: AbortSignal,
): Promise<void> {
  await pipeline(getRuntime().blobs.openRead(sha256), fs.createWriteStream(targetPath), { signal });
}
