import "server-only";
import { db, Prisma } from "@/server/db";
import { jsonRows } from "@/server/db-dialect";
import { AppError } from "@/server/errors";
import { getRuntime } from "@/server/runtime";
import { deleteJob } from "../jobs/job-actions";
import { FINAL_JOB_STATES } from "../jobs/job-progress";

/** The System page lists this many jobs, the ones holding the most bytes. */
export const JOB_STORAGE_LISTED = 50;
/** Files whose size no row records are asked of the store, at most this many per reading. */
const STATS_PER_READING = 500;
const STATS_AT_ONCE = 8;

export type TJobStorageEntry = {
  jobId: string;
  title: string;
  kind: string;
  status: string;
  createdAt: Date;
  finishedAt: Date | null;
  /** the distinct files the job keeps (its blob references) */
  files: number;
  /** their bytes, each file counted once for this job, however many other jobs keep it too */
  bytes: number;
  /** of those, the bytes of files another job or a table keeps as well: deleting this job leaves them */
  sharedBytes: number;
  /** files whose size is not known (not recorded, and not found in the store): counted as 0 bytes */
  unsizedFiles: number;
  /** only a finished job may be deleted from the System page */
  isDeletable: boolean;
};

export type TJobStorageReport = {
  jobs: TJobStorageEntry[];
  /** every job that keeps files, listed or not */
  jobCount: number;
  /** the sum of every job's bytes: a file kept by three jobs counts three times */
  bytesCountedPerJob: number;
  /** the bytes of the distinct files jobs keep: what they take in the store */
  distinctBytes: number;
  distinctFiles: number;
  unsizedFiles: number;
};

/** Counts and sums as the driver returns them: a number, a bigint, or PostgreSQL's numeric. */
type TSqlNumber = number | bigint | { toString(): string } | null;

type TJobStorageRow = {
  jobId: string;
  files: TSqlNumber;
  bytes: TSqlNumber;
  sharedBytes: TSqlNumber;
  unsizedFiles: TSqlNumber;
  jobCount: TSqlNumber;
  bytesCountedPerJob: TSqlNumber;
  distinctBytes: TSqlNumber;
  distinctFiles: TSqlNumber;
  distinctUnsizedFiles: TSqlNumber;
};

const toNumber = (value: TSqlNumber | undefined) => Number(value?.toString() ?? 0);

// a blob never changes (its name is its content's hash), so a size read from the store once is
// not read again; statUnsizedBlobs keeps only the sizes of files still kept and unsized
const globalForSizes = globalThis as unknown as { datahaulStatSizes?: Map<string, number> };
const statSizes = (globalForSizes.datahaulStatSizes ??= new Map());

/**
 * Every file's size by hash, from the rows that record one when they store it (images, report
 * files, export files), and from `statted`, sizes read from the store for files no row records
 * (a table's Parquet an export or push keeps, a push's rows).
 */
function blobSizes(statted: [string, number][]): Prisma.Sql {
  return Prisma.sql`
    "known" AS (
      SELECT "sha256", "bytes" FROM "ImageItem" WHERE "sha256" IS NOT NULL AND "bytes" IS NOT NULL
      UNION ALL
      SELECT "convertedSha256", "convertedBytes" FROM "ImageItem"
        WHERE "convertedSha256" IS NOT NULL AND "convertedBytes" IS NOT NULL
      UNION ALL
      SELECT "sha256", "bytes" FROM "ReportRunFile"
      UNION ALL
      SELECT "sha256", "bytes" FROM "ExportOutput" WHERE "sha256" IS NOT NULL AND "bytes" IS NOT NULL
      UNION ALL
      SELECT CAST("value"->>0 AS TEXT), CAST("value"->>1 AS BIGINT)
      FROM ${jsonRows(JSON.stringify(statted))}
    ),
    "sizes" AS (SELECT "sha256", MAX("bytes") AS "bytes" FROM "known" GROUP BY "sha256")`;
}

/**
 * The jobs that keep the most stored bytes, with totals. A file several jobs keep (content is
 * stored once per hash) counts in full for each of them, and `sharedBytes` says how much of a
 * job's total is such files; the distinct total is what the store holds for all jobs.
 */
