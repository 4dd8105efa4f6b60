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

/** Puts claimed items back in line; items a cancel already finished stay as they are. */
export async function releaseClaims(itemIds: string[]): Promise<void> {
  await db.imageItem.updateMany({
    where: { id: { in: itemIds }, state: "downloading" },
    data: { state: "pending", leaseUntil: null },
  });
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

const INSERT_ROWS_PER_STATEMENT = 1_000;

type TTransaction = Parameters<Parameters<typeof db.$transaction>[0]>[0];

/**
 * Inserts a batch's products and items with multi-row INSERTs. Prisma's createMany compiled each
 * chunk in its query engine, and creating a 20,000-image job grew the server by about 250 MB
 * (bench:images); plain statements keep creation flat.
 */
export async function insertBatchRows(
  tx: TTransaction,
  jobId: string,
  products: { id: string; number: string; position: number }[],
  items: { productId: string; position: number; line: number; url: string }[],
): Promise<void> {
  for (let i = 0; i < products.length; i += INSERT_ROWS_PER_STATEMENT) {
    const tuples = products
      .slice(i, i + INSERT_ROWS_PER_STATEMENT)
      .map((p) => Prisma.sql`(${p.id}, ${jobId}, ${p.number}, ${p.position})`);
    await tx.$executeRaw`INSERT INTO "Product" ("id", "jobId", "number", "position") VALUES ${Prisma.join(tuples)}`;
  }
  for (let i = 0; i < items.length; i += INSERT_ROWS_PER_STATEMENT) {
    const tuples = items
      .slice(i, i + INSERT_ROWS_PER_STATEMENT)
      .map(
        (item) =>
          Prisma.sql`(${crypto.randomUUID()}, ${jobId}, ${item.productId}, ${item.position}, ${item.line}, ${item.url}, 'pending', 0)`,
      );
    await tx.$executeRaw`INSERT INTO "ImageItem" ("id", "jobId", "productId", "position", "line", "url", "state", "attempts") VALUES ${Prisma.join(tuples)}`;
  }
}
