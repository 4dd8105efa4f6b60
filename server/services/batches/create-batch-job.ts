import "server-only";
import { createHash } from "node:crypto";
import { DEFAULT_MAX_IMAGES, scanBatchInput, type AnalyzedRow } from "@/server/batches/input";
import { Prisma, db } from "@/server/db";
import { AppError } from "@/server/errors";
import { enqueueJob } from "../jobs/enqueue-job";
import { skippedEntriesOf } from "../jobs/job-progress";
import { batchRowStatements, deleteJobRows, toDbTime } from "./item-rows";
import { readBatchInput, type TBatchInput } from "./read-batch-input";
import { createSortableId } from "./sortable-id";
import { jobTitleFields } from "../jobs/job-title";
import {
  normalizeImageOptions,
  ZImageBatchOptions,
  type TImageBatchOptionsInput,
  type TStoredImageOptions,
} from "@/server/batches/image-batch-options";

const ROWS_PER_WRITE = 500;
const HASH_CHARACTERS_PER_TURN = 1 << 20;
/** A job being created whose creator has not renewed this for so long was abandoned (a crash). */
export const CREATION_LEASE_MS = 60_000;

type TProductRow = { id: string; number: string; position: number };
type TItemRow = { productId: string; position: number; line: number; url: string };
export type TCreatedBatch = {
  jobId: string;
  images: number;
  products: number;
  skippedRows: number;
};

/**
 * Re-validates the input on the server (the browser's preview is only a preview) and stores the
 * job, its products, its items and the entries Analyze skipped.
 *
 * The rows go in a thousand at a time, each chunk in a short transaction of its own, with a turn
 * of the event loop between chunks: the SQLite driver is synchronous, so one transaction for a
 * 100,000-row batch held every other request of the process for seconds. Until the last chunk is
 * in, the job is "creating", which no list, page or download shows and the worker never runs; it
 * becomes "queued" in one statement, so the user sees the whole batch or nothing. A create that
 * dies on the way leaves a "creating" job whose lease lapses, for `removeAbandonedBatchCreations`.
 *
 * With an idempotency key, asking again for the same input returns the job already created (a
 * client whose answer was cut off can retry safely); the same key with other input is refused.
 *
 * `options` (file-name template, conversion) are checked before anything is stored, and kept in
 * the job's options for the worker and the archives.
 */
export async function createBatchJob(
  args: TBatchInput & {
    userId: string;
    title?: string;
    idempotencyKey?: string;
    options?: TImageBatchOptionsInput;
  },
): Promise<TCreatedBatch> {
  const imageOptions = readImageOptions(args.options);
  const read = await readBatchInput(args);
  if (read.refusal !== null) throw new AppError("BAD_REQUEST", read.refusal);
  const { text, note } = read;
  const givenTitle = args.title?.trim() || "";
  const key = args.idempotencyKey;
  const requestSha256 = key
    ? await hashRequest(args.source, givenTitle, text, args.options ? imageOptions : null)
    : null;

  let jobId: string;
  for (;;) {
    if (key) {
      const earlier = await findEarlierCreate(args.userId, key, requestSha256);
      if (earlier) return earlier;
    }
    try {
      const job = await db.job.create({
        data: {
          kind: "image_batch",
          // the default title needs the totals: it is written once the rows are stored
          ...jobTitleFields(givenTitle),
          status: "creating",
          totalItems: 0,
          createdById: args.userId,
          leaseUntil: new Date(Date.now() + CREATION_LEASE_MS),
          idempotencyKey: key ?? null,
          requestSha256,
        },
      });
      jobId = job.id;
      await yieldToOtherRequests();
      break;
    } catch (error) {
      // the same key in a request that arrived a moment earlier: answer as that one is answered
      if (key && isUniqueViolation(error)) continue;
      throw error;
    }
  }

  try {
    const summary = await storeRows(jobId, text, args.source, note);
    const created = await db.job.updateMany({
      where: { id: jobId, status: "creating" },
      data: {
        status: "queued",
        leaseUntil: null,
        totalItems: summary.images,
        // shown on the job page: what Analyze left out is part of what the user asked for
        options: JSON.stringify({ skippedEntries: summary.skippedRows, ...imageOptions }),
        ...(givenTitle ? {} : jobTitleFields(defaultTitle(summary.products, summary.images))),
      },
    });
    if (created.count !== 1) {
      throw new AppError(
        "CONFLICT",
        "The batch was interrupted while it was stored: send it again.",
      );
    }
    await enqueueJob({ id: jobId, kind: "image_batch" });
    return { jobId, ...summary };
  } catch (error) {
    await removeCreatingJob(jobId).catch(() => {
      // the lease lapses and the next sweep removes it
    });
    throw error;
  }
}