export async function listJobStorage(args: { limit?: number } = {}): Promise<TJobStorageReport> {
  const limit = args.limit ?? JOB_STORAGE_LISTED;
  const statted = await statUnsizedBlobs();
  const rows = await db.$queryRaw<TJobStorageRow[]>`
    WITH ${blobSizes(statted)},
    "keepers" AS (
      SELECT "sha256", COUNT(*) AS "count" FROM (
        SELECT "sha256" FROM "BlobRef"
        UNION ALL
        SELECT "sha256" FROM "DataTable" WHERE "sha256" IS NOT NULL
      ) AS "kept" GROUP BY "sha256"
    ),
    "perJob" AS (
      SELECT r."jobId",
        COUNT(*) AS "files",
        SUM(COALESCE(s."bytes", 0)) AS "bytes",
        SUM(CASE WHEN k."count" > 1 THEN COALESCE(s."bytes", 0) ELSE 0 END) AS "sharedBytes",
        SUM(CASE WHEN s."bytes" IS NULL THEN 1 ELSE 0 END) AS "unsizedFiles"
      FROM "BlobRef" r
      JOIN "Job" j ON j."id" = r."jobId" AND j."status" <> 'creating'
      JOIN "keepers" k ON k."sha256" = r."sha256"
      LEFT JOIN "sizes" s ON s."sha256" = r."sha256"
      GROUP BY r."jobId"
    ),
    "stored" AS (
      SELECT COUNT(*) AS "files",
        SUM(COALESCE(s."bytes", 0)) AS "bytes",
        SUM(CASE WHEN s."bytes" IS NULL THEN 1 ELSE 0 END) AS "unsizedFiles"
      FROM (SELECT DISTINCT "sha256" FROM "BlobRef") AS "d"
      LEFT JOIN "sizes" s ON s."sha256" = "d"."sha256"
    )
    SELECT p."jobId", p."files", p."bytes", p."sharedBytes", p."unsizedFiles",
      COUNT(*) OVER () AS "jobCount",
      SUM(p."bytes") OVER () AS "bytesCountedPerJob",
      "stored"."bytes" AS "distinctBytes",
      "stored"."files" AS "distinctFiles",
      "stored"."unsizedFiles" AS "distinctUnsizedFiles"
    FROM "perJob" p CROSS JOIN "stored"
    ORDER BY p."bytes" DESC, p."jobId"
    LIMIT ${limit}`;

  const jobs = await db.job.findMany({
    where: { id: { in: rows.map((row) => row.jobId) } },
    select: {
      id: true,
      title: true,
      kind: true,
      status: true,
      createdAt: true,
      finishedAt: true,
    },
  });
  const jobById = new Map(jobs.map((job) => [job.id, job]));
  const first = rows[0];
  return {
    jobs: rows.flatMap((row) => {
      const job = jobById.get(row.jobId);
      // deleted between the two reads
      if (!job) return [];
      return [
        {
          jobId: job.id,
          title: job.title,
          kind: job.kind,
          status: job.status,
          createdAt: job.createdAt,
          finishedAt: job.finishedAt,
          files: toNumber(row.files),
          bytes: toNumber(row.bytes),
          sharedBytes: toNumber(row.sharedBytes),
          unsizedFiles: toNumber(row.unsizedFiles),
          isDeletable: FINAL_JOB_STATES.has(job.status),
        },
      ];
    }),
    jobCount: toNumber(first?.jobCount),
    bytesCountedPerJob: toNumber(first?.bytesCountedPerJob),
    distinctBytes: toNumber(first?.distinctBytes),
    distinctFiles: toNumber(first?.distinctFiles),
    unsizedFiles: toNumber(first?.distinctUnsizedFiles),
  };
}

/**
 * Sizes, from the store, of kept files no row records a size for, at most STATS_PER_READING of
 * them, a few at a time. A size once read is kept while its file stays unsized (see statSizes); a
 * file absent from the store, or past the cap, stays unsized.
 */
async function statUnsizedBlobs(): Promise<[string, number][]> {
  const unsized = await db.$queryRaw<{ sha256: string }[]>`
    WITH ${blobSizes([])}
    SELECT DISTINCT r."sha256" FROM "BlobRef" r
    LEFT JOIN "sizes" s ON s."sha256" = r."sha256"
    WHERE s."sha256" IS NULL
    LIMIT ${STATS_PER_READING}`;
  const hashes = new Set(unsized.map((row) => row.sha256));
  // files no job keeps any more leave the memo, so it never outgrows one reading
  for (const sha256 of statSizes.keys()) if (!hashes.has(sha256)) statSizes.delete(sha256);
  const { blobs } = getRuntime();
  const toStat = [...hashes].filter((sha256) => !statSizes.has(sha256));
  await Promise.all(
    Array.from({ length: STATS_AT_ONCE }, async () => {
      for (let sha256 = toStat.shift(); sha256; sha256 = toStat.shift()) {
        const stat = await blobs.statBlob(sha256).catch(() => null);
        if (stat) statSizes.set(sha256, stat.size);
      }
    }),
  );
  return [...statSizes];
}

/**
 * Deletes a finished job from the System page's storage list, through the jobs list's own delete;
 * its files go in the next sweep once no other job or table keeps them. A job still going is
 * refused: cancelling it is the job page's decision, not a side effect of tidying storage.
 */
export async function deleteFinishedJob(jobId: string): Promise<{ jobId: string }> {
  const job = await db.job.findUnique({ where: { id: jobId }, select: { status: true } });
  if (!job) throw new AppError("NOT_FOUND", "This job does not exist (it may have been deleted).");
  if (!FINAL_JOB_STATES.has(job.status))
    throw new AppError(
      "CONFLICT",
      `This job is ${job.status}: only a finished job can be deleted here. Cancel it on its page first.`,
    );
  await deleteJob(jobId);
  return { jobId };
}
