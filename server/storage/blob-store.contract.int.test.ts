import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buffer, text } from "node:stream/consumers";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startLocalS3, type TLocalS3 } from "@/test-support/s3-server";
import type { BlobStore } from "./blob-store";
import { createLocalBlobStore, localScratchDir } from "./local-blob-store";
import { createS3BlobStore } from "./s3-blob-store";

/**
 * One contract for every BlobStore: the local disk, and S3 against a real S3-compatible server
 * (s3rver from npm, in a process of its own on 127.0.0.1). Whatever a caller may rely on is
 * asserted here for both.
 */
type TMade = {
  store: BlobStore;
  scratchDir: string;
  /** every object or file the store holds, set-aside copies and probes included */
  countObjects(): Promise<number>;
  /** source text of an ES module that builds the same store as `store` */
  childSource: string;
};

type TAdapter = {
  name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  make(options?: { listPageSize?: number }): TMade;
  /** a store whose backing cannot be written */
  makeBroken(): BlobStore;
};

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

function makeFolder(prefix: string): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => fs.rmSync(folder, { recursive: true, force: true }));
  return folder;
}

const moduleUrl = (file: string) => JSON.stringify(path.resolve("server/storage", file));

function countFiles(folder: string): number {
  let count = 0;
  for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) count++;
  return count;
}

const localAdapter: TAdapter = {
  name: "local disk",
  setUp: async () => undefined,
  tearDown: async () => undefined,
  make(options) {
    const root = makeFolder("blobs-contract-");
    return {
      store: createLocalBlobStore(root, options),
      scratchDir: localScratchDir(root),
      countObjects: async () => countFiles(path.join(root, "blobs")),
      childSource: `import { createLocalBlobStore } from ${moduleUrl("local-blob-store.ts")};
        export const store = createLocalBlobStore(${JSON.stringify(root)});`,
    };
  },
  makeBroken() {
    const root = makeFolder("blobs-broken-");
    const store = createLocalBlobStore(root);
    fs.rmSync(path.join(root, "blobs"), { recursive: true });
    fs.writeFileSync(path.join(root, "blobs"), "a file where the folder was");
    return store;
  },
};

let s3: TLocalS3;
let lister: S3Client;
const s3Stores: { close(): void }[] = [];

const s3Adapter: TAdapter = {
  name: "S3 (s3rver on 127.0.0.1)",
  async setUp() {
    s3 = await startLocalS3();
    lister = new S3Client({
      region: "us-east-1",
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: s3.credentials,
    });
  },
  async tearDown() {
    s3Stores.forEach((store) => store.close());
    lister?.destroy();
    await s3?.close();
  },
  make(options) {
    // every store its own prefix in the one bucket: what one test leaves, no other sees
    const config = {
      bucket: s3.bucket,
      region: "us-east-1",
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: s3.credentials,
      prefix: `test-${crypto.randomUUID()}/`,
      scratchDir: makeFolder("s3-scratch-"),
    };
    const store = createS3BlobStore({ ...config, ...options });
    s3Stores.push(store);
    return {
      store,
      scratchDir: config.scratchDir,
      async countObjects() {
        const answer = await lister.send(
          new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: config.prefix }),
        );
        return answer.KeyCount ?? 0;
      },
      childSource: `import { createS3BlobStore } from ${moduleUrl("s3-blob-store.ts")};
        export const store = createS3BlobStore(${JSON.stringify(config)});`,
    };
  },
  makeBroken() {
    const store = createS3BlobStore({
      bucket: "no-such-bucket",
      region: "us-east-1",
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: s3.credentials,
      scratchDir: makeFolder("s3-scratch-"),
    });
    s3Stores.push(store);
    return store;
  },
};

const sha256Of = (bytes: string | Uint8Array) =>
  crypto.createHash("sha256").update(bytes).digest("hex");

function scratchFile(folder: string, bytes: string | Uint8Array) {
  const file = path.join(folder, `dl-${crypto.randomUUID()}.part`);
  fs.writeFileSync(file, bytes);
  return { file, sha256: sha256Of(bytes) };
}

const inMemory = (bytes: string) => ({ sha256: sha256Of(bytes), data: Buffer.from(bytes) });

async function listAll(store: BlobStore): Promise<string[]> {
  const listed: string[] = [];
  for await (const page of store.listBlobs()) listed.push(...page);
  return listed.sort();
}

