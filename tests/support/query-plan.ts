import type { PrismaClient } from "@/server/db/generated/client";
import { Prisma } from "@/server/db/generated/client";
import { isPostgresRun } from "./test-app";

/**
 * How the test's database would run a statement, as text: SQLite's EXPLAIN QUERY PLAN steps
 * ("SEARCH i USING INDEX …") or PostgreSQL's EXPLAIN ("Index Scan using … on …"), one per line.
 */
export async function explainPlan(db: PrismaClient, statement: Prisma.Sql): Promise<string> {
  if (isPostgresRun) {
    const rows = await db.$queryRaw<{ "QUERY PLAN": string }[]>(Prisma.sql`EXPLAIN ${statement}`);
    return rows.map((row) => row["QUERY PLAN"]).join("\n");
  }
  const rows = await db.$queryRaw<{ detail: string }[]>(
    Prisma.sql`EXPLAIN QUERY PLAN ${statement}`,
  );
  return rows.map((row) => row.detail).join("\n");
}

/**
 * PostgreSQL plans by its statistics: a test table of a few rows is read whole whatever its
 * indexes. Plans are checked after a large job is stored and the tables are analysed, as a
 * production database is by autovacuum.
 */
export async function analyzeTables(db: PrismaClient): Promise<void> {
  // VACUUM as well, as autovacuum would: index-only scans are costed by the visibility map
  if (isPostgresRun) await db.$executeRawUnsafe("VACUUM ANALYZE");
}

/**
 * On PostgreSQL, a job of 20,000 images (three per product) stored and every table analysed, so
 * that plans are those of a database with large jobs in it; nothing on SQLite, whose plans do not
 * depend on the tables' sizes here. Returns the large job's id, or null.
 */
export async function storeLargeJobForPlans(
  db: PrismaClient,
  userId: string,
): Promise<string | null> {
  if (!isPostgresRun) return null;
  const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
  const { generateLargePaste } = await import("@/server/batches/input/generate-large-paste");
  const { jobId } = await createBatchJob({
    userId,
    text: generateLargePaste(20_000),
    source: "paste",
  });
  await analyzeTables(db);
  return jobId;
}

/** What a plan must show, said for each database. */
export function planFor<T>(plans: { sqlite: T; postgres: T }): T {
  return isPostgresRun ? plans.postgres : plans.sqlite;
}

/**
 * A step that reads a whole large table or sorts a whole result: SQLite's temporary B-tree,
 * PostgreSQL's Seq Scan of a table that grows with jobs, or full Sort (an Incremental Sort, within
 * rows already in order, is fine). A one-row table such as the test's users is rightly read whole.
 */
export const WHOLE_TABLE_OR_SORT =
  /TEMP B-TREE|Seq Scan on "(Job|ImageItem|Product|SkippedRow|BlobRef)"|(^|->\s+)Sort\s/m;

/**
 * The part of a plan under its (first) LIMIT, PostgreSQL's Limit node and the steps indented
 * below it (SQLite's plan as it is): what runs above the limit handles only the rows it lets
 * through, as the claim's sort of the ids it chose.
 */
export function underLimit(plan: string): string {
  if (!isPostgresRun) return plan;
  const lines = plan.split("\n");
  const start = lines.findIndex((line) => /^\s*(->\s+)?Limit\s/.test(line));
  if (start < 0) return plan;
  const indent = (line: string) => line.search(/\S/);
  const depth = indent(lines[start]!);
  let end = start + 1;
  while (end < lines.length && indent(lines[end]!) > depth) end++;
  return lines.slice(start, end).join("\n");
}
