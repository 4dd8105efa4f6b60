// Image batches with a file-name template and with conversion, run for real: images made with
// sharp, served from a local HTTP server, fetched by the worker, zipped and read back.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import Papa from "papaparse";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TImageBatchOptionsInput } from "@/server/batches/image-batch-options";
import { isZipIntact, zipEntries } from "@/test-support/zip";
import { readStoredBlob, startTestApp, waitForJobEnd } from "./support/test-app";

type TApp = Awaited<ReturnType<typeof startTestApp>>;
let app: TApp;
let server: http.Server;
let baseUrl: string;
/** what the local server answers, by path */
const served = new Map<string, { body: Buffer; type: string }>();

/** A picture of the given size: a gradient, so encoders have something to compress. */
async function picture(width: number, height: number, format: "jpeg" | "png", alpha = false) {
  const channels = alpha ? 4 : 3;
  const pixels = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * channels;
      pixels[at] = (x * 255) / width;
      pixels[at + 1] = (y * 255) / height;
      pixels[at + 2] = 128;
      if (alpha) pixels[at + 3] = x < width / 2 ? 255 : 64;
    }
  const image = sharp(pixels, { raw: { width, height, channels } });
  return format === "jpeg" ? image.jpeg().toBuffer() : image.png().toBuffer();
}

beforeAll(async () => {
  served.set("/a/photo.jpg", { body: await picture(64, 48, "jpeg"), type: "image/jpeg" });
  served.set("/b/photo.jpg", { body: await picture(48, 64, "jpeg"), type: "image/jpeg" });
  served.set("/c/other.png", { body: await picture(30, 30, "png"), type: "image/png" });
  served.set("/wide.jpg", { body: await picture(400, 300, "jpeg"), type: "image/jpeg" });
  served.set("/tall.png", { body: await picture(120, 500, "png", true), type: "image/png" });
  served.set("/small.png", { body: await picture(50, 40, "png"), type: "image/png" });
  // a PNG's signature (so the download takes it for an image) and then nothing sharp can read
  const broken = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    crypto.randomBytes(2000),
  ]);
  served.set("/broken.png", { body: broken, type: "image/png" });

  server = http.createServer((request, response) => {
    const file = served.get(new URL(request.url ?? "/", "http://x").pathname);
    if (!file) return void response.writeHead(404).end("not found");
    response.writeHead(200, { "content-type": file.type, "content-length": file.body.length });
    response.end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  app = await startTestApp();
  const { startWorker } = await import("@/server/boot");
  await startWorker();
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await new Promise((resolve) => server?.close(resolve));
});

async function runBatch(lines: [string, string][], options: TImageBatchOptionsInput) {
  const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
  const text = lines.map(([product, url]) => `${product}\t${baseUrl}${url}`).join("\n");
  const { jobId } = await createBatchJob({ userId: app.userId, text, source: "paste", options });
  const job = await waitForJobEnd(app, jobId);
  const items = await app.db.imageItem.findMany({ where: { jobId }, orderBy: { line: "asc" } });
  return { job, items, byUrl: (url: string) => items.find((i) => i.url === `${baseUrl}${url}`)! };
}

/** Streams a job's master ZIP, or one product's, to a file; returns its path. */
async function saveZip(jobId: string, productNumber?: string): Promise<string> {
  const { buildJobArchive } = await import("@/server/services/jobs/build-job-archive");
  const archive = await buildJobArchive({ jobId, productNumber });
  const file = path.join(app.dataDir, `archive-${crypto.randomUUID()}.zip`);
  await pipeline(archive.open(), fs.createWriteStream(file));
  expect(fs.statSync(file).size).toBe(archive.size);
  expect(isZipIntact(file)).toBe(true);
  return file;
}

/** An entry's bytes, as Info-ZIP's unzip extracts them ("[" would be a wildcard to it). */
function zipEntryBytes(file: string, name: string): Buffer {
  return execFileSync("unzip", ["-p", file, name.replace(/[[\]*?]/g, "\\$&")]);
}

function manifestRows(file: string): Record<string, string>[] {
  const text = zipEntryBytes(file, "manifest.csv").toString("utf8");
  return Papa.parse<Record<string, string>>(text.trim(), { header: true }).data;
}

