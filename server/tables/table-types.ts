/**
 * The column types a table has once its source is read. Every source arrives as text and gets its
 * types from infer-types.ts (decided per column over all of its values, never per cell); steps and
 * expressions check their inputs against these before any SQL runs, so a wrong step fails with a
 * sentence, not an engine error.
 */
export const COLUMN_TYPES = ["text", "integer", "number", "boolean", "date", "timestamp"] as const;
export type TColumnType = (typeof COLUMN_TYPES)[number];

export type TColumn = { name: string; type: TColumnType };

/** The DuckDB type each column type is held in. */
export const SQL_TYPE: Record<TColumnType, string> = {
  text: "VARCHAR",
  integer: "BIGINT",
  number: "DOUBLE",
  boolean: "BOOLEAN",
  date: "DATE",
  timestamp: "TIMESTAMP",
};

export const isNumeric = (type: TColumnType) => type === "integer" || type === "number";
export const isTemporal = (type: TColumnType) => type === "date" || type === "timestamp";

/** A column name as a DuckDB identifier: any name a spreadsheet header can hold is safe in it. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A text value as a DuckDB string literal. */
export function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A step or expression that cannot run, with the reason in plain words. */
export class TableError extends Error {
  override name = "TableError";
}

/** "column 'revenue' not found; columns are: region, units, price" */
export function columnNotFound(name: string, columns: readonly TColumn[]): TableError {
  const list = columns.map((column) => column.name);
  const shown = list.length > 30 ? [...list.slice(0, 30), `… (${list.length} in all)`] : list;
  return new TableError(`column '${name}' not found; columns are: ${shown.join(", ")}`);
}

/** The column called `name`, or the plain error a user sees when there is none. */
export function findColumn(columns: readonly TColumn[], name: string): TColumn {
  const column = columns.find((candidate) => candidate.name === name);
  if (!column) throw columnNotFound(name, columns);
  return column;
}
