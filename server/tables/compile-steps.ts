import { compileExpression } from "./expression";
import { castText, type TDateOrder } from "./infer-types";
import type { TCondition, TStep } from "./steps";
import { STEP_LABELS } from "./steps";
import {
  SQL_TYPE,
  TableError,
  columnNotFound,
  isNumeric,
  isTemporal,
  quoteIdent,
  quoteString,
  type TColumn,
  type TColumnType,
} from "./table-types";

/** A table as a query: a SELECT usable as a subquery, and the columns it gives. */
export type TRelation = { sql: string; columns: TColumn[] };

/** The tables a join step may look up, already read, by id. */
export type TTableLookup = (tableId: string) => (TRelation & { name: string }) | undefined;

export type TCompiledSteps = {
  /** the table after each step that compiled, in order */
  relations: TRelation[];
  /** the first step that cannot run, counting from 0, and why in plain words */
  failure: { step: number; message: string } | null;
};

// numbers rows in the order they arrive, for steps whose result depends on that order
const ROW_NUMBER = quoteIdent("__datahaul_row");

/**
 * Turns a transform's steps into one query per step, each reading the one before. Every column a
 * step names is checked against the columns it receives, so a wrong step fails here with a
 * sentence; steps after it are not compiled.
 */
export function compileSteps(
  source: TRelation,
  steps: readonly TStep[],
  lookup: TTableLookup,
): TCompiledSteps {
  const relations: TRelation[] = [];
  let current = source;
  for (const [index, step] of steps.entries()) {
    try {
      current = compileStep(current, step, lookup);
      relations.push(current);
    } catch (error) {
      if (!(error instanceof TableError)) throw error;
      return { relations, failure: { step: index, message: error.message } };
    }
  }
  return { relations, failure: null };
}

