import "server-only";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import {
  computeZipSize,
  createProductFolderNamer,
  createImageFileNamer,
  createZipStream,
  MANIFEST_CSV_HEADER,
  manifestCsvRecords,
  manifestJsonEnd,
  manifestJsonItem,
  manifestJsonStart,
  SKIPPED_CSV_HEADER,
  skippedCsvRecords,
  templatePartsOf,
  toSafeFileName,
  type ManifestRow,
  type ZipSource,
} from "@/server/archive";
import { updateCrc32 } from "@/server/crc32";
import { Prisma, db } from "@/server/db";
import { AppError } from "@/server/errors";
import { getRuntime } from "@/server/runtime";
import { CONVERTED_CONTENT_TYPES, imageOptionsOf } from "@/server/batches/image-batch-options";
import { skippedRowPages } from "../batches/list-skipped-rows";
import type { BlobStore } from "@/server/storage/blob-store";
import { refuseMissingImageFiles } from "./refuse-missing-files";

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
  line: number;
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
  convertedSha256: string | null;
  convertedBytes: number | null;
  convertedCrc32: number | null;
  convertedExtension: string | null;
};

// small pages leave less for the garbage collector to promote while the next page is read
const PAGE_ROWS = 500;

async function findJobAndProduct(jobId: string, productNumber?: string) {
  const job = await db.job.findUnique({
    where: { id: jobId },
    select: { id: true, title: true, status: true, options: true },
  });
  if (!job || job.status === "creating")
    throw new AppError("NOT_FOUND", "This job does not exist (it may have been deleted).");
  const product = productNumber
    ? await db.product.findUnique({ where: { jobId_number: { jobId, number: productNumber } } })
    : null;
  if (productNumber && !product)
    throw new AppError("NOT_FOUND", `Product ${productNumber} is not part of this job.`);
  return { job, productId: product?.id ?? null };
}

/**
 * One page of archive rows after the given product and item positions; a statement of its own so
 * a test can check how SQLite runs it.
 */
export function archivePageStatement(
  jobId: string,
  productId: string | null,
  after: { product: number; item: number },
  pageRows: number,
): Prisma.Sql {
  return Prisma.sql`
    SELECT "i"."position", "i"."line", "i"."url", "i"."state", "i"."attempts", "i"."contentType", "i"."extension",
           "i"."bytes", "i"."sha256", "i"."crc32", "i"."error", "i"."finishedAt",
           "i"."convertedSha256", "i"."convertedBytes", "i"."convertedCrc32", "i"."convertedExtension",
           "p"."number" AS "productNumber", "p"."position" AS "productPosition"
    FROM "Product" AS "p" JOIN "ImageItem" AS "i" ON "i"."productId" = "p"."id"
    WHERE "p"."jobId" = ${jobId} AND (CAST(${productId} AS TEXT) IS NULL OR "p"."id" = ${productId})
      AND "p"."position" >= ${after.product} AND ("p"."position" > ${after.product} OR "i"."position" > ${after.item})
    ORDER BY "p"."position", "i"."position"
    LIMIT ${pageRows}`;
}

/**
 * A job's items in archive order, a page at a time (keyset on product and item position), so a
 * 20,000-image job never has all its rows in memory at once. Products are walked in order and each
 * one's items through its index: starting from the items sorted every item of the job for every
 * page (190 ms for 20,000 images in pages of 2,000, quadratic in size; now 90 ms at any page size).
 */
export async function* archiveItemPages(
  jobId: string,
  productId: string | null,
  pageRows = PAGE_ROWS,
): AsyncGenerator<TArchiveItem[]> {
  let after = { product: -1, item: -1 };
  for (;;) {
    const rows = await db.$queryRaw<
      (Omit<TArchiveItem, "finishedAt"> & { finishedAt: string | null; productPosition: number })[]
    >(archivePageStatement(jobId, productId, after, pageRows));
    if (rows.length === 0) return;
    const last = rows.at(-1)!;
    after = { product: last.productPosition, item: last.position };
    yield rows.map(({ productPosition: _, ...row }) => ({
      ...row,
      finishedAt: row.finishedAt ? new Date(row.finishedAt) : null,
    }));
  }
}

/** Folder of a product in the master ZIP; null for a product's own ZIP, which is flat. */
type TFolderFor = ((productNumber: string) => string) | null;

