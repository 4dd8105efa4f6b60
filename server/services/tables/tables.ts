import "server-only";
import fs from "node:fs";
import path from "node:path";
import { z } from "@/server/forms/zod";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { getRuntime } from "@/server/runtime";
import { logger } from "@/server/logger";
import type { TRelation } from "@/server/tables/compile-steps";
import type { TSourceColumn } from "@/server/tables/infer-types";
import { parquetRelation, readTableFile, SOURCE_FORMATS } from "@/server/tables/read-source";
import { TableError } from "@/server/tables/table-types";
import { fileDigest } from "@/server/tables/write-output";
import type { DuckDBConnection } from "@duckdb/node-api";
import { copyBlobTo, withEngine, withWorkDir } from "./table-engine";

export const ZReadOptions = z.object({
  format: z.enum(SOURCE_FORMATS).optional(),
  delimiter: z.string().min(1).max(4).optional(),
  sheet: z.string().min(1).max(200).optional(),
  entry: z.string().min(1).max(1000).optional(),
});
export type TReadOptionsInput = z.infer<typeof ZReadOptions>;

export const ZTableName = z.string().trim().min(1, "Name the table.").max(200);

export type TTableSummary = {
  id: string;
  name: string;
  kind: "upload" | "report";
  fileName: string | null;
  reportId: string | null;
  reportName: string | null;
  /** a report table fixed to one run; null: the latest successful run */
  runJobId: string | null;
  columns: TSourceColumn[];
  rows: number | null;
  bytes: number | null;
  notes: string[];
  createdAt: Date;
  updatedAt: Date;
};

type TTableRow = NonNullable<Awaited<ReturnType<typeof findTable>>>;

function findTable(id: string) {
  return db.dataTable.findUnique({
    where: { id },
    include: { report: { select: { name: true } } },
  });
}

function summarise(table: TTableRow): TTableSummary {
  return {
    id: table.id,
    name: table.name,
    kind: table.kind as TTableSummary["kind"],
    fileName: table.fileName,
    reportId: table.reportId,
    reportName: table.report?.name ?? null,
    runJobId: (JSON.parse(table.readOptions) as { runJobId?: string }).runJobId ?? null,
    columns: JSON.parse(table.columns) as TSourceColumn[],
    rows: table.rows,
    bytes: table.bytes,
    notes: JSON.parse(table.notes) as string[],
    createdAt: table.createdAt,
    updatedAt: table.updatedAt,
  };
}

export async function listTables(): Promise<TTableSummary[]> {
  const tables = await db.dataTable.findMany({
    orderBy: { name: "asc" },
    include: { report: { select: { name: true } } },
  });
  return tables.map(summarise);
}

export async function getTable(id: string): Promise<TTableSummary> {
  const table = await findTable(id);
  if (!table)
    throw new AppError("NOT_FOUND", "This table does not exist (it may have been deleted).");
  return summarise(table);
}

/** "Sales", or "Sales (2)" when a table is called that already. */
async function freeName(wanted: string): Promise<string> {
  const taken = new Set(
    (
      await db.dataTable.findMany({
        where: { name: { startsWith: wanted } },
        select: { name: true },
      })
    ).map((t) => t.name),
  );
  let name = wanted;
  for (let n = 2; taken.has(name); n++) name = `${wanted} (${n})`;
  return name;
}

/**
 * Reads an uploaded file into a table: its rows typed and kept as a Parquet blob. The row is
 * written before the blob moves in (the store keeps what a row names); when the move fails the row
 * goes again, so a failed upload leaves nothing behind.
 */
