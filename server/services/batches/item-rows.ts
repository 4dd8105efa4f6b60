import "server-only";
import { Prisma, db } from "@/server/db";
import {
  indexedBy,
  isPostgres,
  jsonRows,
  jsonTexts,
  skipLockedRows,
  timeFromText,
} from "@/server/db-dialect";
import { createSortableId } from "./sortable-id";

/**
 * The statements on the download hot path, as single SQL statements. Through Prisma's query
 * builder they cost one compiled query per item: the 5,000-image benchmark spent about 4 s of CPU
 * in Prisma alone, more than half of the job.
 *
 * Statements about many rows take them as one JSON parameter, not a parameter per value. Prisma
 * keeps the arguments of its last 100 queries in memory (for crash reports, even without DEBUG):
 * with a parameter per value, creating a 20,000-image job left ~15 MB of argument objects behind,
 * and every statement cost an object per value on the way in. SQLite reads the JSON with
 * `json_each`, PostgreSQL with `json_array_elements` (server/db-dialect.ts); `->>` is the same in
 * both, but gives text on PostgreSQL, so numbers, flags and times are CAST to their columns' types.
 */

export type TClaimedItem = { id: string; productId: string; position: number; url: string };

export type TItemOutcomeRow = {
  id: string;
  state: "downloaded" | "duplicate" | "failed" | "pending";
  attempts: number;
  httpStatus: number | null;
  contentType: string | null;
  extension: string | null;
  bytes: number | null;
  sha256: string | null;
  crc32: number | null;
  error: string | null;
  /** the engine's kind of failure, for failed items */
  errorKind: string | null;
  /** a failed item that may succeed when fetched again */
  isRetryable: boolean;
  finishedAt: Date | null;
  /** the converted copy the ZIP holds (a batch that converts images), or null */
  converted: { sha256: string; bytes: number; crc32: number; extension: string } | null;
};

/**
 * Prisma's SQLite adapter keeps DateTime as ISO text with an explicit offset; raw SQL must match it.
 * PostgreSQL reads the same text as a parameter for a TIMESTAMP(3) column (UTC, as Prisma keeps it).
 */
export function toDbTime(date: Date): string {
  return date.toISOString().replace("Z", "+00:00");
}

/**
 * Atomically moves up to `limit` pending items of a job, in input order, to "downloading" under a
 * lease, and with them every other pending item of the job with one of their URLs: the same URL
 * under several products is fetched once and filed under each.
 */
export async function claimPendingItems(
  jobId: string,
  limit: number,
  leaseUntil: Date,
  options: { hasSharedUrls?: boolean } = {},
): Promise<TClaimedItem[]> {
  const claimed = await db.$queryRaw<TClaimedItem[]>(claimStatement(jobId, limit, leaseUntil));
  // most batches have no URL under two products: one statement per claim, not two
  if (claimed.length === 0 || options.hasSharedUrls === false) return claimed;
  const urls = [...new Set(claimed.map((item) => item.url))];
  const sameUrl = await db.$queryRaw<TClaimedItem[]>(
    claimSameUrlStatement(jobId, urls, leaseUntil),
  );
  return sameUrl.length === 0 ? claimed : [...claimed, ...sameUrl];
}

/** Whether any URL of the job is listed under two products (or twice under one). */
export async function hasSharedUrls(jobId: string): Promise<boolean> {
  const shared = await db.$queryRaw<unknown[]>`
    SELECT 1 FROM "ImageItem" ${indexedBy("ImageItem_jobId_url_idx")}
    WHERE "jobId" = ${jobId} GROUP BY "url" HAVING count(*) > 1 LIMIT 1`;
  return shared.length > 0;
}

/** The pending items of a job with one of these URLs, looked up by URL through their index. */
export function claimSameUrlStatement(jobId: string, urls: string[], leaseUntil: Date): Prisma.Sql {
  return Prisma.sql`
    UPDATE "ImageItem" ${indexedBy("ImageItem_jobId_url_idx")}
    SET "state" = 'downloading', "leaseUntil" = ${toDbTime(leaseUntil)}
    WHERE "jobId" = ${jobId} AND "url" IN (SELECT "value" FROM ${jsonTexts(urls)})
      AND "state" = 'pending'
    RETURNING "id", "productId", "position", "url"`;
}

