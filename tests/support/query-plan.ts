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
  if (isPostgresRun) await db.$executeRawUnsafe("ANALYZE");
}
