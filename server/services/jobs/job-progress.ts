import "server-only";
import { imageOptionsOf, type TStoredImageOptions } from "@/server/batches/image-batch-options";
import { Prisma, db } from "@/server/db";
import { jsonTexts } from "@/server/db-dialect";
import { estimateSecondsLeft, readJobActivity } from "@/server/jobs/job-activity";
import { getRuntime } from "@/server/runtime";

export type TItemCounts = {
  total: number;
  pending: number;
  downloading: number;
  downloaded: number;
  duplicate: number;
  failed: number;
  cancelled: number;
};

export type TProductProgress = { id: string; number: string; position: number } & TItemCounts;

export type TJobProgress = {
  job: {
    id: string;
    title: string;
    status: string;
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
    totalItems: number;
  };
  /** why a paused job waits and when it tries again by itself; null unless paused */
  pause: { reason: string; resumeAt: string | null } | null;
  /** `retryableFailed`: the failed items that may succeed when fetched again (see ImageItem.isRetryable) */
  totals: TItemCounts & { bytes: number; retryableFailed: number };
  /** entries Analyze refused or found twice when the batch was created; never queued */
  skippedEntries: number;
  /** how its images are named in the ZIPs, and converted */
  imageOptions: TStoredImageOptions;
  /** every product on the first message; only the changed ones afterwards */
  products: TProductProgress[];
  /** what the worker is doing now: a job stuck at 96 % shows which downloads it waits for */
  activity: TJobActivityView;
};

export type TJobActivityView = {
  /** the first few downloads in flight, those waiting to try again first */
  inFlight: {
    productId: string;
    url: string;
    attempt: number;
    /** epoch ms by the server's clock; see readAt */
    attemptStartedAt: number;
    retryAt: number | null;
    lastError: string | null;
  }[];
  inFlightCount: number;
  maxAttempts: number;
  /** at the rate of the last minute; null when that rate says too little */
  secondsLeft: number | null;
  /** the server's clock when this was read: a browser counts waits down from it */
  readAt: number;
};

/** Downloads listed on the page: enough to see what holds a job up, cheap to send four times a second. */
const IN_FLIGHT_SHOWN = 20;

export const FINAL_JOB_STATES = new Set([
  "completed",
  "completed_with_errors",
  "failed",
  "cancelled",
]);

function emptyCounts(): TItemCounts {
  return {
    total: 0,
    pending: 0,
    downloading: 0,
    downloaded: 0,
    duplicate: 0,
    failed: 0,
    cancelled: 0,
  };
}

function addCount(counts: TItemCounts, state: string, n: number) {
  counts.total += n;
  if (state in counts && state !== "total") counts[state as keyof TItemCounts] += n;
}

const MAX_PRODUCTS_BY_ID = 500;