export async function createUploadedTable(args: {
  filePath: string;
  fileName: string;
  name?: string;
  readOptions: TReadOptionsInput;
  maxUnpackedBytes?: number;
  createdById: string;
  signal?: AbortSignal;
}): Promise<TTableSummary> {
  const bytes = (await fs.promises.stat(args.filePath)).size;
  const startedAt = Date.now();
  return withWorkDir(async (dir) => {
    const read = await withEngine(
      async (connection) => {
        try {
          return await readTableFile(
            connection,
            args.filePath,
            args.fileName,
            { ...args.readOptions, maxUnpackedBytes: args.maxUnpackedBytes },
            dir,
            args.signal,
          );
        } catch (error) {
          if (error instanceof TableError) throw new AppError("BAD_REQUEST", error.message);
          throw error;
        }
      },
      args.signal,
      "reading",
    );
    const { sha256 } = await fileDigest(read.parquetPath);
    const baseName = args.name?.trim() || path.parse(args.fileName).name || "Table";
    const table = await db.dataTable.create({
      data: {
        name: await freeName(baseName),
        kind: "upload",
        fileName: args.fileName,
        sha256,
        readOptions: JSON.stringify(args.readOptions),
        columns: JSON.stringify(read.columns),
        rows: read.rows,
        bytes,
        notes: JSON.stringify(
          [
            ...read.notes,
            read.sheets && read.sheets.length > 1 ? `Sheets: ${read.sheets.join(", ")}.` : null,
            read.entries && read.entries.length > 1
              ? `Tables in the ZIP (upload it again with another to read that one): ${read.entries.join(", ")}.`
              : null,
          ].filter(Boolean),
        ),
        createdById: args.createdById,
      },
      include: { report: { select: { name: true } } },
    });
    try {
      await getRuntime().blobs.moveIn(read.parquetPath, sha256);
    } catch (error) {
      await db.dataTable.delete({ where: { id: table.id } }).catch(() => undefined);
      throw error;
    }
    logger.info(
      {
        tableId: table.id,
        bytes,
        rows: read.rows,
        columns: read.columns.length,
        ms: Date.now() - startedAt,
      },
      "table uploaded",
    );
    return summarise(table);
  });
}

/**
 * A table that reads a report's output: its latest successful run whenever it is used, or the
 * one run chosen (which stays while that run is kept).
 */
export async function createReportTable(args: {
  reportId: string;
  runJobId?: string;
  name?: string;
  createdById: string;
}): Promise<TTableSummary> {
  const report = await db.report.findUnique({ where: { id: args.reportId } });
  if (!report)
    throw new AppError("NOT_FOUND", "This report does not exist (it may have been deleted).");
  if (args.runJobId) {
    const item = await db.reportRunItem.findFirst({
      where: { jobId: args.runJobId, reportId: report.id, state: "succeeded" },
    });
    if (!item)
      throw new AppError("BAD_REQUEST", `That run has no successful output of '${report.name}'.`);
  }
  const table = await db.dataTable.create({
    data: {
      name: await freeName(args.name?.trim() || report.name),
      kind: "report",
      reportId: report.id,
      readOptions: JSON.stringify(args.runJobId ? { runJobId: args.runJobId } : {}),
      createdById: args.createdById,
    },
    include: { report: { select: { name: true } } },
  });
  return summarise(table);
}

export async function renameTable(id: string, name: string): Promise<TTableSummary> {
  await getTable(id);
  const clash = await db.dataTable.findFirst({ where: { name, id: { not: id } } });
  if (clash) throw new AppError("CONFLICT", `A table is called '${name}' already.`);
  const table = await db.dataTable.update({
    where: { id },
    data: { name },
    include: { report: { select: { name: true } } },
  });
  return summarise(table);
}

/** Deletes a table and its transforms; its blob goes with the next sweep once nothing names it. */
export async function deleteTable(id: string): Promise<void> {
  await db.dataTable.deleteMany({ where: { id } });
}

/** Where a table's rows are stored, fixed when an export starts so a later upload changes nothing. */
export type TTableSnapshot = {
  tableId: string;
  name: string;
  /** parquet: an upload's typed rows; csv: a report run's file, read (and typed) when used */
  format: "parquet" | "csv";
  sha256: string;
  fileName: string;
};

/** The stored file a table reads now: an upload's blob, a report's latest successful output. */
export async function snapshotTable(tableId: string): Promise<TTableSnapshot> {
  const table = await findTable(tableId);
  if (!table)
    throw new AppError("NOT_FOUND", "This table does not exist (it may have been deleted).");
  if (table.kind === "upload")
    return {
      tableId,
      name: table.name,
      format: "parquet",
      sha256: table.sha256!,
      fileName: table.fileName ?? table.name,
    };
  const { runJobId } = JSON.parse(table.readOptions) as { runJobId?: string };
  const file = await db.reportRunFile.findFirst({
    where: {
      item: {
        reportId: table.reportId,
        state: "succeeded",
        ...(runJobId ? { jobId: runJobId } : {}),
      },
    },
    orderBy: [{ item: { finishedAt: "desc" } }, { position: "asc" }],
  });
  const reportName = table.report?.name ?? table.name;
  if (!file)
    throw new AppError(
      "BAD_REQUEST",
      runJobId
        ? `The run of '${reportName}' this table reads is gone (deleted, or past the retention): add the table again from another run, or from the latest.`
        : `The report '${reportName}' has no successful run yet: run it first.`,
    );
  return { tableId, name: table.name, format: "csv", sha256: file.sha256, fileName: file.fileName };
}

