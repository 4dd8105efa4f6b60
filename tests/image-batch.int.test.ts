import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startImageHost } from "@/test-support/fakes/image-host";
import { isZipIntact, zipEntries, zipEntryText } from "@/test-support/zip";
import { readStoredBlob, startTestApp, waitFor, waitForJobEnd } from "./support/test-app";

type TApp = Awaited<ReturnType<typeof startTestApp>>;
let app: TApp;
let imageHost: Awaited<ReturnType<typeof startImageHost>>;

beforeAll(async () => {
  imageHost = await startImageHost();
  app = await startTestApp({ HTTP_READ_TIMEOUT: "2", MAX_IMAGE_SIZE_MB: "1" });
  const { startWorker } = await import("@/server/boot");
  await startWorker();
});

afterAll(async () => {
  await app?.stop();
  await imageHost?.close();
});

async function runBatch(lines: string[][]) {
  const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
  const text = lines.map((l) => l.join("\t")).join("\n");
  const { jobId } = await createBatchJob({ userId: app.userId, text, source: "paste" });
  const job = await waitForJobEnd(app, jobId);
  const items = await app.db.imageItem.findMany({
    where: { jobId },
    include: { product: true },
    orderBy: { line: "asc" },
  });
  return { job, items, byUrl: (suffix: string) => items.find((i) => i.url.endsWith(suffix))! };
}

/** An address on the local image host. */
const u = (p: string) => `${imageHost.url}${p}`;

/** Streams a job's master ZIP to a file of its own; returns the path and the announced size. */
async function saveMasterZip(jobId: string) {
  const { buildJobArchive } = await import("@/server/services/jobs/build-job-archive");
  const archive = await buildJobArchive({ jobId });
  const file = path.join(app.dataDir, `master-${crypto.randomUUID()}.zip`);
  await pipeline(archive.open(), fs.createWriteStream(file));
  return { file, size: archive.size };
}