/** How a job's images are named and laid out in its ZIPs; one per archive or manifest, used in order. */
type TArchiveLayout = {
  folderFor: TFolderFor;
  nameFor: ReturnType<typeof createImageFileNamer>;
  /** the downloaded originals of converted images go in an originals/ folder beside them */
  includeOriginals: boolean;
};

function archiveLayout(jobOptions: string, folderFor: TFolderFor): TArchiveLayout {
  const { fileNameTemplate, conversion } = imageOptionsOf(jobOptions);
  return {
    folderFor,
    nameFor: createImageFileNamer(templatePartsOf(fileNameTemplate)),
    includeOriginals: conversion?.includeOriginals ?? false,
  };
}

/** A downloaded image's file in the archive: the converted copy where there is one. */
type TPlacedFile = { path: string; sha256: string; bytes: number; crc32: number };
type TPlacedItem = {
  file: TPlacedFile & { contentType: string | null };
  /** the downloaded original, when the archive holds it beside its converted copy */
  original: TPlacedFile | null;
};

/**
 * Where an item goes in the archive: a folder per product in the master ZIP, flat in a product
 * ZIP; null for an item with no file there. Each item must be placed once, in archive order: the
 * names of one folder are told apart as they are given.
 */
function placeInArchive(item: TArchiveItem, layout: TArchiveLayout): TPlacedItem | null {
  // every product takes its folder name in product order, downloaded or not: otherwise a retry
  // that succeeds could rename another product's folder between two downloads
  const folder = layout.folderFor?.(item.productNumber);
  if (item.state !== "downloaded" || !item.extension) return null;
  if (!item.sha256 || item.bytes === null || item.crc32 === null) return null;
  const isConverted =
    item.convertedSha256 !== null &&
    item.convertedBytes !== null &&
    item.convertedCrc32 !== null &&
    item.convertedExtension !== null;
  const extension = isConverted ? item.convertedExtension! : item.extension;
  const name = layout.nameFor({
    productNumber: item.productNumber,
    position: item.position,
    sourceUrl: item.url,
    sha256: item.sha256,
    extension,
  });
  const inFolder = (file: string) => (folder ? `${folder}/${file}` : file);
  const downloaded = { sha256: item.sha256, bytes: item.bytes, crc32: item.crc32 };
  if (!isConverted)
    return {
      file: { path: inFolder(name), ...downloaded, contentType: item.contentType },
      original: null,
    };
  const stem = name.slice(0, name.lastIndexOf("."));
  return {
    file: {
      path: inFolder(name),
      sha256: item.convertedSha256!,
      bytes: item.convertedBytes!,
      crc32: item.convertedCrc32!,
      contentType: CONVERTED_CONTENT_TYPES[extension] ?? null,
    },
    original: layout.includeOriginals
      ? {
          path: inFolder(`originals/${toSafeFileName(`${stem}.${item.extension}`, "image")}`),
          ...downloaded,
        }
      : null,
  };
}

/** The manifest describes each item's file in the archive (the converted copy, if any). */
function toManifestRows(items: TArchiveItem[], placed: (TPlacedItem | null)[]): ManifestRow[] {
  return items.map((item, i) => {
    const file = placed[i]?.file;
    return {
      product: item.productNumber,
      position: item.position,
      sourceUrl: item.url,
      fileName: file?.path ?? null,
      bytes: file ? file.bytes : item.bytes,
      sha256: file ? file.sha256 : item.sha256,
      contentType: file ? file.contentType : item.contentType,
      status: MANIFEST_STATUS[item.state] ?? item.state,
      attempts: item.attempts,
      error: item.error,
      line: item.line,
    };
  });
}

export type TJobArchive = {
  fileName: string;
  size: number;
  open: (signal?: AbortSignal) => NodeJS.ReadableStream;
};

/** A file written in pieces, with its length and CRC-32 counted on the way, for a STORE entry. */
function openCountedFile(filePath: string) {
  const fd = fs.openSync(filePath, "w");
  let size = 0;
  let checksum = 0;
  return {
    write(text: string) {
      const bytes = Buffer.from(text);
      fs.writeSync(fd, bytes);
      size += bytes.length;
      checksum = updateCrc32(bytes, checksum);
    },
    close: () => {
      fs.closeSync(fd);
      return { size, crc32: checksum };
    },
  };
}

/**
 * The files of an archive, kept as columns: a 20,000-image ZIP held ~14 MB of entry objects (each
 * with its own blob path and Date) while it streamed; the columns hold about a quarter of that, and
 * each entry becomes an object only while the ZIP writer looks at it.
 */