/** The job's totals and the counts of the given products (all products when `productIds` is omitted). */
export async function getJobProgress(
  jobId: string,
  productIds?: string[],
): Promise<TJobProgress | null> {
  const job = await db.job.findUnique({ where: { id: jobId } });
  // a batch still being stored is not a job yet: half of its rows must not show
  if (!job || job.status === "creating") return null;
  // a list this long costs more to look up product by product than reading the whole job does
  if (productIds && productIds.length > MAX_PRODUCTS_BY_ID) productIds = undefined;
  // Plain SQL, two statements: through the query builder this was four queries, each compiled
  // again on every read (about 1 ms of CPU apiece, four reads a second per watched job). The totals
  // come from the (jobId, state, line, bytes) index alone. Changed products are looked up by id:
  // with jobId as well, SQLite walked the job's index over every item (23 ms per update at 100,000
  // images instead of 4).
  const [byState, byProduct] = await Promise.all([
    db.$queryRaw<
      {
        state: string;
        n: number | bigint;
        bytes: number | bigint | null;
        retryable: number | bigint | null;
      }[]
    >(jobTotalsStatement(jobId)),
    db.$queryRaw<
      {
        id: string;
        number: string;
        position: number | bigint;
        state: string | null;
        n: number | bigint;
      }[]
    >`
      SELECT "p"."id", "p"."number", "p"."position", "i"."state", count("i"."id") AS "n"
      FROM "Product" AS "p" LEFT JOIN "ImageItem" AS "i" ON "i"."productId" = "p"."id"
      WHERE ${
        productIds
          ? Prisma.sql`"p"."id" IN (SELECT "value" FROM ${jsonTexts(productIds)})`
          : Prisma.sql`"p"."jobId" = ${jobId}`
      }
      GROUP BY "p"."id", "i"."state"
      ORDER BY "p"."position"`,
  ]);
  const totals = { ...emptyCounts(), bytes: 0, retryableFailed: 0 };
  for (const row of byState) {
    addCount(totals, row.state, Number(row.n));
    if (row.state === "downloaded") totals.bytes = Number(row.bytes ?? 0);
    if (row.state === "failed") totals.retryableFailed = Number(row.retryable ?? 0);
  }
  const products: TProductProgress[] = [];
  for (const row of byProduct) {
    let product = products.at(-1);
    if (product?.id !== row.id) {
      product = {
        id: row.id,
        number: row.number,
        position: Number(row.position),
        ...emptyCounts(),
      };
      products.push(product);
    }
    if (row.state !== null) addCount(product, row.state, Number(row.n));
  }
  return {
    activity: describeActivity(jobId, totals.pending + totals.downloading),
    job: describeJob(job),
    pause:
      job.status === "paused"
        ? { reason: job.pausedReason ?? "", resumeAt: job.resumeAt?.toISOString() ?? null }
        : null,
    skippedEntries: skippedEntriesOf(job.options),
    imageOptions: imageOptionsOf(job.options),
    totals,
    products,
  };
}

function describeActivity(jobId: string, remaining: number): TJobActivityView {
  const activity = readJobActivity(jobId, IN_FLIGHT_SHOWN);
  return {
    inFlight: activity.inFlight.map(({ itemIds: _itemIds, ...download }) => download),
    inFlightCount: activity.inFlightCount,
    maxAttempts: getRuntime().downloadLimits.maxAttempts,
    secondsLeft: estimateSecondsLeft(remaining, activity.imagesPerSecond),
    readAt: activity.readAt,
  };
}

/**
 * A job's items counted by state, with the bytes downloaded and the failures a retry may mend: read
 * with every update of a job page, so it must come from the (jobId, state, line, bytes,
 * isRetryable) index alone, never the rows (a test checks the plan).
 */
export function jobTotalsStatement(jobId: string): Prisma.Sql {
  return Prisma.sql`
    SELECT "state", count(*) AS "n", sum("bytes") AS "bytes",
      count(*) FILTER (WHERE "isRetryable") AS "retryable"
    FROM "ImageItem" WHERE "jobId" = ${jobId} GROUP BY "state"`;
}

/** How many entries Analyze left out of a batch, as its creation wrote into the job's options. */
export function skippedEntriesOf(options: string): number {
  try {
    const skipped = (JSON.parse(options) as { skippedEntries?: unknown }).skippedEntries;
    return typeof skipped === "number" ? skipped : 0;
  } catch {
    return 0;
  }
}

/** What every view of a job shows of the job itself, with times as ISO text. */
export function describeJob(job: {
  id: string;
  title: string;
  status: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  totalItems: number;
}): TJobProgress["job"] {
  return {
    id: job.id,
    title: job.title,
    status: job.status,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    totalItems: job.totalItems,
  };
}

/** Which page and event shape a job has (image_batch, report_run), or null if it does not exist. */
export async function getJobKind(jobId: string): Promise<string | null> {
  return (await getJobHeading(jobId))?.kind ?? null;
}

/** A job's kind and title, for its page and the browser tab; null if it does not exist. */
export async function getJobHeading(
  jobId: string,
): Promise<{ kind: string; title: string } | null> {
  const job = await db.job.findUnique({
    where: { id: jobId },
    select: { kind: true, title: true, status: true },
  });
  return job && job.status !== "creating" ? { kind: job.kind, title: job.title } : null;
}