/** 2.5 MB of random bytes: more than one piece of a ranged reader, and a multipart-free upload */
const large = crypto.randomBytes(2.5 * 1024 * 1024);

describe.each([localAdapter, s3Adapter])("BlobStore contract: $name", (adapter) => {
  beforeAll(() => adapter.setUp(), 60_000);
  afterAll(() => adapter.tearDown());

  it("stores equal bytes once under their hash, from memory and from a scratch file it takes over", async () => {
    const { store, scratchDir, countObjects } = adapter.make();
    const same = "same bytes";
    expect(await store.storeMany([inMemory(same), inMemory(same)])).toEqual([null, null]);
    const again = scratchFile(scratchDir, same);
    await store.moveIn(again.file, again.sha256);
    expect(fs.existsSync(again.file)).toBe(false);
    const big = scratchFile(scratchDir, large);
    expect(await store.storeMany([{ sha256: big.sha256, tempPath: big.file }])).toEqual([null]);
    expect(fs.existsSync(big.file)).toBe(false);

    expect(await listAll(store)).toEqual([sha256Of(same), big.sha256].sort());
    expect(await countObjects()).toBe(2);
    expect(await text(store.openRead(sha256Of(same)))).toBe(same);
    expect((await buffer(store.openRead(big.sha256))).equals(large)).toBe(true);
    await expect(
      store.storeMany([{ sha256: sha256Of(""), data: new Uint8Array() }]),
    ).rejects.toThrow(/empty/);
  });

  it("reads a whole blob or a byte range through a stream; an absent blob fails with ENOENT", async () => {
    const { store } = adapter.make();
    const content = "0123456789abcdef";
    await store.storeMany([inMemory(content)]);
    const sha256 = sha256Of(content);
    expect(await text(store.openRead(sha256, { start: 5, end: 9 }))).toBe("56789");
    expect(await text(store.openRead(sha256, { start: 12 }))).toBe("cdef");
    expect(await text(store.openRead(sha256, { end: 3 }))).toBe("0123");
    await expect(text(store.openRead(sha256Of("never stored")))).rejects.toMatchObject({
      code: "ENOENT",
    });
    expect(() => store.openRead("../../etc/passwd")).toThrow(/not a SHA-256/);
  });

  it("reads at positions, across the pieces of a large blob, up to its end; an absent blob rejects with ENOENT", async () => {
    const { store } = adapter.make();
    const sha256 = sha256Of(large);
    await store.storeMany([{ sha256, data: Buffer.from(large) }]);
    const reader = await store.openReader(sha256);
    try {
      const target = Buffer.alloc(70_000);
      // across the first megabyte's end, where a ranged reader needs its next piece
      const across = 1024 * 1024 - 1000;
      expect(await reader.read(target, 10, 64_000, across)).toMatchObject({ bytesRead: 64_000 });
      expect(target.subarray(10, 64_010).equals(large.subarray(across, across + 64_000))).toBe(
        true,
      );
      // the whole blob in 1 MB steps, as the ZIP writer streams a large file, with the one-byte
      // end probe: only the bytes that are there come back
      const whole = Buffer.alloc(large.length + 1);
      let position = 0;
      for (let step = 0; step < 10 && position < whole.length; step++) {
        const want = Math.min(1024 * 1024, whole.length - position);
        const { bytesRead } = await reader.read(whole, position, want, position);
        if (bytesRead === 0) break;
        position += bytesRead;
      }
      expect(position).toBe(large.length);
      expect(whole.subarray(0, large.length).equals(large)).toBe(true);
      // out of order, back at the start
      expect(await reader.read(target, 0, 5, 0)).toMatchObject({ bytesRead: 5 });
      expect(target.subarray(0, 5).equals(large.subarray(0, 5))).toBe(true);
      expect(await reader.read(target, 0, 100, large.length)).toMatchObject({ bytesRead: 0 });
      expect(await reader.read(target, 0, 100, large.length - 40)).toMatchObject({ bytesRead: 40 });
    } finally {
      await reader.close();
    }
    await expect(store.openReader(sha256Of("never stored"))).rejects.toMatchObject({
      code: "ENOENT",
    });
  });

  it("gives a blob's size and last change, and null for one that is absent", async () => {
    const { store } = adapter.make();
    const before = Date.now();
    await store.storeMany([inMemory("twelve bytes")]);
    const stat = await store.statBlob(sha256Of("twelve bytes"));
    expect(stat?.size).toBe(12);
    // S3 keeps seconds: a second either way
    expect(Math.abs(stat!.modifiedAt.getTime() - before)).toBeLessThan(60_000);
    expect(await store.has(sha256Of("twelve bytes"))).toBe(true);
    expect(await store.statBlob(sha256Of("never stored"))).toBeNull();
    expect(await store.has(sha256Of("never stored"))).toBe(false);
  });

  it("lists every blob in pages of the size asked, and never a blob a removal has set aside", async () => {
    const { store } = adapter.make({ listPageSize: 3 });
    const contents = Array.from({ length: 7 }, (_, i) => `blob number ${i}`);
    await store.storeMany(contents.map(inMemory));
    const pages: string[][] = [];
    for await (const page of store.listBlobs()) pages.push(page);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.every((page) => page.length >= 1 && page.length <= 3)).toBe(true);
    const hashes = contents.map(sha256Of).sort();
    expect(pages.flat().sort()).toEqual(hashes);

    const [gone, ...kept] = hashes as [string, ...string[]];
    let listedMeanwhile: string[] = [];
    const isRemoved = await store.removeUnlessReferenced(gone, async () => {
      listedMeanwhile = await listAll(store);
      return false;
    });
    expect(isRemoved).toBe(true);
    expect(listedMeanwhile).toEqual(kept);
    expect(await listAll(store)).toEqual(kept);
  });

  it("never removes a blob whose reference appears mid-removal, even when the job stores the same bytes meanwhile", async () => {
    const { store, countObjects } = adapter.make();
    const content = "referenced meanwhile";
    const sha256 = sha256Of(content);
    await store.storeMany([inMemory(content)]);
    let wasOutOfSight = false;
    const isRemoved = await store.removeUnlessReferenced(sha256, async () => {
      wasOutOfSight = !(await store.has(sha256));
      // a job writes its reference, then stores the bytes it downloaded
      expect(await store.storeMany([inMemory(content)])).toEqual([null]);
      return true;
    });
    expect(wasOutOfSight).toBe(true);
    expect(isRemoved).toBe(false);
    expect(await text(store.openRead(sha256))).toBe(content);
    // no set-aside copy is left behind
    expect(await countObjects()).toBe(1);

    expect(await store.removeUnlessReferenced(sha256, async () => false)).toBe(true);
    expect(await store.has(sha256)).toBe(false);
    expect(await countObjects()).toBe(0);
    expect(await store.removeUnlessReferenced(sha256, async () => false)).toBe(false);
  });

  it("puts back a blob that a killed process had set aside before it could decide", async () => {
    const { store, childSource, countObjects } = adapter.make();
    const content = "set aside, then the process died";
    const sha256 = sha256Of(content);
    await store.storeMany([inMemory(content)]);
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `${childSource}
         await store.removeUnlessReferenced(${JSON.stringify(sha256)}, () => {
           process.stdout.write("ASIDE\\n");
           return new Promise(() => {});
         });`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("ASIDE") && resolve());
      child.once("exit", () => reject(new Error("the child ended before setting the blob aside")));
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    expect(await store.has(sha256)).toBe(false);
    expect(await listAll(store)).toEqual([]);
    expect(await store.restoreSetAside()).toBe(1);
    expect(await text(store.openRead(sha256))).toBe(content);
    expect(await store.restoreSetAside()).toBe(0);
    expect(await countObjects()).toBe(1);
  }, 60_000);

  it("checks itself by writing, reading and removing a probe, and says when it cannot be written", async () => {
    const { store, scratchDir, countObjects } = adapter.make();
    const result = await store.check();
    expect(result).toMatchObject({ isWritable: true });
    expect(result.freeBytes).toBeGreaterThan(0);
    expect(result.detail).toMatch(/read back and removed/);
    expect(await countObjects()).toBe(0);
    expect(fs.readdirSync(scratchDir)).toEqual([]);

    const broken = await adapter.makeBroken().check();
    expect(broken.isWritable).toBe(false);
    expect(broken.detail).toMatch(/is not writable/);
    expect(broken.error).toBeInstanceOf(Error);
  });
});
