import "server-only";
import {
  buildManifestCsv,
  buildManifestJson,
  computeZipSize,
  createZipStream,
  imageFileName,
  toSafeFileName,
  type ManifestRow,
  type ZipSource,
} from "@/server/archive";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { getRuntime } from "@/server/runtime";

const MANIFEST_STATUS: Record<string, string> = {
  downloaded: "downloaded",
  duplicate: "duplicate",
  failed: "failed",
  cancelled: "cancelled",
  pending: "pending",
  downloading: "pending",
};

type TArchiveItem = {
  productNumber: string;
  position: number;
  url: string;
  state: string;
  attempts: number;
  contentType: string | null;
  extension: string | null;
  bytes: number | null;
  sha256: string | null;
  crc32: number | null;
  error: string | null;
  finishedAt: Date | null;
};

async function loadArchiveItems(jobId: string, productNumber?: string) {
  const job = await db.job.findUnique({ where: { id: jobId }, select: { id: true, title: true } });
  if (!job) throw new AppError("NOT_FOUND", "This job does not exist (it may have been deleted).");
  const product = productNumber
    ? await db.product.findUnique({ where: { jobId_number: { jobId, number: productNumber } } })
    : null;
  if (productNumber && !product)
    throw new AppError("NOT_FOUND", `Product ${productNumber} is not part of this job.`);
  // one joined query: Prisma's findMany with include held a 20,000-item job's rows twice over
  // (bench:images, about 90 MB while the master ZIP was prepared)
  const rows = await db.$queryRaw<
    (Omit<TArchiveItem, "finishedAt"> & { finishedAt: string | null })[]
  >`
    SELECT "i"."position", "i"."url", "i"."state", "i"."attempts", "i"."contentType", "i"."extension",
           "i"."bytes", "i"."sha256", "i"."crc32", "i"."error", "i"."finishedAt", "p"."number" AS "productNumber"
    FROM "ImageItem" AS "i" JOIN "Product" AS "p" ON "p"."id" = "i"."productId"
    WHERE "i"."jobId" = ${jobId} AND (${product?.id ?? null} IS NULL OR "i"."productId" = ${product?.id ?? null})
    ORDER BY "p"."position", "i"."position"`;
  const items: TArchiveItem[] = rows.map((row) => ({
    ...row,
    finishedAt: row.finishedAt ? new Date(row.finishedAt) : null,
  }));
  return { job, items };
}

/** Path of an item inside the archive: a folder per product in the master ZIP, flat in a product ZIP. */
function pathInArchive(item: TArchiveItem, hasProductFolders: boolean): string | null {
  if (item.state !== "downloaded" || !item.extension) return null;
  const name = imageFileName({
    productNumber: item.productNumber,
    position: item.position,
    extension: item.extension,
  });
  return hasProductFolders ? `${toSafeFileName(item.productNumber, "product")}/${name}` : name;
}

function toManifestRows(items: TArchiveItem[], hasProductFolders: boolean): ManifestRow[] {
  return items.map((item) => ({
    product: item.productNumber,
    position: item.position,
    sourceUrl: item.url,
    fileName: pathInArchive(item, hasProductFolders),
    bytes: item.bytes,
    sha256: item.sha256,
    contentType: item.contentType,
    status: MANIFEST_STATUS[item.state] ?? item.state,
    attempts: item.attempts,
    error: item.error,
  }));
}

export type TJobArchive = {
  fileName: string;
  size: number;
  open: (signal?: AbortSignal) => NodeJS.ReadableStream;
};

/**
 * The master ZIP (one folder per product) or one product's ZIP, with manifest.csv and manifest.json.
 * Its exact size is known before the first byte, because every stored file's size and CRC-32 were
 * recorded while it downloaded.
 */
export async function buildJobArchive(args: {
  jobId: string;
  productNumber?: string;
}): Promise<TJobArchive> {
  const { job, items } = await loadArchiveItems(args.jobId, args.productNumber);
  const hasProductFolders = !args.productNumber;
  const { blobs } = getRuntime();
  const generatedAt = new Date();
  const entries: ZipSource[] = [];
  for (const item of items) {
    const name = pathInArchive(item, hasProductFolders);
    if (!name || !item.sha256 || item.bytes === null || item.crc32 === null) continue;
    entries.push({
      kind: "file",
      name,
      path: blobs.pathFor(item.sha256),
      size: item.bytes,
      crc32: item.crc32 >>> 0,
      modifiedAt: item.finishedAt ?? generatedAt,
    });
  }
  const rows = toManifestRows(items, hasProductFolders);
  const meta = {
    jobId: job.id,
    jobTitle: job.title,
    generatedAt: generatedAt.toISOString(),
    ...(args.productNumber ? { product: args.productNumber } : {}),
  };
  entries.push(
    {
      kind: "buffer",
      name: "manifest.csv",
      data: Buffer.from(buildManifestCsv(rows)),
      modifiedAt: generatedAt,
    },
    {
      kind: "buffer",
      name: "manifest.json",
      data: Buffer.from(buildManifestJson(meta, rows)),
      modifiedAt: generatedAt,
    },
  );
  const shortId = job.id.slice(0, 8);
  return {
    fileName: args.productNumber
      ? `${toSafeFileName(args.productNumber, "product")}_${shortId}.zip`
      : `datahaul-images_${shortId}.zip`,
    size: computeZipSize(entries),
    open: (signal) => createZipStream(entries, { signal }),
  };
}

export async function buildJobManifest(args: { jobId: string; format: "csv" | "json" }) {
  const { job, items } = await loadArchiveItems(args.jobId);
  const rows = toManifestRows(items, true);
  const shortId = job.id.slice(0, 8);
  return args.format === "csv"
    ? {
        fileName: `manifest_${shortId}.csv`,
        contentType: "text/csv; charset=utf-8",
        body: buildManifestCsv(rows),
      }
    : {
        fileName: `manifest_${shortId}.json`,
        contentType: "application/json",
        body: buildManifestJson(
          { jobId: job.id, jobTitle: job.title, generatedAt: new Date().toISOString() },
          rows,
        ),
      };
}

/** A stored image of a job, for thumbnails; never a file of another job. */
export async function openItemImage(args: { jobId: string; itemId: string }) {
  const item = await db.imageItem.findFirst({
    where: { id: args.itemId, jobId: args.jobId, state: { in: ["downloaded", "duplicate"] } },
    select: { sha256: true, contentType: true, bytes: true },
  });
  if (!item?.sha256) throw new AppError("NOT_FOUND", "This image was not downloaded.");
  return {
    contentType: item.contentType ?? "application/octet-stream",
    size: item.bytes ?? undefined,
    sha256: item.sha256,
    stream: getRuntime().blobs.openRead(item.sha256),
  };
}
