import type { DuckDBConnection } from "@duckdb/node-api";
import { queryRows } from "./duckdb";
import { quoteIdent, quoteString, type TColumn, type TColumnType } from "./table-types";

/**
 * How a date column's text is read: ISO (2024-03-01), or the day-first (01/03/2024, 01.03.2024)
 * and month-first (03/01/2024) forms spreadsheet exports write.
 */
export type TDateOrder = "iso" | "day-first" | "month-first";

/** A column as read from its source: its type, and for dates the order its text is read in. */
export type TSourceColumn = TColumn & { dateOrder?: TDateOrder };

const INTEGER = "[-+]?(0|[1-9][0-9]{0,17})";
// a leading zero ("00123", "0123.5") keeps a column text: codes, ZIPs and SKUs are not numbers
const NUMBER = "[-+]?((0|[1-9][0-9]*)(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]{1,3})?";
const ISO_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}";
const ISO_TIMESTAMP = `${ISO_DATE}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?Z?`;
const SLASH_DATE = "[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{4}";
const SLASH_TIMESTAMP = `${SLASH_DATE}[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2})?`;

const DAY_FIRST = ["%d/%m/%Y"];
const MONTH_FIRST = ["%m/%d/%Y"];
const withTimes = (formats: string[]) => formats.flatMap((f) => [`${f} %H:%M:%S`, `${f} %H:%M`]);

function formatList(formats: string[]): string {
  return `[${formats.map(quoteString).join(", ")}]`;
}

/** The text with "." and "-" between day, month and year read as "/", and a "T" before the time as " ". */
function slashed(value: string): string {
  return `replace(regexp_replace(${value}, '^([0-9]{1,2})[.-]([0-9]{1,2})[.-]', '\\1/\\2/'), 'T', ' ')`;
}

/** The SQL that turns a column's trimmed text into its type; a value that does not fit is NULL. */
export function castText(
  text: string,
  type: TColumnType,
  dateOrder: TDateOrder | undefined,
): string {
  switch (type) {
    case "text":
      return text;
    case "integer":
      return `TRY_CAST(${text} AS BIGINT)`;
    case "number":
      return `TRY_CAST(${text} AS DOUBLE)`;
    case "boolean":
      return `TRY_CAST(${text} AS BOOLEAN)`;
    case "date":
    case "timestamp": {
      if (!dateOrder || dateOrder === "iso")
        return `TRY_CAST(${type === "date" ? text : `rtrim(${text}, 'Z')`} AS ${type === "date" ? "DATE" : "TIMESTAMP"})`;
      const formats = dateOrder === "day-first" ? DAY_FIRST : MONTH_FIRST;
      const parsed = `try_strptime(${slashed(text)}, ${formatList(type === "date" ? formats : withTimes(formats))})`;
      return type === "date" ? `CAST(${parsed} AS DATE)` : parsed;
    }
  }
}

/**
 * The SELECT that gives a text-only relation its columns' types. Empty text is NULL in every
 * column; other text is kept as it is in text columns and trimmed before it is read as a value.
 */
export function typedSelect(relation: string, columns: readonly TSourceColumn[]): string {
  const list = columns.map((column) => {
    const raw = quoteIdent(column.name);
    const value =
      column.type === "text"
        ? `NULLIF(${raw}, '')`
        : castText(`NULLIF(trim(${raw}), '')`, column.type, column.dateOrder);
    return `${value} AS ${raw}`;
  });
  return `SELECT ${list.join(", ")} FROM ${relation}`;
}

/** `then` for a value of the pattern's shape: a failing cast is slow, so only plausible text is cast */
function shaped(value: string, pattern: string, then: string): string {
  return `CASE WHEN regexp_full_match(${value}, '${pattern}') THEN ${then} END`;
}

type TCandidate = {
  key: string;
  type: TColumnType;
  dateOrder?: TDateOrder;
  /** SQL that is not NULL when one trimmed, non-empty value fits (the cast runs only on text of the right shape) */
  fits: (value: string) => string;
};

