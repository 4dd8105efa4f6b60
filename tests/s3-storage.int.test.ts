import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startImageHost } from "@/test-support/fakes/image-host";
import { startLocalS3, type TLocalS3 } from "@/test-support/s3-server";
import { isZipIntact, zipEntryText } from "@/test-support/zip";
import { startTestApp, waitForJobEnd } from "./support/test-app";

/**
 * The app with STORAGE=s3 against s3rver (a local S3-compatible server in its own process): an
 * image batch stores its files in the bucket, and its master ZIP streams from the objects with
 * the exact length it announced.
 */
type TApp = Awaited<ReturnType<typeof startTestApp>>;
let app: TApp;
let s3: TLocalS3;
let imageHost: Awaited<ReturnType<typeof startImageHost>>;

const SMALL_IMAGES = 120;

beforeAll(async () => {
  s3 = await startLocalS3();
  imageHost = await startImageHost();
  app = await startTestApp({
    ...s3.env,
    S3_PREFIX: "datahaul/",
    // shared storage: every process must open the same sealed secrets
    AUTH_SECRET: crypto.randomBytes(32).toString("base64url"),
    SECRET_KEY: crypto.randomBytes(32).toString("base64"),
  });
  const { startWorker } = await import("@/server/boot");
  await startWorker();
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await imageHost?.close();
  await s3?.close();
});

const sha256Of = (bytes: Uint8Array) => crypto.createHash("sha256").update(bytes).digest("hex");

describe("an image batch on S3 storage", () => {
  const urls = [
    ...Array.from(
      { length: SMALL_IMAGES },
      (_, i) => `/img/s3-${i}.${["jpg", "png", "webp"][i % 3]}?kb=${20 + (i % 60)}`,
    ),
    // over 1 MB: downloaded to the scratch folder, uploaded from there, and streamed into the
    // ZIP a piece at a time
    "/huge.jpg?mb=2.5&chunked=1",
  ];
  let jobId: string;

  beforeAll(async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const text = urls.map((u, i) => `SKU-${i % 7}\t${imageHost.url}${u}`).join("\n");
    ({ jobId } = await createBatchJob({ userId: app.userId, text, source: "paste" }));
    const job = await waitForJobEnd(app, jobId, 60_000);
    expect(job.status).toBe("completed");
  }, 90_000);

  it("keeps every downloaded file in the bucket and none on the local disk", async () => {
    const items = await app.db.imageItem.findMany({ where: { jobId } });
    expect(items).toHaveLength(urls.length);
    for (const item of items) {
      expect(item.state).toBe("downloaded");
      expect((await app.runtime.blobs.statBlob(item.sha256!))?.size).toBe(item.bytes);
    }
    const localBlobs = path.join(app.dataDir, "blobs");
    expect(fs.existsSync(localBlobs)).toBe(false);
    expect(fs.readdirSync(app.runtime.scratchDir).filter((f) => f.endsWith(".part"))).toEqual([]);
    const check = await app.runtime.blobs.check();
    expect(check).toMatchObject({ isWritable: true });
    expect(check.detail).toContain(`s3://${s3.bucket}/datahaul/`);
  });

  it("streams the master ZIP from the objects: the announced length is what is sent, unzip -t passes, every file hashes as its source", async () => {
    const { streamArchive } = await import("@/server/api/archive-response");
    const response = await streamArchive(new Request("http://127.0.0.1/archive"), { jobId });
    const announced = Number(response.headers.get("x-content-length"));
    const file = path.join(app.dataDir, `master-${crypto.randomUUID()}.zip`);
    let sent = 0;
    const counted = Readable.fromWeb(response.body! as NodeReadableStream<Uint8Array>).on(
      "data",
      (chunk: Buffer) => (sent += chunk.length),
    );
    await pipeline(counted, fs.createWriteStream(file));
    expect(announced).toBeGreaterThan(2.5 * 1024 * 1024);
    expect(sent).toBe(announced);
    expect(fs.statSync(file).size).toBe(announced);
    expect(isZipIntact(file)).toBe(true);

    const manifest = JSON.parse(zipEntryText(file, "manifest.json")) as {
      items: { fileName: string; sourceUrl: string; sha256: string }[];
    };
    expect(manifest.items).toHaveLength(urls.length);
    for (const entry of manifest.items) {
      const source = new Uint8Array(await (await fetch(entry.sourceUrl)).arrayBuffer());
      const inZip = execFileSync("unzip", ["-p", file, entry.fileName], {
        maxBuffer: 8 * 1024 * 1024,
      });
      expect(sha256Of(inZip)).toBe(sha256Of(source));
      expect(entry.sha256).toBe(sha256Of(source));
    }
  }, 60_000);
});

describe("tables on S3 storage", () => {
  it("keeps an upload's typed rows in the bucket and exports from them", async () => {
    const { receiveTableUpload } = await import("@/server/services/tables/receive-upload");
    const { startExport } = await import("@/server/services/tables/start-export");
    const { openExportFile } = await import("@/server/services/tables/export-files");
    const csv = [
      "sku,units",
      ...Array.from({ length: 500 }, (_, i) => `${String(i).padStart(5, "0")},${i}`),
    ].join("\n");
    const table = await receiveTableUpload({
      body: new Blob([csv]).stream(),
      contentLength: Buffer.byteLength(csv),
      query: new URLSearchParams({ fileName: "codes.csv" }),
      createdById: app.userId,
    });
    const stored = await app.db.dataTable.findUniqueOrThrow({ where: { id: table.id } });
    expect(await app.runtime.blobs.has(stored.sha256!)).toBe(true);
    // nothing of it in the local data folder: the store is the bucket
    expect(fs.existsSync(path.join(app.dataDir, "blobs"))).toBe(false);

    const { jobId } = await startExport({
      tableId: table.id,
      steps: [
        { kind: "filter", conditions: [{ column: "units", operator: "at_least", value: 490 }] },
      ],
      outputs: [{ format: "csv" }],
      createdById: app.userId,
    });
    await waitForJobEnd(app, jobId);
    const output = await app.db.exportOutput.findFirstOrThrow({ where: { jobId } });
    expect(output.state).toBe("succeeded");
    const file = await openExportFile({ jobId, outputId: output.id });
    const chunks: Buffer[] = [];
    for await (const chunk of file.stream) chunks.push(Buffer.from(chunk as Buffer));
    const text = Buffer.concat(chunks).toString("utf8");
    expect(Buffer.byteLength(text)).toBe(file.size);
    expect(text.trim().split("\n")).toEqual([
      "sku,units",
      ...Array.from({ length: 10 }, (_, i) => `${String(490 + i).padStart(5, "0")},${490 + i}`),
    ]);
  });
});
