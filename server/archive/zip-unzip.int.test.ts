import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebReadableStream } from "node:stream/web";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { crc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  buildManifestCsv,
  buildManifestJson,
  computeZipSize,
  createZipStream,
  imageFileName,
  productFolderName,
  toWebStream,
  type ManifestRow,
  type ZipSource,
} from "./index";

const run = promisify(execFile);
const UNZIP = "/usr/bin/unzip";
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "archive-int-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Fixture = { entries: ZipSource[]; expected: Map<string, string> };

// Mirrors a real job: a content-addressed store, product folders, and both manifests.
async function buildJobFixture(): Promise<Fixture> {
  const store = join(dir, "store");
  await mkdir(store, { recursive: true });
  const products = ["SKU-1", "SKU_2", "sku-3-long-name", "Ä-unicode-produkt", "产品-7", "ÄÖÜ-1"];
  const entries: ZipSource[] = [];
  const expected = new Map<string, string>();
  const rows: ManifestRow[] = [];
  const generatedAt = new Date(2025, 5, 1, 12, 0, 0);
  let index = 0;
  for (const product of products) {
    for (let position = 1; position <= 5; position++) {
      const size = index === 3 ? 0 : index === 7 ? 1_500_000 : 20_000 + index * 3_001;
      const data = randomBytes(size);
      const digest = sha256(data);
      const path = join(store, digest);
      await writeFile(path, data);
      const name = `${productFolderName(product)}/${imageFileName({ productNumber: product, position, extension: "jpg" })}`;
      entries.push({
        kind: "file",
        name,
        size,
        crc32: crc32(data),
        modifiedAt: generatedAt,
        open: () => open(path, "r"),
      });
      expected.set(name, digest);
      rows.push({
        product,
        position,
        sourceUrl: `https://cdn.example.com/${product}/${position}.jpg?size=${size}`,
        fileName: name,
        bytes: size,
        sha256: digest,
        contentType: "image/jpeg",
        status: "downloaded",
        attempts: 1,
        error: null,
        line: index + 2,
      });
      index += 1;
    }
  }
  rows.push({
    ...(rows[0] as ManifestRow),
    position: 6,
    fileName: null,
    bytes: null,
    sha256: null,
    status: "failed",
    attempts: 3,
    error: '=HTTP 404, "Not Found"',
  });
  const csv = Buffer.from(buildManifestCsv(rows));
  const json = Buffer.from(
    buildManifestJson(
      { jobId: "job_1", jobTitle: "Spring", generatedAt: generatedAt.toISOString() },
      rows,
    ),
  );
  entries.push(
    { kind: "buffer", name: "manifest.csv", data: csv, modifiedAt: generatedAt },
    { kind: "buffer", name: "manifest.json", data: json, modifiedAt: generatedAt },
  );
  expected.set("manifest.csv", sha256(csv));
  expected.set("manifest.json", sha256(json));
  return { entries, expected };
}

async function unzipTest(zipPath: string) {
  const { stdout } = await run(UNZIP, ["-t", zipPath], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

describe("archives accepted by Info-ZIP unzip", () => {
  let fixture: Fixture;

  beforeAll(async () => {
    fixture = await buildJobFixture();
  });

  it("tests, lists and extracts a job archive byte-for-byte", async () => {
    const zipPath = join(dir, "job.zip");
    await pipeline(createZipStream(fixture.entries), createWriteStream(zipPath));
    expect((await stat(zipPath)).size).toBe(computeZipSize(fixture.entries));

    const tested = await unzipTest(zipPath);
    expect(tested).toContain("No errors detected");
    expect(tested).not.toMatch(/warning|error:/i);

    const { stdout: listing } = await run(UNZIP, ["-l", zipPath]);
    for (const name of fixture.expected.keys()) expect(listing).toContain(name);
    expect(listing).toMatch(new RegExp(`\\s${fixture.expected.size} files`));

    const extractTo = join(dir, "extracted");
    await run(UNZIP, ["-q", zipPath, "-d", extractTo]);
    for (const [name, digest] of fixture.expected) {
      expect(sha256(await readFile(join(extractTo, name))), name).toBe(digest);
    }
    // bit 11 of the flags says the names are UTF-8: unzip makes the folders under those names
    expect((await readdir(extractTo)).sort()).toEqual(
      ["SKU-1", "SKU_2", "sku-3-long-name", "Ä-unicode-produkt", "产品-7", "ÄÖÜ-1"]
        .concat("manifest.csv", "manifest.json")
        .sort(),
    );
    const csv = await readFile(join(extractTo, "manifest.csv"), "utf8");
    expect(csv).toContain(`"'=HTTP 404, ""Not Found"""`);
  });

  it("produces the same valid archive through the web stream used by route handlers", async () => {
    const zipPath = join(dir, "job-web.zip");
    const web = toWebStream(createZipStream(fixture.entries));
    await pipeline(
      Readable.fromWeb(web as unknown as NodeWebReadableStream<Uint8Array>),
      createWriteStream(zipPath),
    );
    expect((await stat(zipPath)).size).toBe(computeZipSize(fixture.entries));
    expect(await unzipTest(zipPath)).toContain("No errors detected");
  });

  it("accepts a ZIP64 archive with more than 65,535 entries", async () => {
    const count = 70_000;
    const modifiedAt = new Date(2025, 0, 2, 3, 4, 6);
    const entries: ZipSource[] = Array.from({ length: count }, (_, index) => ({
      kind: "buffer",
      name: `P-${index % 700}/P-${index % 700}_${String(index).padStart(5, "0")}.jpg`,
      data: Buffer.from(`image ${index}`),
      modifiedAt,
    }));
    const zipPath = join(dir, "zip64.zip");
    await pipeline(createZipStream(entries), createWriteStream(zipPath));
    expect((await stat(zipPath)).size).toBe(computeZipSize(entries));

    const tested = await unzipTest(zipPath);
    expect(tested).toContain("No errors detected");
    const { stdout: listing } = await run(UNZIP, ["-l", zipPath], { maxBuffer: 64 * 1024 * 1024 });
    expect(listing).toMatch(new RegExp(`\\s${count} files`));

    const extractTo = join(dir, "zip64-extracted");
    await run(UNZIP, ["-q", zipPath, "P-699/*", "-d", extractTo]);
    expect(await readFile(join(extractTo, "P-699/P-699_69999.jpg"), "utf8")).toBe("image 69999");
  });

  it("is rejected by unzip when the bytes are damaged, so the checks above can fail", async () => {
    const zipPath = join(dir, "job.zip");
    const zip = await readFile(zipPath);
    const damagedAt = zip.indexOf(Buffer.from("manifest.csv")) + 40;
    zip[damagedAt] = (zip[damagedAt] ?? 0) ^ 0xff;
    const damagedPath = join(dir, "damaged.zip");
    await writeFile(damagedPath, zip);
    await expect(unzipTest(damagedPath)).rejects.toMatchObject({ code: 2 });
  });
});