// in order of preference: the first that every value of a column fits is its type
const CANDIDATES: TCandidate[] = [
  { key: "int", type: "integer", fits: (v) => shaped(v, INTEGER, "1") },
  { key: "num", type: "number", fits: (v) => shaped(v, NUMBER, "1") },
  {
    key: "bool",
    type: "boolean",
    fits: (v) => `CASE WHEN lower(${v}) IN ('true', 'false') THEN 1 END`,
  },
  {
    key: "iso_d",
    type: "date",
    dateOrder: "iso",
    fits: (v) => shaped(v, ISO_DATE, castText(v, "date", "iso")),
  },
  {
    key: "iso_ts",
    type: "timestamp",
    dateOrder: "iso",
    fits: (v) => shaped(v, ISO_TIMESTAMP, castText(v, "timestamp", "iso")),
  },
  ...(["date", "timestamp"] as const).flatMap((type) =>
    (["day-first", "month-first"] as const).map((dateOrder): TCandidate => ({
      key: `${type === "date" ? "d" : "ts"}_${dateOrder === "day-first" ? "dmy" : "mdy"}`,
      type,
      dateOrder,
      fits: (v) =>
        shaped(v, type === "date" ? SLASH_DATE : SLASH_TIMESTAMP, castText(v, type, dateOrder)),
    })),
  ),
];

export type TInferred = {
  columns: TSourceColumn[];
  rows: number;
  /** what a user should know about how a column was read, in plain words */
  notes: string[];
};

/**
 * Decides each column's type from all of its values, in one pass: a column is a number only when
 * every non-empty value is one, a date only when every value is a real date in one form. Dates that
 * read as valid both day-first and month-first (every day is 12 or less) stay text, with a note:
 * guessing would swap day and month without anyone noticing.
 */
export async function inferColumnTypes(
  connection: DuckDBConnection,
  relation: string,
  names: readonly string[],
): Promise<TInferred> {
  // a sample rules most candidates out cheaply; the full pass checks only what is left
  const sample = await countFits(
    connection,
    `(SELECT * FROM ${relation} LIMIT ${SAMPLE_ROWS})`,
    names,
    names.map(() => CANDIDATES),
    true,
  );
  const survivors = names.map((_, index) =>
    CANDIDATES.filter((candidate) => sample.fits(index, candidate)),
  );
  const full = await countFits(connection, relation, names, survivors);
  const notes: string[] = [];
  const columns = names.map((name, index): TSourceColumn => {
    const fitting = survivors[index]!.filter((candidate) => full.fits(index, candidate));
    const [best] = fitting;
    if (!best) return { name, type: "text" };
    const isAmbiguous =
      best.dateOrder === "day-first" &&
      fitting.some((other) => other.type === best.type && other.dateOrder === "month-first");
    if (isAmbiguous) {
      notes.push(
        `'${name}' holds dates that read as valid both day-first and month-first (every day is 12 or less), so it was left as text: cast it to a date and choose the order.`,
      );
      return { name, type: "text" };
    }
    return best.dateOrder
      ? { name, type: best.type, dateOrder: best.dateOrder }
      : { name, type: best.type };
  });
  return { columns, rows: full.rows, notes };
}

const SAMPLE_ROWS = 10_000;

/** One pass counting, per column, its non-empty values and those that fit each candidate. */
async function countFits(
  connection: DuckDBConnection,
  relation: string,
  names: readonly string[],
  candidatesPerColumn: readonly (readonly TCandidate[])[],
  // a column empty in the sample keeps every candidate for the full pass
  isSample = false,
): Promise<{ rows: number; fits(index: number, candidate: TCandidate): boolean }> {
  const aggregates = ["count(*) AS rows"];
  const values = ["1 AS one"];
  candidatesPerColumn.forEach((candidates, index) => {
    if (candidates.length === 0) return;
    values.push(`NULLIF(trim(${quoteIdent(names[index]!)}), '') AS v${index}`);
    aggregates.push(`count(v${index}) AS c${index}_filled`);
    for (const candidate of candidates)
      aggregates.push(`count(${candidate.fits(`v${index}`)}) AS c${index}_${candidate.key}`);
  });
  const [counts] = await queryRows(
    connection,
    `SELECT ${aggregates.join(", ")} FROM (SELECT ${values.join(", ")} FROM ${relation})`,
  );
  const count = (key: string) => Number(counts![key] ?? 0);
  return {
    rows: count("rows"),
    fits: (index, candidate) => {
      const filled = count(`c${index}_filled`);
      return (filled > 0 || isSample) && count(`c${index}_${candidate.key}`) === filled;
    },
  };
}