function compileStep(input: TRelation, step: TStep, lookup: TTableLookup): TRelation {
  const from = `(${input.sql}) AS t`;
  switch (step.kind) {
    case "select": {
      const picked = step.columns.map(({ column, name }) => ({
        source: resolveColumn(column, input.columns),
        name: name ?? resolveColumn(column, input.columns).name,
      }));
      refuseDuplicateNames(picked.map((p) => p.name));
      return {
        sql: `SELECT ${picked.map((p) => `${quoteIdent(p.source.name)} AS ${quoteIdent(p.name)}`).join(", ")} FROM ${from}`,
        columns: picked.map((p) => ({ name: p.name, type: p.source.type })),
      };
    }
    case "rename": {
      const renames = new Map<string, string>();
      for (const { column, name } of step.columns)
        renames.set(resolveColumn(column, input.columns).name, name);
      const columns = input.columns.map((c) => ({ ...c, name: renames.get(c.name) ?? c.name }));
      refuseDuplicateNames(columns.map((c) => c.name));
      return {
        sql: `SELECT ${input.columns.map((c, i) => `${quoteIdent(c.name)} AS ${quoteIdent(columns[i]!.name)}`).join(", ")} FROM ${from}`,
        columns,
      };
    }
    case "cast": {
      const casts = new Map<string, { type: TColumnType; dateOrder?: TDateOrder }>();
      for (const { column, type, dateOrder } of step.columns) {
        const source = resolveColumn(column, input.columns);
        // every value would come out empty: refused rather than done without a word
        if (
          isTemporal(source.type) !== isTemporal(type) &&
          source.type !== "text" &&
          type !== "text"
        )
          throw new TableError(
            `'${source.name}' is ${article(source.type)} and cannot become ${article(type)}`,
          );
        casts.set(source.name, { type, dateOrder });
      }
      const columns = input.columns.map((c) => ({ ...c, type: casts.get(c.name)?.type ?? c.type }));
      const list = input.columns.map((c) => {
        const cast = casts.get(c.name);
        const value = cast ? castValue(c, cast.type, cast.dateOrder) : quoteIdent(c.name);
        return `${value} AS ${quoteIdent(c.name)}`;
      });
      return { sql: `SELECT ${list.join(", ")} FROM ${from}`, columns };
    }
    case "filter": {
      const conditions = step.conditions.map((condition) => compileCondition(condition, input));
      if (step.expression?.trim()) {
        const compiled = compileExpression(step.expression, input.columns);
        if (compiled.type !== "boolean")
          throw new TableError(
            `the filter's expression gives ${article(compiled.type)}, not true or false; compare it with something (for example: price > 10)`,
          );
        conditions.push(`coalesce(${compiled.sql}, false)`);
      }
      if (conditions.length === 0) return input;
      const joined = conditions.join(step.match === "any" ? " OR " : " AND ");
      return { sql: `SELECT * FROM ${from} WHERE ${joined}`, columns: input.columns };
    }
    case "dedupe": {
      const keys = step.columns.length
        ? step.columns.map((c) => resolveColumn(c, input.columns))
        : input.columns;
      const order = step.keep === "last" ? "DESC" : "ASC";
      return {
        sql: `SELECT ${columnList(input.columns)} FROM (SELECT *, row_number() OVER () AS ${ROW_NUMBER} FROM ${from}) AS numbered
          QUALIFY row_number() OVER (PARTITION BY ${columnList(keys)} ORDER BY ${ROW_NUMBER} ${order}) = 1
          ORDER BY ${ROW_NUMBER}`,
        columns: input.columns,
      };
    }
    case "sort": {
      const keys = step.keys.map(
        ({ column, descending }) =>
          `${quoteIdent(resolveColumn(column, input.columns).name)} ${descending ? "DESC" : "ASC"} NULLS LAST`,
      );
      // DuckDB's sort is not stable: rows that tie keep the order they arrived in by their number
      return {
        sql: `SELECT ${columnList(input.columns)} FROM (SELECT *, row_number() OVER () AS ${ROW_NUMBER} FROM ${from}) AS numbered
          ORDER BY ${keys.join(", ")}, ${ROW_NUMBER}`,
        columns: input.columns,
      };
    }
    case "limit":
      return {
        sql: `SELECT * FROM ${from} LIMIT ${step.rows} OFFSET ${step.offset}`,
        columns: input.columns,
      };
    case "compute": {
      const compiled = compileExpression(step.expression, input.columns);
      const type = compiled.type;
      const exists = input.columns.some((c) => c.name === step.name);
      const sql = exists
        ? `SELECT * REPLACE ((${compiled.sql}) AS ${quoteIdent(step.name)}) FROM ${from}`
        : `SELECT *, (${compiled.sql}) AS ${quoteIdent(step.name)} FROM ${from}`;
      const columns = exists
        ? input.columns.map((c) => (c.name === step.name ? { name: c.name, type } : c))
        : [...input.columns, { name: step.name, type }];
      refuseDuplicateNames(columns.map((c) => c.name));
      return { sql, columns };
    }
    case "group":
      return compileGroup(input, step);
    case "join":
      return compileJoin(input, step, lookup);
  }
}