/**
 * A snapshot's rows as a relation the engine reads, from a local copy kept in the scratch folder's
 * table cache (a preview reads the same table again at every edit). A report's CSV is read and
 * typed as an upload would be; the columns it has now are remembered on the table.
 */
export async function openSnapshot(
  connection: DuckDBConnection,
  snapshot: TTableSnapshot,
  signal?: AbortSignal,
): Promise<TRelation & { notes: string[] }> {
  const cacheDir = path.join(getRuntime().scratchDir, "table-cache");
  fs.mkdirSync(cacheDir, { recursive: true });
  const cached = path.join(cacheDir, `${snapshot.sha256}.parquet`);
  const about = path.join(cacheDir, `${snapshot.sha256}.json`);
  if (!fs.existsSync(cached) || !fs.existsSync(about)) {
    await withWorkDir(async (dir) => {
      const local = path.join(dir, `source.${snapshot.format}`);
      await copyBlobTo(snapshot.sha256, local, signal);
      let columns: TSourceColumn[];
      let notes: string[] = [];
      let rows: number | null = null;
      let parquet = local;
      if (snapshot.format === "parquet") {
        columns = await parquetColumns(connection, local);
      } else {
        // read as an upload is: on the one-thread engine, which holds less of the file
        const read = await withEngine(
          (reader) =>
            readTableFile(reader, local, snapshot.fileName, { format: "csv" }, dir, signal),
          signal,
          "reading",
        );
        ({ columns, notes, rows } = read);
        parquet = read.parquetPath;
      }
      // both land under their final names only when whole: a reader never sees half a file, and
      // two readers of one table at once each write their own before the rename
      const part = `${about}.${path.basename(dir)}.part`;
      fs.writeFileSync(part, JSON.stringify({ columns, notes, rows }));
      fs.renameSync(parquet, cached);
      fs.renameSync(part, about);
    });
    trimCache(cacheDir);
  }
  const { columns, notes, rows } = JSON.parse(fs.readFileSync(about, "utf8")) as {
    columns: TSourceColumn[];
    notes: string[];
    rows: number | null;
  };
  // the cache keeps the tables used last
  const now = new Date();
  fs.utimesSync(cached, now, now);
  if (snapshot.format === "csv")
    await db.dataTable.updateMany({
      where: { id: snapshot.tableId },
      data: { columns: JSON.stringify(columns), notes: JSON.stringify(notes), rows },
    });
  return {
    sql: `SELECT * FROM ${parquetRelation(cached)}`,
    columns: columns.map(({ name, type }) => ({ name, type })),
    notes,
  };
}

const CACHED_TABLES = 8;

/** Keeps the tables used last in the cache; an export still reading an older one keeps its open file. */
function trimCache(cacheDir: string) {
  const files = fs
    .readdirSync(cacheDir)
    .filter((name) => name.endsWith(".parquet"))
    .map((name) => ({ name, at: fs.statSync(path.join(cacheDir, name)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { name } of files.slice(CACHED_TABLES)) {
    fs.rmSync(path.join(cacheDir, name), { force: true });
    fs.rmSync(path.join(cacheDir, name.replace(/\.parquet$/, ".json")), { force: true });
  }
}

async function parquetColumns(
  connection: DuckDBConnection,
  file: string,
): Promise<TSourceColumn[]> {
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${parquetRelation(file)}`);
  const types: Record<string, TSourceColumn["type"]> = {
    VARCHAR: "text",
    BIGINT: "integer",
    DOUBLE: "number",
    BOOLEAN: "boolean",
    DATE: "date",
    TIMESTAMP: "timestamp",
  };
  return reader.getRowObjectsJson().map((row) => ({
    name: String(row.column_name),
    type: types[String(row.column_type)] ?? "text",
  }));
}

/** A report's recent successful runs, newest first: what a report table may be fixed to. */
export async function listReportRunsOf(reportId: string) {
  const items = await db.reportRunItem.findMany({
    where: { reportId, state: "succeeded" },
    orderBy: { finishedAt: "desc" },
    take: 20,
    select: { jobId: true, finishedAt: true, rows: true },
  });
  return items.map((item) => ({ jobId: item.jobId, finishedAt: item.finishedAt, rows: item.rows }));
}
