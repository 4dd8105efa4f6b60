import "server-only";
import { Prisma } from "./db/generated/client";
import { isPostgresUrl } from "./db-url";
import { env } from "./env";

/**
 * The few places where SQLite and PostgreSQL need different SQL, each a fragment a statement puts
 * in its one text. Everything else is written once in SQL both accept (standard CASTs, `->>`,
 * `ON CONFLICT`, `UPDATE … FROM`, `RETURNING`).
 */
export const isPostgres = isPostgresUrl(env.databaseUrl);

/** The database's name, for messages (the System page). */
export const databaseName = isPostgres ? "PostgreSQL" : "SQLite";

/**
 * The elements of a JSON array parameter as rows with a "value" column, and "key" their index
 * (input order). Many rows travel as one parameter: see server/services/batches/item-rows.ts.
 * Objects and arrays: read their fields with `"value"->>n` (text on PostgreSQL: CAST it).
 */
export function jsonRows(json: string): Prisma.Sql {
  return isPostgres
    ? Prisma.sql`json_array_elements(CAST(${json} AS json)) WITH ORDINALITY AS "elements"("value", "key")`
    : Prisma.sql`json_each(${json})`;
}

/** The strings of a JSON array parameter as rows of one text column, "value". */
export function jsonTexts(values: string[]): Prisma.Sql {
  const json = JSON.stringify(values);
  return isPostgres
    ? Prisma.sql`json_array_elements_text(CAST(${json} AS json)) AS "texts"("value")`
    : Prisma.sql`json_each(${json})`;
}

/**
 * A time read from text (a JSON field, a parameter): PostgreSQL's TIMESTAMP(3) column needs the
 * cast; SQLite keeps DateTime as ISO text (see `toDbTime`), and a CAST there would make it a number.
 */
export function timeFromText(text: Prisma.Sql): Prisma.Sql {
  return isPostgres ? Prisma.sql`CAST(${text} AS TIMESTAMP(3))` : text;
}

/**
 * SQLite's `INDEXED BY`, where its planner needs telling; PostgreSQL's planner picks the index
 * from its statistics, and has no such clause.
 */
export function indexedBy(index: string): Prisma.Sql {
  return isPostgres ? Prisma.empty : Prisma.raw(`INDEXED BY "${index}"`);
}

/**
 * The end of a claim's row choice: on PostgreSQL two sessions choosing at once would both choose
 * the same rows (the second waits on the first's row locks, then updates them again), so each
 * locks what it chooses and skips what another holds. SQLite runs one writer at a time.
 */
export const skipLockedRows: Prisma.Sql = isPostgres
  ? Prisma.sql`FOR UPDATE SKIP LOCKED`
  : Prisma.empty;

/** Case-insensitive LIKE: SQLite's LIKE already is (for ASCII); PostgreSQL's is not. */
export const likeAnyCase: Prisma.Sql = isPostgres ? Prisma.sql`ILIKE` : Prisma.sql`LIKE`;
