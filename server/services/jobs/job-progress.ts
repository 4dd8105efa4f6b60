import "server-only";
import { db } from "@/server/db";

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
  totals: TItemCounts & { bytes: number };
  /** entries Analyze refused or found twice when the batch was created; never queued */
  skippedEntries: number;
  /** every product on the first message; only the changed ones afterwards */
  products: TProductProgress[];
};

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
  // a list this long costs more to send as parameters (and SQLite takes at most 999) than
  // reading the whole job does
  if (productIds && productIds.length > MAX_PRODUCTS_BY_ID) productIds = undefined;
  // Changed products are looked up by id alone: with jobId as well, SQLite walked the job's index
  // over every item (23 ms per update at 100,000 images instead of 4).
  const [byState, bytes, products, byProduct] = await Promise.all([
    db.imageItem.groupBy({ by: ["state"], where: { jobId }, _count: { _all: true } }),
    db.imageItem.aggregate({ where: { jobId, state: "downloaded" }, _sum: { bytes: true } }),
    db.product.findMany({
      where: productIds ? { id: { in: productIds } } : { jobId },
      orderBy: { position: "asc" },
      select: { id: true, number: true, position: true },
    }),
    db.imageItem.groupBy({
      by: ["productId", "state"],
      where: productIds ? { productId: { in: productIds } } : { jobId },
      _count: { _all: true },
    }),
  ]);
  const totals = { ...emptyCounts(), bytes: bytes._sum.bytes ?? 0 };
  for (const row of byState) addCount(totals, row.state, row._count._all);
  const countsByProduct = new Map<string, TItemCounts>();
  for (const row of byProduct) {
    const counts = countsByProduct.get(row.productId) ?? emptyCounts();
    addCount(counts, row.state, row._count._all);
    countsByProduct.set(row.productId, counts);
  }
  return {
    job: describeJob(job),
    pause:
      job.status === "paused"
        ? { reason: job.pausedReason ?? "", resumeAt: job.resumeAt?.toISOString() ?? null }
        : null,
    skippedEntries: skippedEntriesOf(job.options),
    totals,
    products: products.map((p) => ({ ...p, ...(countsByProduct.get(p.id) ?? emptyCounts()) })),
  };
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
