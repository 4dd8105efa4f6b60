import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";

/**
 * DuckDB databases of this process, in memory, opened on first use: tables are read from files and
 * written to files, so nothing needs to outlive a query. The memory limit is the buffer manager's
 * (sorts and joins past it spill to `tempDirectory`); the process's own memory comes on top. One
 * database per set of options: reading a CSV into Parquet keeps a buffer per thread to hold the
 * rows' order, so uploads run on a database of one thread (100 MB less at 1M rows, 15 % slower).
 */
export type TEngineOptions = { threads: number; memoryLimitMb: number; tempDirectory: string };

const opened = new Map<string, Promise<DuckDBInstance>>();

function instanceFor(options: TEngineOptions): Promise<DuckDBInstance> {
  const key = JSON.stringify(options);
  let instance = opened.get(key);
  if (!instance) {
    instance = DuckDBInstance.create(":memory:", {
      threads: String(options.threads),
      memory_limit: `${options.memoryLimitMb}MB`,
      temp_directory: options.tempDirectory,
      // a file path in a query is ours; nothing reaches out to the network or installs extensions
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
      enable_external_access: "true",
      // what a query took goes back to the system soon after, not at the next query: a web
      // server that ran one big export should not keep its memory
      allocator_background_threads: "true",
      allocator_flush_threshold: "32MB",
    });
    opened.set(key, instance);
  }
  return instance;
}

/**
 * Runs `work` on a connection of its own, closed afterwards. `signal` interrupts the query in
 * flight: DuckDB then rejects it, and the caller sees the abort.
 */
export async function withTableConnection<T>(
  options: TEngineOptions,
  work: (connection: DuckDBConnection) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  signal?.throwIfAborted();
  const connection = await (await instanceFor(options)).connect();
  const interrupt = () => connection.interrupt();
  signal?.addEventListener("abort", interrupt, { once: true });
  try {
    return await work(connection);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  } finally {
    signal?.removeEventListener("abort", interrupt);
    connection.closeSync();
  }
}

/** Rows of a query as plain JSON-safe objects (big integers as numbers when they fit, else text). */
export async function queryRows(
  connection: DuckDBConnection,
  sql: string,
): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}