/** Writes the rows a chunk at a time; throws (leaving the job to be removed) if the batch is refused. */
async function storeRows(
  jobId: string,
  text: string,
  source: "paste" | "csv",
  readingNote: string | null,
): Promise<Omit<TCreatedBatch, "jobId">> {
  // Products are numbered by first appearance in the input, error rows included, as the
  // preview lists them; a product with only errors takes a number but is never stored.
  const rankByProduct = new Map<string, number>();
  const stored = new Map<string, { id: string; images: number }>();
  let products: TProductRow[] = [];
  let items: TItemRow[] = [];
  let skipped: AnalyzedRow[] = [];
  let itemCount = 0;
  const write = async () => {
    const chunk = { products, items, skipped };
    products = [];
    items = [];
    skipped = [];
    const statements = batchRowStatements(jobId, chunk.products, chunk.items, chunk.skipped);
    const leaseUntil = toDbTime(new Date(Date.now() + CREATION_LEASE_MS));
    statements.push(
      Prisma.sql`UPDATE "Job" SET "leaseUntil" = ${leaseUntil} WHERE "id" = ${jobId}`,
    );
    await db.$transaction(statements.map((statement) => db.$executeRaw(statement)));
    await yieldToOtherRequests();
  };

  const scan = scanBatchInput(text, { source, readingNote });
  let step = scan.next();
  for (; !step.done; step = scan.next()) {
    const row = step.value;
    if (row.product !== "" && !rankByProduct.has(row.product))
      rankByProduct.set(row.product, rankByProduct.size + 1);
    if (row.verdict === "ok") itemCount++;
    // past the limit the batch is refused at the end: counting goes on, storing does not
    if (itemCount > DEFAULT_MAX_IMAGES) continue;
    if (row.verdict !== "ok") skipped.push(row);
    else {
      let product = stored.get(row.product);
      if (!product) {
        product = { id: createSortableId(), images: 0 };
        stored.set(row.product, product);
        products.push({
          id: product.id,
          number: row.product,
          position: rankByProduct.get(row.product)!,
        });
      }
      product.images++;
      items.push({ productId: product.id, position: product.images, line: row.line, url: row.url });
    }
    if (items.length + skipped.length >= ROWS_PER_WRITE) await write();
  }
  const summary = step.value;
  if (summary.fatal) throw new AppError("BAD_REQUEST", summary.fatal);
  if (summary.totals.images === 0) {
    throw new AppError(
      "BAD_REQUEST",
      "No valid rows to download: fix the rows marked as errors and analyze again.",
    );
  }
  await write();
  return {
    images: summary.totals.images,
    products: summary.totals.products,
    skippedRows: summary.totals.errors + summary.totals.duplicates,
  };
}

/** The options as stored, or a refusal that names what is wrong (an unknown placeholder…). */
function readImageOptions(options: TImageBatchOptionsInput | undefined): TStoredImageOptions {
  const parsed = ZImageBatchOptions.safeParse(options ?? {});
  if (!parsed.success)
    throw new AppError(
      "BAD_REQUEST",
      parsed.error.issues[0]?.message ?? "The options are not valid.",
    );
  return normalizeImageOptions(parsed.data);
}

/** SHA-256 of what was asked for, a megabyte at a time: 64 MB at once held other requests. */
async function hashRequest(
  source: string,
  title: string,
  text: string,
  options: TStoredImageOptions | null,
): Promise<string> {
  // without options, the same hash as before they existed: a key sent across an upgrade still matches
  const asked = options ? [source, title, options] : [source, title];
  const hash = createHash("sha256").update(JSON.stringify(asked));
  for (let i = 0; i < text.length; i += HASH_CHARACTERS_PER_TURN) {
    hash.update(text.slice(i, i + HASH_CHARACTERS_PER_TURN));
    await yieldToOtherRequests();
  }
  return hash.digest("hex");
}

async function findEarlierCreate(
  userId: string,
  idempotencyKey: string,
  requestSha256: string | null,
): Promise<TCreatedBatch | null> {
  const job = await db.job.findUnique({
    where: { createdById_idempotencyKey: { createdById: userId, idempotencyKey } },
  });
  if (!job) return null;
  if (job.requestSha256 !== requestSha256) {
    throw new AppError(
      "CONFLICT",
      "This idempotency key was already used for a different batch: send new input with a new key.",
    );
  }
  if (job.status === "creating") {
    if (job.leaseUntil && job.leaseUntil.getTime() >= Date.now()) {
      throw new AppError(
        "CONFLICT",
        "This batch is still being stored: ask again in a moment with the same key.",
      );
    }
    // abandoned by a creator that died: start over under the same key
    await removeCreatingJob(job.id);
    return null;
  }
  const products = await db.product.count({ where: { jobId: job.id } });
  return {
    jobId: job.id,
    images: job.totalItems,
    products,
    skippedRows: skippedEntriesOf(job.options),
  };
}

/**
 * Removes image batches whose creation was abandoned (the process died while storing their rows):
 * "creating" jobs whose creator stopped renewing the lease. Meant for start-up and the periodic
 * sweep; a batch still being created by a live process is left alone.
 */
export async function removeAbandonedBatchCreations(
  args: { now?: Date } = {},
): Promise<{ removedJobs: number }> {
  const abandoned = await db.job.findMany({
    where: {
      status: "creating",
      OR: [{ leaseUntil: null }, { leaseUntil: { lt: args.now ?? new Date() } }],
    },
    select: { id: true },
  });
  for (const job of abandoned) await removeCreatingJob(job.id);
  return { removedJobs: abandoned.length };
}

/** Deletes a job that is still "creating", in chunks, so a big one does not hold other requests. */
async function removeCreatingJob(jobId: string): Promise<void> {
  while (await deleteJobRows(jobId, 5_000)) await yieldToOtherRequests();
  await db.job.deleteMany({ where: { id: jobId, status: "creating" } });
}

/** setImmediate runs after pending I/O: a request that arrived meanwhile is served first. */
function yieldToOtherRequests(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
}

function defaultTitle(products: number, images: number): string {
  const stamp = new Date().toISOString().slice(0, 16).replace("T", " ");
  const count = (n: number, noun: string) =>
    `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
  return `${count(images, "image")} of ${count(products, "product")} · ${stamp} UTC`;
}