describe("an image batch against a real local image host", () => {
  let result: Awaited<ReturnType<typeof runBatch>>;

  beforeAll(async () => {
    result = await runBatch([
      ["Product Number", "Image Src"],
      ["SKU-1", u("/img/one.png")],
      ["SKU-1", u("/img/two.jpg")],
      ["SKU-1", u("/img/three.webp")],
      ["SKU-1", u("/img/four.avif")],
      ["SKU-1", u("/img/five.gif")],
      ["SKU-2", u("/status/404")],
      ["SKU-2", u("/flaky/k1")],
      ["SKU-2", u("/rate-limited/k2")],
      ["SKU-3", u("/same-a.jpg")],
      ["SKU-3", u("/same-b.jpg")],
      ["SKU-4", u("/html-as.jpg")],
      ["SKU-4", u("/huge.jpg")],
      ["SKU-4", u("/redirect/3")],
      ["SKU-4", u("/redirect-private")],
      ["SKU-4", u("/truncated/k3")],
      ["SKU-4", u("/slow-body/k4")],
    ]);
  }, 60_000);

  it("ends every item in the right final state with the right message", () => {
    const { job, byUrl, items } = result;
    expect(items).toHaveLength(16);
    expect(job.status).toBe("completed_with_errors");
    for (const name of [
      "/img/one.png",
      "/img/two.jpg",
      "/img/three.webp",
      "/img/four.avif",
      "/img/five.gif",
    ]) {
      expect(byUrl(name)).toMatchObject({ state: "downloaded", attempts: 1, error: null });
    }
    expect(byUrl("/img/one.png").contentType).toBe("image/png");
    expect(byUrl("/img/four.avif").contentType).toBe("image/avif");
    expect(byUrl("/status/404")).toMatchObject({
      state: "failed",
      attempts: 1,
      httpStatus: 404,
      error: "404 Not Found",
    });
    expect(byUrl("/flaky/k1")).toMatchObject({ state: "downloaded", attempts: 2 });
    expect(byUrl("/rate-limited/k2")).toMatchObject({ state: "downloaded", attempts: 2 });
    expect(byUrl("/html-as.jpg")).toMatchObject({
      state: "failed",
      error: "not an image: text/html",
    });
    expect(byUrl("/huge.jpg")).toMatchObject({ state: "failed", error: "larger than 1 MB" });
    expect(byUrl("/redirect/3")).toMatchObject({ state: "downloaded" });
    expect(byUrl("/redirect-private").state).toBe("failed");
    expect(byUrl("/redirect-private").error).toMatch(/^blocked: /);
    expect(byUrl("/truncated/k3").state).toBe("failed");
    expect(byUrl("/truncated/k3").error).toMatch(/connection closed early/);
    expect(byUrl("/slow-body/k4").state).toBe("failed");
    expect(byUrl("/slow-body/k4").error).toMatch(/timed out/);
  });

  it("keeps identical bytes of one product once and marks the second a duplicate", () => {
    const a = result.byUrl("/same-a.jpg");
    const b = result.byUrl("/same-b.jpg");
    expect(a.sha256).toBe(b.sha256);
    expect([a.state, b.state].sort()).toEqual(["downloaded", "duplicate"]);
  });

  it("stores every downloaded file under its SHA-256 with the recorded size and CRC-32", () => {
    for (const item of result.items.filter((i) => i.state === "downloaded")) {
      const bytes = readStoredBlob(app.dataDir, item.sha256!);
      expect(crypto.createHash("sha256").update(bytes).digest("hex")).toBe(item.sha256);
      expect(bytes.length).toBe(item.bytes);
    }
    expect(fs.readdirSync(app.runtime.scratchDir)).toEqual([]);
  });

  it("streams a master ZIP of exactly the announced size that unzip accepts, with a manifest", async () => {
    const { file, size } = await saveMasterZip(result.job.id);
    expect(fs.statSync(file).size).toBe(size);
    expect(isZipIntact(file)).toBe(true);
    const entries = zipEntries(file);
    const downloaded = result.items.filter((i) => i.state === "downloaded").length;
    expect(entries).toHaveLength(downloaded + 2);
    expect(entries).toContain("SKU-1/SKU-1_001.png");
    const manifest = JSON.parse(zipEntryText(file, "manifest.json"));
    expect(manifest.items).toHaveLength(16);
    // the manifests were temp files: gone once the archive has been streamed
    expect(fs.readdirSync(app.runtime.scratchDir).filter((f) => f.startsWith("manifest-"))).toEqual(
      [],
    );
    // reading the rows a page at a time gives the same rows in the same order as one read
    const { archiveItemPages } = await import("@/server/services/jobs/build-job-archive");
    const collect = async (pageRows: number) => {
      const all: unknown[] = [];
      for await (const page of archiveItemPages(result.job.id, null, pageRows)) all.push(...page);
      return all;
    };
    expect(await collect(3)).toEqual(await collect(1000));
    expect(await collect(3)).toHaveLength(16);
    for (const entry of manifest.items.filter((i: { fileName: string | null }) => i.fileName)) {
      const bytes = execFileSync("unzip", ["-p", file, entry.fileName]);
      expect(crypto.createHash("sha256").update(bytes).digest("hex")).toBe(entry.sha256);
    }
  });

  it("streams the manifest on its own, the same as the one in the master ZIP", async () => {
    const { buildJobManifest } = await import("@/server/services/jobs/build-job-archive");
    const { file } = await saveMasterZip(result.job.id);
    const inZip = (name: string) => zipEntryText(file, name);

    const csv = await buildJobManifest({ jobId: result.job.id, format: "csv" });
    expect(csv.contentType).toBe("text/csv; charset=utf-8");
    expect(csv.fileName).toBe(`manifest_${result.job.id.slice(0, 8)}.csv`);
    const csvText = await new Response(csv.body).text();
    expect(csvText).toBe(inZip("manifest.csv"));
    expect(csvText.trimEnd().split("\r\n")).toHaveLength(17);

    const json = await buildJobManifest({ jobId: result.job.id, format: "json" });
    const standalone = JSON.parse(await new Response(json.body).text());
    const zipped = JSON.parse(inZip("manifest.json"));
    expect(standalone.items).toEqual(zipped.items);
    expect(standalone.job).toEqual({ ...zipped.job, generatedAt: standalone.job.generatedAt });
    expect(standalone.job.itemCount).toBe(16);

    await expect(buildJobManifest({ jobId: "no-such-job", format: "csv" })).rejects.toThrow(
      /does not exist/,
    );

    // deleted while a slow client reads: the download fails instead of ending short but clean
    const { deleteJob } = await import("@/server/services/jobs/job-actions");
    const doomed = await runBatch([["SKU-D", `${imageHost.url}/img/doomed.png`]]);
    const reader = (
      await buildJobManifest({ jobId: doomed.job.id, format: "json" })
    ).body.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('"itemCount": 1');
    await deleteJob(doomed.job.id);
    await expect(reader.read()).rejects.toThrow("deleted while its manifest was downloading");
  });

  it("retries failed items on request, and deletes a job without removing files another job uses", async () => {
    const { retryFailedItems, deleteJob } = await import("@/server/services/jobs/job-actions");
    const failedBefore = result.items.filter((i) => i.state === "failed").length;
    // "all": a 404 or an HTML page is taken too, as "Retry all failed" takes it
    expect(await retryFailedItems(result.job.id, "all")).toEqual({ retriedItems: failedBefore });
    await waitFor(async () => {
      const job = await app.db.job.findUnique({ where: { id: result.job.id } });
      return job?.status === "completed_with_errors";
    }, 40_000);

    const other = await runBatch([["SKU-9", `${imageHost.url}/img/one.png`]]);
    const shared = other.items[0]!.sha256!;
    const onlyFirst = result.byUrl("/img/two.jpg").sha256!;
    await deleteJob(result.job.id);
    expect(await app.db.imageItem.count({ where: { jobId: result.job.id } })).toBe(0);
    // files go in the sweep, not in the delete
    expect(await app.runtime.blobs.has(onlyFirst)).toBe(true);
    const { sweepUnreferencedBlobs } = await import("@/server/services/storage/sweep-blobs");
    await sweepUnreferencedBlobs({ graceMs: 0 });
    expect(await app.runtime.blobs.has(shared)).toBe(true);
    expect(await app.runtime.blobs.has(onlyFirst)).toBe(false);
  });
});

