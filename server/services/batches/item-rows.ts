import "server-only";
import { Prisma, db } from "@/server/db";

/**
 * The two statements on the download hot path, as single SQL statements. Through Prisma's query
 * builder they cost one compiled query per item: the 5,000-image benchmark spent about 4 s of CPU
 * in Prisma alone, more than half of the job. Both statements use only SQL that SQLite and
 * PostgreSQL share (CTE with column names, UPDATE ... FROM, RETURNING).
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
  finishedAt: Date | null;
};

/** Prisma's SQLite adapter keeps DateTime as ISO text with an explicit offset; raw SQL must match it. */
function toDbTime(date: Date): string {
  return date.toISOString().replace("Z", "+00:00");
}

/** Atomically moves up to `limit` pending items of a job, in input order, to "downloading" under a lease. */
export async function claimPendingItems(
  jobId: string,
  limit: number,
  leaseUntil: Date,
): Promise<TClaimedItem[]> {
  return db.$queryRaw<TClaimedItem[]>`
    UPDATE "ImageItem" SET "state" = 'downloading', "leaseUntil" = ${toDbTime(leaseUntil)}
    WHERE "id" IN (
      SELECT "id" FROM "ImageItem" WHERE "jobId" = ${jobId} AND "state" = 'pending' ORDER BY "line" LIMIT ${limit}
    )
    RETURNING "id", "productId", "position", "url"`;
}

/** Writes outcomes onto items still held ("downloading"): a cancel that came first is never overwritten. */
export async function recordItemOutcomes(rows: TItemOutcomeRow[]): Promise<void> {
  if (rows.length === 0) return;
  const tuples = rows.map(
    (row) =>
      Prisma.sql`(${row.id}, ${row.state}, ${row.attempts}, ${row.httpStatus}, ${row.contentType}, ${row.extension}, ${row.bytes}, ${row.sha256}, ${row.crc32}, ${row.error}, ${row.finishedAt ? toDbTime(row.finishedAt) : null})`,
  );
  await db.$executeRaw`
    WITH "outcome"("id", "state", "attempts", "httpStatus", "contentType", "extension", "bytes", "sha256", "crc32", "error", "finishedAt")
      AS (VALUES ${Prisma.join(tuples)})
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
      "leaseUntil" = NULL,
      "finishedAt" = "outcome"."finishedAt"
    FROM "outcome"
    WHERE "ImageItem"."id" = "outcome"."id" AND "ImageItem"."state" = 'downloading'`;
}