describe("a batch with a file-name template", () => {
  let result: Awaited<ReturnType<typeof runBatch>>;
  let master: string;

  beforeAll(async () => {
    result = await runBatch(
      [
        ["SKU-A", "/a/photo.jpg"],
        ["SKU-A", "/b/photo.jpg"],
        ["SKU-A", "/c/other.png"],
        ["SKU-B", "/a/photo.jpg"],
      ],
      { fileNameTemplate: "{original}" },
    );
    master = await saveZip(result.job.id);
  }, 60_000);

  it("names the images in the ZIP by the template, telling equal names apart", () => {
    expect(result.job.status).toBe("completed");
    expect(zipEntries(master).sort()).toEqual(
      [
        "SKU-A/other.png",
        "SKU-A/photo (2).jpg",
        "SKU-A/photo.jpg",
        "SKU-B/photo.jpg",
        "manifest.csv",
        "manifest.json",
      ].sort(),
    );
    // the first in input order keeps the plain name
    expect(zipEntryBytes(master, "SKU-A/photo.jpg")).toEqual(served.get("/a/photo.jpg")!.body);
    expect(zipEntryBytes(master, "SKU-A/photo (2).jpg")).toEqual(served.get("/b/photo.jpg")!.body);
  });

  it("gives a product's own ZIP and the manifest the same names", async () => {
    const own = await saveZip(result.job.id, "SKU-A");
    expect(zipEntries(own).sort()).toEqual(
      ["other.png", "photo (2).jpg", "photo.jpg", "manifest.csv", "manifest.json"].sort(),
    );
    expect(manifestRows(master).map((row) => row.file_name)).toEqual([
      "SKU-A/photo.jpg",
      "SKU-A/photo (2).jpg",
      "SKU-A/other.png",
      "SKU-B/photo.jpg",
    ]);
  });

  it("refuses an unknown placeholder before anything is stored, naming it", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const jobsBefore = await app.db.job.count();
    await expect(
      createBatchJob({
        userId: app.userId,
        text: `SKU-9\t${baseUrl}/a/photo.jpg`,
        source: "paste",
        options: { fileNameTemplate: "{sku}_{n}" },
      }),
    ).rejects.toThrow(/^Unknown placeholder \{sku\} in the file-name template/);
    expect(await app.db.job.count()).toBe(jobsBefore);
  });
});