describe("images over 64 KiB", () => {
  it("get a ZIP that unzip accepts, and a wrong CRC-32 stored by an older version is repaired once", async () => {
    const big = await runBatch([
      ["SKU-BIG", u("/img/big-a.jpg?kb=300")],
      ["SKU-BIG", u("/img/big-b.png?kb=900")],
    ]);
    expect(big.items.map((i) => i.state)).toEqual(["downloaded", "downloaded"]);
    const zipFile = async () => (await saveMasterZip(big.job.id)).file;
    expect(isZipIntact(await zipFile())).toBe(true);

    const item = big.items[0]!;
    const { crc32: expected } = item;
    await app.db.imageItem.update({ where: { id: item.id }, data: { crc32: 0 } });
    const { repairLargeImageChecksums } = await import("@/server/services/jobs/repair-checksums");
    expect(await repairLargeImageChecksums()).toBeGreaterThanOrEqual(2);
    const repaired = await app.db.imageItem.findUniqueOrThrow({ where: { id: item.id } });
    expect(repaired.crc32).toBe(expected);
    expect(isZipIntact(await zipFile())).toBe(true);
    // once per database: a second start reads nothing
    expect(await repairLargeImageChecksums()).toBe(0);
  });
});

describe("product numbers that differ only in case", () => {
  it("get folders of their own in the master ZIP, by product order alone, named the same in its manifest", async () => {
    // SKU-GONE has no image yet: if a retry fetches it later, sku-gone's folder must not change
    const job = await runBatch([
      ["SKU-CASE", u("/img/case-upper.png")],
      ["sku-case", u("/img/case-lower.png")],
      ["SKU-GONE", u("/status/404")],
      ["sku-gone", u("/img/gone-lower.png")],
    ]);
    const { file } = await saveMasterZip(job.job.id);
    const images = [
      "SKU-CASE/SKU-CASE_001.png",
      "sku-case (2)/sku-case_001.png",
      "sku-gone (2)/sku-gone_001.png",
    ];
    expect(zipEntries(file).sort()).toEqual([...images, "manifest.csv", "manifest.json"].sort());
    const manifest = JSON.parse(zipEntryText(file, "manifest.json"));
    expect(manifest.items.map((i: { fileName: string | null }) => i.fileName)).toEqual([
      images[0],
      images[1],
      null,
      images[2],
    ]);
  });
});