class ArchiveFiles implements Iterable<ZipSource> {
  private readonly names: string[] = [];
  private readonly hashes: string[] = [];
  private readonly sizes: number[] = [];
  private readonly checksums: number[] = [];
  private readonly times: number[] = [];
  private readonly extraFiles: ZipSource[] = [];

  constructor(private readonly blobs: BlobStore) {}

  add(name: string, sha256: string, size: number, crc32: number, modifiedAt: Date): void {
    this.names.push(name);
    this.hashes.push(sha256);
    this.sizes.push(size);
    this.checksums.push(crc32);
    this.times.push(modifiedAt.getTime());
  }

  /** A file that is not a stored blob (the manifests); it follows the blobs. */
  addFile(source: ZipSource): void {
    this.extraFiles.push(source);
  }

  *stored(): Generator<{ sha256: string; bytes: number }> {
    for (let i = 0; i < this.hashes.length; i++)
      yield { sha256: this.hashes[i]!, bytes: this.sizes[i]! };
  }

  *[Symbol.iterator](): Iterator<ZipSource> {
    for (let i = 0; i < this.names.length; i++) {
      const sha256 = this.hashes[i]!;
      yield {
        kind: "file",
        name: this.names[i]!,
        size: this.sizes[i]!,
        crc32: this.checksums[i]!,
        modifiedAt: new Date(this.times[i]!),
        open: () => this.blobs.openReader(sha256),
      };
    }
    yield* this.extraFiles;
  }
}

/**
 * The master ZIP (one folder per product) or one product's ZIP, with manifest.csv and manifest.json.
 * Its exact size is known before the first byte, because every stored file's size and CRC-32 were
 * recorded while it downloaded. Rows are read a page at a time and the manifests written to temp
 * files as they go, so memory does not grow with the size of the job.
 */
export async function buildJobArchive(args: {
  jobId: string;
  productNumber?: string;
}): Promise<TJobArchive> {
  const { job, productId } = await findJobAndProduct(args.jobId, args.productNumber);
  const layout = archiveLayout(job.options, args.productNumber ? null : createProductFolderNamer());
  const { blobs } = getRuntime();
  const generatedAt = new Date();
  const itemCount = await db.imageItem.count({
    where: { jobId: job.id, ...(productId ? { productId } : {}) },
  });
  const stem = path.join(getRuntime().scratchDir, `manifest-${randomUUID()}`);
  const temps = [`${stem}.csv`, `${stem}.json`, `${stem}-skipped.csv`];
  const removeTemps = () => temps.forEach((file) => fs.rmSync(file, { force: true }));
  const entries = new ArchiveFiles(blobs);
  try {
    const csv = openCountedFile(temps[0]!);
    const json = openCountedFile(temps[1]!);
    csv.write(`${MANIFEST_CSV_HEADER.join(",")}\r\n`);
    json.write(
      manifestJsonStart(
        {
          jobId: job.id,
          jobTitle: job.title,
          generatedAt: generatedAt.toISOString(),
          ...(args.productNumber ? { product: args.productNumber } : {}),
        },
        itemCount,
      ),
    );
    let written = 0;
    for await (const page of archiveItemPages(job.id, productId)) {
      const placed = page.map((item) => placeInArchive(item, layout));
      page.forEach((item, i) => {
        const modifiedAt = item.finishedAt ?? generatedAt;
        for (const file of [placed[i]?.file, placed[i]?.original]) {
          if (file) entries.add(file.path, file.sha256, file.bytes, file.crc32 >>> 0, modifiedAt);
        }
      });
      const rows = toManifestRows(page, placed);
      csv.write(manifestCsvRecords(rows));
      json.write(rows.map((row) => manifestJsonItem(row, written++ === 0)).join(""));
    }
    json.write(manifestJsonEnd(written));
    const files: [string, string, { size: number; crc32: number }][] = [
      ["manifest.csv", temps[0]!, csv.close()],
      ["manifest.json", temps[1]!, json.close()],
    ];
    // the master ZIP also lists what Analyze left out, when it left out anything
    if (!args.productNumber && (await db.skippedRow.count({ where: { jobId: job.id } })) > 0) {
      const skipped = openCountedFile(temps[2]!);
      for await (const piece of skippedCsvPieces(job.id)) skipped.write(piece);
      files.push(["skipped.csv", temps[2]!, skipped.close()]);
    }
    for (const [name, file, done] of files) {
      entries.addFile({
        kind: "file",
        name,
        size: done.size,
        crc32: done.crc32 >>> 0,
        modifiedAt: generatedAt,
        open: () => fsp.open(file, "r"),
      });
    }
    await refuseMissingImageFiles(job.id, entries.stored());
  } catch (error) {
    removeTemps();
    throw error;
  }
  const shortId = job.id.slice(0, 8);
  return {
    fileName: args.productNumber
      ? `${toSafeFileName(args.productNumber, "product")}_${shortId}.zip`
      : `datahaul-images_${shortId}.zip`,
    size: computeZipSize(entries),
    open: (signal) =>
      createZipStream(entries, { signal, readAhead: blobs.zipReadAhead }).once(
        "close",
        removeTemps,
      ),
  };
}