/**
 * The claim as a statement of its own, so a test can check that both databases serve it from an
 * index. On PostgreSQL the chosen rows are locked and rows another claim holds are skipped
 * (`skipLockedRows`); the outer state check keeps an item from being claimed twice even so.
 * The choice is MATERIALIZED, made once: as a subquery in the WHERE, PostgreSQL's plan for a small
 * job ran it again for every row it updated, and each run skipped the rows already taken and
 * locked the next ones, so one claim of 16 took all 80 items of the job.
 */
export function claimStatement(jobId: string, limit: number, leaseUntil: Date): Prisma.Sql {
  return Prisma.sql`
    WITH "chosen" AS MATERIALIZED (
      SELECT "id" FROM "ImageItem" WHERE "jobId" = ${jobId} AND "state" = 'pending' ORDER BY "line" LIMIT ${limit}
      ${skipLockedRows}
    )
    UPDATE "ImageItem" SET "state" = 'downloading', "leaseUntil" = ${toDbTime(leaseUntil)}
    WHERE "id" IN (SELECT "id" FROM "chosen") AND "state" = 'pending'
    RETURNING "id", "productId", "position", "url"`;
}

/** Puts claimed items back in line; items a cancel already finished stay as they are. */
export async function releaseClaims(itemIds: string[]): Promise<void> {
  // after failed writes these can be thousands: one JSON parameter, not one per id (SQLite: 999)
  await db.$executeRaw`
    UPDATE "ImageItem" SET "state" = 'pending', "leaseUntil" = NULL
    WHERE "state" = 'downloading' AND "id" IN (SELECT "value" FROM ${jsonTexts(itemIds)})`;
}

/** Writes outcomes onto items still held ("downloading"): a cancel that came first is never overwritten. */
export async function recordItemOutcomes(rows: TItemOutcomeRow[]): Promise<void> {
  if (rows.length === 0) return;
  const outcomes = JSON.stringify(
    rows.map((row) => [
      row.id,
      row.state,
      row.attempts,
      row.httpStatus,
      row.contentType,
      row.extension,
      row.bytes,
      row.sha256,
      row.crc32,
      row.error,
      row.finishedAt ? toDbTime(row.finishedAt) : null,
      row.errorKind,
      row.isRetryable ? 1 : 0,
      row.converted?.sha256 ?? null,
      row.converted?.bytes ?? null,
      row.converted?.crc32 ?? null,
      row.converted?.extension ?? null,
    ]),
  );
  await db.$executeRaw`
    WITH "outcome" AS (
      SELECT "value"->>0 AS "id", "value"->>1 AS "state", CAST("value"->>2 AS INTEGER) AS "attempts",
             CAST("value"->>3 AS INTEGER) AS "httpStatus", "value"->>4 AS "contentType",
             "value"->>5 AS "extension", CAST("value"->>6 AS INTEGER) AS "bytes",
             "value"->>7 AS "sha256", CAST("value"->>8 AS INTEGER) AS "crc32", "value"->>9 AS "error",
             ${timeFromText(Prisma.sql`"value"->>10`)} AS "finishedAt", "value"->>11 AS "errorKind",
             CAST("value"->>12 AS BOOLEAN) AS "isRetryable", "value"->>13 AS "convertedSha256",
             CAST("value"->>14 AS INTEGER) AS "convertedBytes",
             CAST("value"->>15 AS INTEGER) AS "convertedCrc32", "value"->>16 AS "convertedExtension"
      FROM ${jsonRows(outcomes)})
    UPDATE "ImageItem" SET
      "state" = "outcome"."state",
      "attempts" = "ImageItem"."attempts" + "outcome"."attempts",
      "httpStatus" = "outcome"."httpStatus",
      "contentType" = "outcome"."contentType",
      "extension" = "outcome"."extension",
      "bytes" = "outcome"."bytes",
      "sha256" = "outcome"."sha256",
      "crc32" = "outcome"."crc32",
      "error" = "outcome"."error",
      "errorKind" = "outcome"."errorKind",
      "isRetryable" = "outcome"."isRetryable",
      "leaseUntil" = NULL,
      "finishedAt" = "outcome"."finishedAt",
      "convertedSha256" = "outcome"."convertedSha256",
      "convertedBytes" = "outcome"."convertedBytes",
      "convertedCrc32" = "outcome"."convertedCrc32",
      "convertedExtension" = "outcome"."convertedExtension"
    FROM "outcome"
    WHERE "ImageItem"."id" = "outcome"."id" AND "ImageItem"."state" = 'downloading'`;
}