describe("product numbers in any script, and what Analyze left out", () => {
  it("get UTF-8 folders unzip shows as they are, file names the manifest matches, and a skipped.csv", async () => {
    const job = await runBatch([
      ["Product Number", "Image Src"],
      ["ÄÖÜ-1", u("/img/umlaut-upper.png")],
      // the same product pasted from macOS (NFD), and its lower-case twin
      ["A\u0308O\u0308U\u0308-1", u("/img/umlaut-upper-2.png")],
      ["äöü-1", u("/img/umlaut-lower.png")],
      ["产品-7", u("/img/cjk.png")],
      ["-P1", u("/img/minus.png")],
      ["=1+1", u("/img/formula.png")],
      ["SKU-X", '=HYPERLINK("http://evil")'],
      ["产品-7", u("/img/cjk.png")],
    ]);
    const { file } = await saveMasterZip(job.job.id);
    const images = [
      "ÄÖÜ-1/ÄÖÜ-1_001.png",
      "ÄÖÜ-1/ÄÖÜ-1_002.png",
      "äöü-1 (2)/äöü-1_001.png",
      "产品-7/产品-7_001.png",
      "-P1/-P1_001.png",
    ];
    expect(zipEntries(file).sort()).toEqual(
      [...images, "manifest.csv", "manifest.json", "skipped.csv"].sort(),
    );
    expect(isZipIntact(file)).toBe(true);
    // the manifest's file_name is the ZIP path exactly, "-P1" included
    const manifest = Papa.parse<string[]>(zipEntryText(file, "manifest.csv").trim()).data;
    expect(manifest.slice(1).map((record) => record[3])).toEqual(images);
    expect(manifest.slice(1).map((record) => record[0])).toEqual([
      "ÄÖÜ-1",
      "ÄÖÜ-1",
      "äöü-1",
      "产品-7",
      "'-P1",
    ]);

    const skipped = zipEntryText(file, "skipped.csv");
    expect(Papa.parse<string[]>(skipped.trim()).data).toEqual([
      ["line", "product", "image_url", "verdict", "message"],
      [
        "7",
        "'=1+1",
        u("/img/formula.png"),
        "error",
        "product number contains “=”: only letters, digits, - and _ are allowed",
      ],
      ["8", "SKU-X", '\'=HYPERLINK("http://evil")', "error", "not an http or https URL"],
      ["9", "产品-7", u("/img/cjk.png"), "duplicate", "duplicate of line 5 (same product and URL)"],
    ]);
    const { buildJobSkippedCsv } = await import("@/server/services/jobs/build-job-archive");
    const standalone = await buildJobSkippedCsv({ jobId: job.job.id });
    expect(await new Response(standalone.body).text()).toBe(skipped);
  });
});

describe("the same URL under two products", () => {
  it("is fetched once and filed under both; a failure fails both with the same reason", async () => {
    const { items, job } = await runBatch([
      ["SKU-TWIN-1", u("/img/twin.png")],
      ["SKU-TWIN-2", u("/img/twin.png")],
      ["SKU-TWIN-1", u("/status/410")],
      ["SKU-TWIN-2", u("/status/410")],
    ]);
    expect(imageHost.hits("/img/twin.png")).toBe(1);
    expect(imageHost.hits("/status/410")).toBe(1);
    const [first, second, gone1, gone2] = items;
    expect([first!.state, second!.state]).toEqual(["downloaded", "downloaded"]);
    expect(second!.sha256).toBe(first!.sha256);
    expect(gone1).toMatchObject({ state: "failed", error: "410 Gone", httpStatus: 410 });
    expect(gone2).toMatchObject({ state: "failed", error: "410 Gone", httpStatus: 410 });
    // each product's ZIP has its own copy
    const { buildJobArchive } = await import("@/server/services/jobs/build-job-archive");
    for (const product of ["SKU-TWIN-1", "SKU-TWIN-2"]) {
      const archive = await buildJobArchive({ jobId: job.id, productNumber: product });
      const file = path.join(app.dataDir, `${product}.zip`);
      await pipeline(archive.open(), fs.createWriteStream(file));
      expect(zipEntries(file)).toContain(`${product}_001.png`);
      expect(isZipIntact(file)).toBe(true);
    }
  });
});