function compileGroup(input: TRelation, step: Extract<TStep, { kind: "group" }>): TRelation {
  const by = step.by.map((c) => resolveColumn(c, input.columns));
  if (by.length === 0 && step.aggregates.length === 0)
    throw new TableError("group by at least one column, or add a summary such as a count");
  let needsRowNumber = false;
  const aggregates = step.aggregates.map((aggregate) => {
    const column =
      aggregate.column === undefined ? null : resolveColumn(aggregate.column, input.columns);
    const label = aggregate.function.replace("_", " ");
    if (!column && aggregate.function !== "count")
      throw new TableError(`choose the column to take the ${label} of`);
    const name = aggregate.name ?? (column ? `${aggregate.function}_${column.name}` : "count");
    const value = column ? quoteIdent(column.name) : "";
    if ((aggregate.function === "sum" || aggregate.function === "mean") && !isNumeric(column!.type))
      throw new TableError(
        `the ${label} needs numbers, and '${column!.name}' is ${article(column!.type)}: change its type first`,
      );
    switch (aggregate.function) {
      case "count":
        return { name, type: "integer" as const, sql: `count(${value || "*"})` };
      case "count_distinct":
        return { name, type: "integer" as const, sql: `count(DISTINCT ${value})` };
      case "sum":
        return column!.type === "integer"
          ? { name, type: "integer" as const, sql: `CAST(sum(${value}) AS BIGINT)` }
          : { name, type: "number" as const, sql: `sum(${value})` };
      case "mean":
        return { name, type: "number" as const, sql: `avg(${value})` };
      case "min":
      case "max":
        return { name, type: column!.type, sql: `${aggregate.function}(${value})` };
      case "first":
      case "last":
        needsRowNumber = true;
        return {
          name,
          type: column!.type,
          sql: `${aggregate.function === "first" ? "arg_min" : "arg_max"}(${value}, ${ROW_NUMBER}) FILTER (WHERE ${value} IS NOT NULL)`,
        };
    }
  });
  const columns = [...by, ...aggregates.map(({ name, type }) => ({ name, type }))];
  refuseDuplicateNames(columns.map((c) => c.name));
  const inner = needsRowNumber
    ? `(SELECT *, row_number() OVER () AS ${ROW_NUMBER} FROM (${input.sql}) AS t) AS t`
    : `(${input.sql}) AS t`;
  const list = [
    ...by.map((c) => quoteIdent(c.name)),
    ...aggregates.map((a) => `${a.sql} AS ${quoteIdent(a.name)}`),
  ];
  const grouping = by.length
    ? ` GROUP BY ${columnList(by)} ORDER BY ${by.map((c) => `${quoteIdent(c.name)} NULLS LAST`).join(", ")}`
    : "";
  return { sql: `SELECT ${list.join(", ")} FROM ${inner}${grouping}`, columns };
}