describe("a batch that converts to WebP at a longest side of 100 px", () => {
  let result: Awaited<ReturnType<typeof runBatch>>;
  let master: string;

  beforeAll(async () => {
    result = await runBatch(
      [
        ["SKU-C", "/wide.jpg"],
        ["SKU-C", "/broken.png"],
        ["SKU-C", "/tall.png"],
        ["SKU-D", "/small.png"],
      ],
      {
        fileNameTemplate: "{product}_{n}_{sha8}",
        conversion: { format: "webp", maxSide: 100, quality: 70, includeOriginals: true },
      },
    );
    master = await saveZip(result.job.id);
  }, 60_000);

  it("fails only the image sharp cannot read, and keeps its original", () => {
    const broken = result.byUrl("/broken.png");
    expect(broken.state).toBe("failed");
    expect(broken.error).toMatch(/^could not convert: /);
    expect(broken.isRetryable).toBe(false);
    expect(broken.convertedSha256).toBeNull();
    expect(readStoredBlob(app.dataDir, broken.sha256!)).toEqual(served.get("/broken.png")!.body);
    for (const url of ["/wide.jpg", "/tall.png", "/small.png"])
      expect(result.byUrl(url)).toMatchObject({ state: "downloaded", error: null });
    expect(result.job.status).toBe("completed_with_errors");
  });

  it("keeps every original stored, and the converted copy beside it", async () => {
    for (const url of ["/wide.jpg", "/tall.png", "/small.png"]) {
      const item = result.byUrl(url);
      expect(readStoredBlob(app.dataDir, item.sha256!)).toEqual(served.get(url)!.body);
      const converted = readStoredBlob(app.dataDir, item.convertedSha256!);
      expect(converted.length).toBe(item.convertedBytes);
      expect(crypto.createHash("sha256").update(converted).digest("hex")).toBe(
        item.convertedSha256,
      );
      expect((await sharp(converted).metadata()).format).toBe("webp");
    }
    // nothing left behind in the scratch folder: each converted file was moved into the store
    expect(fs.readdirSync(app.runtime.scratchDir)).toEqual([]);
  });

  it("puts WebP images of at most 100 px in the ZIP, named by the original's hash", async () => {
    const sha8 = (url: string) => result.byUrl(url).sha256!.slice(0, 8);
    const expected = {
      [`SKU-C/SKU-C_1_${sha8("/wide.jpg")}.webp`]: [100, 75],
      [`SKU-C/SKU-C_3_${sha8("/tall.png")}.webp`]: [24, 100],
      // smaller than the limit: converted, never enlarged
      [`SKU-D/SKU-D_1_${sha8("/small.png")}.webp`]: [50, 40],
    };
    const entries = zipEntries(master);
    for (const [name, [width, height]] of Object.entries(expected)) {
      expect(entries).toContain(name);
      const metadata = await sharp(zipEntryBytes(master, name)).metadata();
      expect(metadata).toMatchObject({ format: "webp", width, height });
    }
    expect(entries.filter((name) => name.endsWith(".webp"))).toHaveLength(3);
    expect(entries.some((name) => name.includes("_2_"))).toBe(false);
  });

  it("puts the originals in an originals/ folder, and describes the converted files in the manifest", () => {
    const sha8 = (url: string) => result.byUrl(url).sha256!.slice(0, 8);
    const original = `SKU-C/originals/SKU-C_1_${sha8("/wide.jpg")}.jpg`;
    expect(zipEntries(master)).toContain(original);
    expect(zipEntryBytes(master, original)).toEqual(served.get("/wide.jpg")!.body);
    expect(zipEntries(master).filter((name) => name.includes("/originals/"))).toHaveLength(3);

    const wide = result.byUrl("/wide.jpg");
    const rows = manifestRows(master);
    expect(rows.find((row) => row.source_url === wide.url)).toMatchObject({
      file_name: `SKU-C/SKU-C_1_${sha8("/wide.jpg")}.webp`,
      sha256: wide.convertedSha256,
      bytes: String(wide.convertedBytes),
      content_type: "image/webp",
      status: "downloaded",
    });
    expect(rows.find((row) => row.source_url?.endsWith("/broken.png"))).toMatchObject({
      file_name: "",
      status: "failed",
    });
  });
});

describe("running a past batch again", () => {
  it("makes a new batch with the same products, images in their order, and options", async () => {
    const options = { fileNameTemplate: "{original}", conversion: { format: "webp", maxSide: 40 } };
    const first = await runBatch(
      [
        ["SKU-R", "/wide.jpg"],
        ["SKU-R", "/small.png"],
        ["SKU-S", "/c/other.png"],
      ],
      options as TImageBatchOptionsInput,
    );
    const { runBatchAgain } = await import("@/server/services/batches/run-batch-again");
    const again = await runBatchAgain(first.job.id, app.userId);
    expect(again.jobId).not.toBe(first.job.id);
    expect(again).toMatchObject({ images: 3, products: 2, skippedRows: 0 });
    const job = await waitForJobEnd(app, again.jobId);
    expect(job.title).toBe(`${first.job.title} (again)`);
    const items = await app.db.imageItem.findMany({
      where: { jobId: again.jobId },
      orderBy: [{ product: { position: "asc" } }, { position: "asc" }],
      include: { product: { select: { number: true } } },
    });
    expect(items.map((item) => [item.product.number, item.url.slice(baseUrl.length)])).toEqual([
      ["SKU-R", "/wide.jpg"],
      ["SKU-R", "/small.png"],
      ["SKU-S", "/c/other.png"],
    ]);
    // the options came along: converted to WebP within 40 px
    expect(items.every((item) => item.convertedExtension === "webp")).toBe(true);
    expect(JSON.parse(job.options)).toMatchObject({
      fileNameTemplate: "{original}",
      conversion: { format: "webp", maxSide: 40 },
    });
    // the job page says how its images are named and converted
    const { getJobProgress } = await import("@/server/services/jobs/job-progress");
    expect((await getJobProgress(again.jobId))!.imageOptions).toEqual({
      fileNameTemplate: "{original}",
      conversion: { format: "webp", maxSide: 40, quality: 80, includeOriginals: false },
    });
    // again of an again keeps one "(again)"
    const third = await runBatchAgain(again.jobId, app.userId);
    expect((await waitForJobEnd(app, third.jobId)).title).toBe(job.title);
  });
});