/**
 * The job's manifest on its own, as a stream written a page of rows at a time: a 100,000-image
 * manifest is never held whole, as rows or as text. Byte for byte the master ZIP's manifest.csv;
 * the JSON differs only in its generatedAt.
 */
export async function buildJobManifest(args: { jobId: string; format: "csv" | "json" }) {
  const { job } = await findJobAndProduct(args.jobId);
  const itemCount = await db.imageItem.count({ where: { jobId: job.id } });
  const meta = { jobId: job.id, jobTitle: job.title, generatedAt: new Date().toISOString() };
  const isCsv = args.format === "csv";
  async function* pieces(): AsyncGenerator<string> {
    yield isCsv ? `${MANIFEST_CSV_HEADER.join(",")}\r\n` : manifestJsonStart(meta, itemCount);
    let written = 0;
    const layout = archiveLayout(job.options, createProductFolderNamer());
    for await (const page of archiveItemPages(job.id, null)) {
      const rows = toManifestRows(
        page,
        page.map((item) => placeInArchive(item, layout)),
      );
      yield isCsv
        ? manifestCsvRecords(rows)
        : rows.map((row, i) => manifestJsonItem(row, written + i === 0)).join("");
      written += rows.length;
    }
    // the job was deleted while a slow client read: a short file must fail, not look complete
    if (written !== itemCount)
      throw new AppError("CONFLICT", "The job was deleted while its manifest was downloading.");
    if (!isCsv) yield manifestJsonEnd(written);
  }
  const shortId = job.id.slice(0, 8);
  return {
    fileName: `manifest_${shortId}.${args.format}`,
    contentType: isCsv ? "text/csv; charset=utf-8" : "application/json",
    body: textStream(pieces()),
  };
}

async function* skippedCsvPieces(jobId: string): AsyncGenerator<string> {
  yield `${SKIPPED_CSV_HEADER.join(",")}\r\n`;
  for await (const page of skippedRowPages(jobId)) yield skippedCsvRecords(page);
}

/**
 * The entries Analyze left out of a batch (errors and duplicates) as CSV, a page at a time; the
 * same bytes as skipped.csv in the master ZIP.
 */
export async function buildJobSkippedCsv(args: { jobId: string }) {
  const { job } = await findJobAndProduct(args.jobId);
  return {
    fileName: `skipped_${job.id.slice(0, 8)}.csv`,
    contentType: "text/csv; charset=utf-8",
    body: textStream(skippedCsvPieces(job.id)),
  };
}

/** Pieces read only when the client asks for more: nothing is read ahead of a slow download. */
export function textStream(pieces: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await pieces.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
      async cancel() {
        await pieces.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/** A stored image of a job, for thumbnails; never a file of another job. */
export async function openItemImage(args: { jobId: string; itemId: string }) {
  const item = await db.imageItem.findFirst({
    where: { id: args.itemId, jobId: args.jobId, state: { in: ["downloaded", "duplicate"] } },
    select: { sha256: true, contentType: true, bytes: true },
  });
  if (!item?.sha256) throw new AppError("NOT_FOUND", "This image was not downloaded.");
  const { blobs } = getRuntime();
  // answered before the first byte: a stream that fails on its first read is a broken image
  if (!(await blobs.has(item.sha256)))
    throw new AppError("NOT_FOUND", "The stored file of this image is missing.");
  return {
    contentType: item.contentType ?? "application/octet-stream",
    size: item.bytes ?? undefined,
    sha256: item.sha256,
    stream: blobs.openRead(item.sha256),
  };
}