function compileJoin(
  input: TRelation,
  step: Extract<TStep, { kind: "join" }>,
  lookup: TTableLookup,
): TRelation {
  const other = lookup(step.tableId);
  if (!other) throw new TableError("the table to look up no longer exists; choose another");
  const pairs = step.on.map(({ left, right }) => {
    const leftColumn = resolveColumn(left, input.columns);
    const rightColumn = other.columns.find((c) => c.name === right);
    if (!rightColumn)
      throw new TableError(
        `${columnNotFound(right, other.columns).message.replace("column", `'${other.name}' has no column`).replace(" not found", "")}`,
      );
    if (!canCompare(leftColumn.type, rightColumn.type))
      throw new TableError(
        `cannot match '${leftColumn.name}' (${leftColumn.type}) with '${right}' (${rightColumn.type}): change one's type first`,
      );
    return { left: leftColumn, right: rightColumn };
  });
  const matched = new Set(pairs.map((p) => p.right.name));
  const added = step.columns.length
    ? step.columns.map((name) => {
        const column = other.columns.find((c) => c.name === name);
        if (!column) throw columnNotFound(name, other.columns);
        return column;
      })
    : other.columns.filter((c) => !matched.has(c.name));
  // DuckDB's names ignore capitals, so 'Region' clashes with 'region'
  const taken = new Set(input.columns.map((c) => c.name.toLowerCase()));
  const renamed = added.map((c) => {
    let name = c.name;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${c.name}_${n}`;
    taken.add(name.toLowerCase());
    return { source: c, name };
  });
  const keys = columnList(pairs.map((p) => p.right));
  // a lookup takes the first matching row, so a key listed twice never doubles the left rows
  const right = `(SELECT * FROM (SELECT *, row_number() OVER () AS ${ROW_NUMBER} FROM (${other.sql}) AS o) AS o
    QUALIFY row_number() OVER (PARTITION BY ${keys} ORDER BY ${ROW_NUMBER}) = 1) AS r`;
  const on = pairs
    .map((p) => `l.${quoteIdent(p.left.name)} = r.${quoteIdent(p.right.name)}`)
    .join(" AND ");
  const list = [
    ...input.columns.map((c) => `l.${quoteIdent(c.name)}`),
    ...renamed.map((c) => `r.${quoteIdent(c.source.name)} AS ${quoteIdent(c.name)}`),
  ];
  return {
    sql: `SELECT ${list.join(", ")} FROM (SELECT *, row_number() OVER () AS ${ROW_NUMBER} FROM (${input.sql}) AS t) AS l
      ${step.type === "inner" ? "INNER" : "LEFT"} JOIN ${right} ON ${on} ORDER BY l.${ROW_NUMBER}`,
    columns: [...input.columns, ...renamed.map((c) => ({ name: c.name, type: c.source.type }))],
  };
}

function canCompare(a: TColumnType, b: TColumnType): boolean {
  return a === b || (isNumeric(a) && isNumeric(b)) || (isTemporal(a) && isTemporal(b));
}

/** A column by name, or by its position counting from 1. */
export function resolveColumn(ref: string | number, columns: readonly TColumn[]): TColumn {
  if (typeof ref === "number") {
    const column = columns[ref - 1];
    if (!column)
      throw new TableError(
        `there is no column ${ref}; the table has ${columns.length} column${columns.length === 1 ? "" : "s"}: ${columns.map((c) => c.name).join(", ")}`,
      );
    return column;
  }
  const column = columns.find((c) => c.name === ref);
  if (!column) throw columnNotFound(ref, columns);
  return column;
}

/** DuckDB's names ignore capitals: 'Total' and 'total' would be one column to the next step. */
function refuseDuplicateNames(names: string[]) {
  const seen = new Map<string, string>();
  for (const name of names) {
    const earlier = seen.get(name.toLowerCase());
    if (earlier === name) throw new TableError(`two columns would be called '${name}'; rename one`);
    if (earlier !== undefined)
      throw new TableError(
        `'${earlier}' and '${name}' would be one column (names ignore capitals); rename one`,
      );
    seen.set(name.toLowerCase(), name);
  }
}

function columnList(columns: readonly TColumn[]): string {
  return columns.map((c) => quoteIdent(c.name)).join(", ");
}

function article(type: TColumnType): string {
  return type === "integer" ? "an integer" : type === "text" ? "text" : `a ${type}`;
}

function castValue(column: TColumn, type: TColumnType, dateOrder?: TDateOrder): string {
  const name = quoteIdent(column.name);
  if (column.type === type && !dateOrder) return name;
  if (type === "text") return `CAST(${name} AS VARCHAR)`;
  if (column.type === "text") return castText(`NULLIF(trim(${name}), '')`, type, dateOrder);
  // halves away from zero, as round() and the expressions' integer() do (a plain cast rounds to even)
  if (column.type === "number" && type === "integer") return `TRY_CAST(round(${name}) AS BIGINT)`;
  return `TRY_CAST(${name} AS ${SQL_TYPE[type]})`;
}

// ---- filter conditions ----

function compileCondition(condition: TCondition, input: TRelation): string {
  const column = resolveColumn(condition.column, input.columns);
  const name = quoteIdent(column.name);
  const { operator } = condition;
  const isText = column.type === "text";
  const ignoresCase = isText && !condition.caseSensitive;
  const asText = isText ? name : `CAST(${name} AS VARCHAR)`;
  const textValue = (value: unknown) => {
    const literal = quoteString(String(requireValue(value, operator)));
    return ignoresCase ? `lower(${literal})` : literal;
  };
  const folded = ignoresCase ? `lower(${asText})` : asText;
  switch (operator) {
    case "empty":
      return `(${name} IS NULL${isText ? ` OR trim(${name}) = ''` : ""})`;
    case "not_empty":
      return `(${name} IS NOT NULL${isText ? ` AND trim(${name}) <> ''` : ""})`;
    case "contains":
      return `coalesce(contains(${folded}, ${textValue(condition.value)}), false)`;
    case "starts_with":
      return `coalesce(starts_with(${folded}, ${textValue(condition.value)}), false)`;
    case "ends_with":
      return `coalesce(suffix(${folded}, ${textValue(condition.value)}), false)`;
    case "regex":
      return `coalesce(regexp_matches(${asText}, ${quoteString(String(requireValue(condition.value, operator)))}${condition.caseSensitive ? "" : ", 'i'"}), false)`;
    case "equals":
      return isText
        ? `coalesce(${folded} = ${textValue(condition.value)}, false)`
        : `coalesce(${name} = ${literalFor(column, condition.value, operator)}, false)`;
    case "not_equals":
      return isText
        ? `(${folded} IS DISTINCT FROM ${textValue(condition.value)})`
        : `(${name} IS DISTINCT FROM ${literalFor(column, condition.value, operator)})`;
    case "in":
    case "not_in": {
      const values = condition.values ?? [];
      if (values.length === 0) throw new TableError(`list at least one value for '${column.name}'`);
      const list = values
        .map((v) => (isText ? textValue(v) : literalFor(column, v, operator)))
        .join(", ");
      const test = `coalesce(${isText ? folded : name} IN (${list}), false)`;
      return operator === "in" ? test : `NOT ${test}`;
    }
    case "greater_than":
    case "at_least":
    case "less_than":
    case "at_most":
    case "between": {
      if (!isNumeric(column.type) && !isTemporal(column.type))
        throw new TableError(
          `ranges need numbers or dates, and '${column.name}' is ${article(column.type)}: change its type first`,
        );
      if (operator === "between")
        return `coalesce(${name} BETWEEN ${literalFor(column, condition.min, "between")} AND ${literalFor(column, condition.max, "between")}, false)`;
      const symbol = { greater_than: ">", at_least: ">=", less_than: "<", at_most: "<=" }[operator];
      return `coalesce(${name} ${symbol} ${literalFor(column, condition.value, operator)}, false)`;
    }
  }
}

function requireValue(value: unknown, operator: string): string | number | boolean {
  if (value === undefined || value === "")
    throw new TableError(`give a value to compare with (${operator.replaceAll("_", " ")})`);
  return value as string | number | boolean;
}

/** A filter's value as a literal of the column's type, or a sentence saying why it is not one. */
function literalFor(column: TColumn, value: unknown, operator: string): string {
  const given = requireValue(value, operator);
  const text = String(given).trim();
  switch (column.type) {
    case "integer":
    case "number": {
      const number = typeof given === "number" ? given : Number(text);
      if (!Number.isFinite(number) || text === "")
        throw new TableError(`'${text}' is not a number, and '${column.name}' holds numbers`);
      return String(number);
    }
    case "boolean":
      if (!["true", "false"].includes(text.toLowerCase()))
        throw new TableError(`'${column.name}' holds true or false, not '${text}'`);
      return text.toLowerCase();
    case "date":
    case "timestamp": {
      const isDate = /^\d{4}-\d{2}-\d{2}$/.test(text);
      const isTimestamp = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$/.test(text);
      if (!isDate && !isTimestamp)
        throw new TableError(
          `write the date to compare '${column.name}' with as 2024-03-31 (or 2024-03-31 14:30), not '${text}'`,
        );
      if (!isRealDate(text.slice(0, 10)))
        throw new TableError(`'${text.slice(0, 10)}' is not a date in the calendar`);
      return `CAST(${quoteString(text.replace("T", " "))} AS ${isDate ? "DATE" : "TIMESTAMP"})`;
    }
    case "text":
      return quoteString(text);
  }
}

/** "Filter rows" for a step, as the editor and messages call it. */
export function stepLabel(step: TStep): string {
  return STEP_LABELS[step.kind];
}

/** 2024-02-29 is, 2024-02-30 is not: a filter on a date that cannot be would quietly match nothing. */
function isRealDate(isoDate: string): boolean {
  const [year, month, day] = isoDate.split("-").map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}