const INSERT_ROWS_PER_STATEMENT = 1_000;

/**
 * The statements that insert a chunk of a batch: its products, items and skipped entries, a
 * thousand rows per statement. They are run together as one transaction of plain statements: an
 * interactive transaction per chunk cost more than the rows it wrote.
 */
export function batchRowStatements(
  jobId: string,
  products: { id: string; number: string; position: number }[],
  items: { productId: string; position: number; line: number; url: string }[],
  skipped: {
    line: number;
    product: string;
    url: string;
    verdict: string;
    message: string | null;
  }[],
): Prisma.Sql[] {
  const statements: Prisma.Sql[] = [];
  for (let i = 0; i < products.length; i += INSERT_ROWS_PER_STATEMENT) {
    const rows = JSON.stringify(
      products.slice(i, i + INSERT_ROWS_PER_STATEMENT).map((p) => [p.id, p.number, p.position]),
    );
    statements.push(Prisma.sql`
      INSERT INTO "Product" ("id", "jobId", "number", "position")
      SELECT "value"->>0, ${jobId}, "value"->>1, CAST("value"->>2 AS INTEGER) FROM ${jsonRows(rows)}`);
  }
  for (let i = 0; i < items.length; i += INSERT_ROWS_PER_STATEMENT) {
    const rows = JSON.stringify(
      items
        .slice(i, i + INSERT_ROWS_PER_STATEMENT)
        .map((item) => [createSortableId(), item.productId, item.position, item.line, item.url]),
    );
    statements.push(Prisma.sql`
      INSERT INTO "ImageItem" ("id", "jobId", "productId", "position", "line", "url", "state", "attempts")
      SELECT "value"->>0, ${jobId}, "value"->>1, CAST("value"->>2 AS INTEGER),
        CAST("value"->>3 AS INTEGER), "value"->>4, 'pending', 0
      FROM ${jsonRows(rows)}`);
  }
  for (let i = 0; i < skipped.length; i += INSERT_ROWS_PER_STATEMENT) {
    const values = JSON.stringify(
      skipped
        .slice(i, i + INSERT_ROWS_PER_STATEMENT)
        .map((row) => [row.line, row.product, row.url, row.verdict, row.message ?? ""]),
    );
    // the rows go in in the array's order ("key"), so ids follow the input
    statements.push(Prisma.sql`
      INSERT INTO "SkippedRow" ("jobId", "line", "product", "url", "verdict", "message")
      SELECT ${jobId}, CAST("value"->>0 AS INTEGER), "value"->>1, "value"->>2, "value"->>3, "value"->>4
      FROM ${jsonRows(values)} ORDER BY "key"`);
  }
  return statements;
}

/**
 * Deletes up to `limit` rows of a job's items, then of its skipped entries, then of its products;
 * false once none is left. A job deleted in one statement holds the database for as long as its
 * cascade takes, a second or more at 100,000 images.
 */
export async function deleteJobRows(jobId: string, limit: number): Promise<boolean> {
  // SQLite finds rows fastest by rowid; PostgreSQL has none to use here, and finds them by key
  const rowKey = Prisma.raw(isPostgres ? `"id"` : "rowid");
  for (const table of ["ImageItem", "SkippedRow", "Product"] as const) {
    const name = Prisma.raw(`"${table}"`);
    const deleted = await db.$executeRaw`
      DELETE FROM ${name} WHERE ${rowKey} IN (SELECT ${rowKey} FROM ${name} WHERE "jobId" = ${jobId} LIMIT ${limit})`;
    if (deleted > 0) return true;
  }
  return false;
}
