import "server-only";
import type { DuckDBConnection } from "@duckdb/node-api";
import { z } from "@/server/forms/zod";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { compileSteps, type TRelation, type TTableLookup } from "@/server/tables/compile-steps";
import { engineMessage } from "@/server/tables/read-source";
import { STEP_LABELS, ZSteps, type TStep } from "@/server/tables/steps";
import type { TColumn } from "@/server/tables/table-types";
import { ZOutputSpec, type TOutputSpec } from "@/server/tables/write-output";
import { openSnapshot, snapshotTable, type TTableSnapshot } from "./tables";
import { withEngine } from "./table-engine";

export const ZTransformInput = z.object({
  name: z.string().trim().min(1, "Name the transform.").max(200),
  tableId: z.string().min(1, "Choose the table it starts from."),
  steps: ZSteps.default([]),
  outputs: z.array(ZOutputSpec).max(10).default([]),
  /** a report's table: export after each run of the report that succeeds, scheduled runs too */
  exportAfterReportRun: z.boolean().default(false),
});
export type TTransformInput = z.input<typeof ZTransformInput>;

export type TTransform = {
  id: string;
  name: string;
  tableId: string;
  tableName: string;
  steps: TStep[];
  outputs: TOutputSpec[];
  exportAfterReportRun: boolean;
  createdAt: Date;
  updatedAt: Date;
};

function toTransform(row: {
  id: string;
  name: string;
  tableId: string;
  steps: string;
  outputs: string;
  exportAfterReportRun: boolean;
  createdAt: Date;
  updatedAt: Date;
  table: { name: string };
}): TTransform {
  return {
    id: row.id,
    name: row.name,
    tableId: row.tableId,
    tableName: row.table.name,
    steps: ZSteps.parse(JSON.parse(row.steps)),
    outputs: z.array(ZOutputSpec).parse(JSON.parse(row.outputs)),
    exportAfterReportRun: row.exportAfterReportRun,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const withTable = { table: { select: { name: true } } } as const;

export async function listTransforms(): Promise<TTransform[]> {
  const rows = await db.transform.findMany({ orderBy: { name: "asc" }, include: withTable });
  return rows.map(toTransform);
}

export async function getTransform(id: string): Promise<TTransform> {
  const row = await db.transform.findUnique({ where: { id }, include: withTable });
  if (!row)
    throw new AppError("NOT_FOUND", "This transform does not exist (it may have been deleted).");
  return toTransform(row);
}

async function refuseTakenName(name: string, exceptId?: string) {
  const clash = await db.transform.findFirst({
    where: { name, ...(exceptId ? { id: { not: exceptId } } : {}) },
  });
  if (clash) throw new AppError("CONFLICT", `A transform is called '${name}' already.`);
}

async function refuseMissingTable(tableId: string) {
  const table = await db.dataTable.findUnique({ where: { id: tableId }, select: { id: true } });
  if (!table)
    throw new AppError("BAD_REQUEST", "The table this transform starts from does not exist.");
}

/** A transform's columns as stored: steps and outputs as JSON. */
function rowOf(data: z.output<typeof ZTransformInput>) {
  return {
    name: data.name,
    tableId: data.tableId,
    steps: JSON.stringify(data.steps),
    outputs: JSON.stringify(data.outputs),
    exportAfterReportRun: data.exportAfterReportRun,
  };
}

export async function createTransform(input: TTransformInput): Promise<TTransform> {
  const data = ZTransformInput.parse(input);
  await refuseTakenName(data.name);
  await refuseMissingTable(data.tableId);
  const row = await db.transform.create({
    data: rowOf(data),
    include: withTable,
  });
  return toTransform(row);
}

export async function updateTransform(id: string, input: TTransformInput): Promise<TTransform> {
  const data = ZTransformInput.parse(input);
  await getTransform(id);
  await refuseTakenName(data.name, id);
  await refuseMissingTable(data.tableId);
  const row = await db.transform.update({
    where: { id },
    data: rowOf(data),
    include: withTable,
  });
  return toTransform(row);
}

export async function deleteTransform(id: string): Promise<void> {
  await db.transform.deleteMany({ where: { id } });
}

/** The tables a transform's join steps look up. */
export function lookedUpTableIds(steps: readonly TStep[]): string[] {
  return [...new Set(steps.flatMap((step) => (step.kind === "join" ? [step.tableId] : [])))];
}

/** The source and every looked-up table, as snapshots: what an export will read. */
export async function snapshotTables(
  tableId: string,
  steps: readonly TStep[],
): Promise<TTableSnapshot[]> {
  const ids = [tableId, ...lookedUpTableIds(steps).filter((id) => id !== tableId)];
  const snapshots: TTableSnapshot[] = [];
  for (const id of ids) {
    try {
      snapshots.push(await snapshotTable(id));
    } catch (error) {
      // a looked-up table that is gone fails its join step with a sentence, not the whole transform
      if (id === tableId || !(error instanceof AppError) || error.code !== "NOT_FOUND") throw error;
    }
  }
  return snapshots;
}

/**
 * Opens the snapshots and compiles the steps over them: the source relation, the relation after
 * each step that compiles, and the first step that does not, with why.
 */
export async function openPipeline(
  connection: DuckDBConnection,
  snapshots: readonly TTableSnapshot[],
  steps: readonly TStep[],
  signal?: AbortSignal,
) {
  const [source, ...others] = snapshots;
  const sourceRelation = await openSnapshot(connection, source!, signal);
  const lookups = new Map<string, TRelation & { name: string }>();
  for (const other of others)
    lookups.set(other.tableId, {
      ...(await openSnapshot(connection, other, signal)),
      name: other.name,
    });
  const lookup: TTableLookup = (id) =>
    id === source!.tableId ? { ...sourceRelation, name: source!.name } : lookups.get(id);
  return { source: sourceRelation, ...compileSteps(sourceRelation, steps, lookup) };
}

export const PREVIEW_ROWS = 100;

export type TStepState = {
  label: string;
  status: "ok" | "failed" | "not_run";
  message: string | null;
  columns: TColumn[] | null;
};

export type TPreview = {
  steps: TStepState[];
  /** the step whose result is shown, counting from 0; -1: the table as read */
  shownStep: number;
  /** the table's columns as read, before any step */
  sourceColumns: TColumn[];
  columns: TColumn[];
  rows: unknown[][];
  rowCount: number;
  notes: string[];
};

/**
 * The first rows after a step (the last one by default), the columns and types after every step,
 * and the first step that fails, in plain words. Nothing is saved.
 */
export async function previewTransform(args: {
  tableId: string;
  steps: TStep[];
  step?: number;
  signal?: AbortSignal;
}): Promise<TPreview> {
  const steps = ZSteps.parse(args.steps);
  const snapshots = await snapshotTables(args.tableId, steps);
  return withEngine(async (connection) => {
    const pipeline = await openPipeline(connection, snapshots, steps, args.signal);
    const states: TStepState[] = steps.map((step, index) => ({
      label: STEP_LABELS[step.kind],
      status: index < pipeline.relations.length ? "ok" : "not_run",
      message: null,
      columns: pipeline.relations[index]?.columns ?? null,
    }));
    if (pipeline.failure) {
      states[pipeline.failure.step] = {
        ...states[pipeline.failure.step]!,
        status: "failed",
        message: pipeline.failure.message,
      };
    }
    const wanted = Math.min(args.step ?? steps.length - 1, pipeline.relations.length - 1);
    // the engine may find what compiling could not (a bad pattern, a value out of range): then
    // the step after the last one that runs is the one that fails
    let engineError: unknown = null;
    for (let shown = wanted; shown >= -1; shown--) {
      const relation = shown < 0 ? pipeline.source : pipeline.relations[shown]!;
      try {
        const reader = await connection.runAndReadAll(
          `SELECT * FROM (${relation.sql}) AS shown LIMIT ${PREVIEW_ROWS}`,
        );
        const counted = await connection.runAndReadAll(
          `SELECT count(*) AS n FROM (${relation.sql}) AS shown`,
        );
        if (engineError) {
          states[shown + 1] = {
            ...states[shown + 1]!,
            status: "failed",
            message: engineMessage(engineError),
          };
          for (let later = shown + 2; later < states.length; later++)
            states[later] = { ...states[later]!, status: "not_run", message: null };
        }
        return {
          steps: states,
          shownStep: shown,
          sourceColumns: pipeline.source.columns,
          columns: relation.columns,
          rows: jsonRows(reader.getRowsJson() as unknown[][], relation.columns),
          rowCount: Number(counted.getRowsJson()[0]?.[0] ?? 0),
          notes: pipeline.source.notes,
        };
      } catch (error) {
        if (args.signal?.aborted) throw error;
        if (shown < 0)
          throw new AppError("BAD_REQUEST", `The table could not be read: ${engineMessage(error)}`);
        engineError = error;
      }
    }
    throw new Error("unreachable: the source relation always answers or throws");
  }, args.signal);
}

/** The engine's JSON gives 64-bit integers as text; those a number holds exactly become numbers. */
export function jsonRows(rows: unknown[][], columns: readonly TColumn[]): unknown[][] {
  const integers = columns.flatMap((column, index) => (column.type === "integer" ? [index] : []));
  if (integers.length === 0) return rows;
  return rows.map((row) => {
    const copy = [...row];
    for (const index of integers) {
      const value = copy[index];
      if (typeof value === "string" && Number.isSafeInteger(Number(value)))
        copy[index] = Number(value);
    }
    return copy;
  });
}
