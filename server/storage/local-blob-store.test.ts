import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { text } from "node:stream/consumers";
import { afterEach, describe, expect, it } from "vitest";
import { createLocalBlobStore, localScratchDir } from "./local-blob-store";

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

function makeRoot(parent = os.tmpdir()) {
  const root = fs.mkdtempSync(path.join(parent, "blobs-"));
  roots.push(root);
  return root;
}

function makeStore() {
  const root = makeRoot();
  return { root, store: createLocalBlobStore(root), tempDir: localScratchDir(root) };
}

const sha256Of = (content: string) => crypto.createHash("sha256").update(content).digest("hex");

function writeTemp(dir: string, content: string) {
  const file = path.join(dir, crypto.randomUUID());
  fs.writeFileSync(file, content);
  return { file, sha256: sha256Of(content) };
}

/** Two contents whose hashes share their first two hex digits, so they land in one folder. */
function twoContentsInOneFolder(): [string, string] {
  const byPrefix = new Map<string, string>();
  for (let i = 0; i < 10_000; i++) {
    const content = `content ${i}`;
    const prefix = sha256Of(content).slice(0, 2);
    const other = byPrefix.get(prefix);
    if (other) return [other, content];
    byPrefix.set(prefix, content);
  }
  throw new Error("no two hashes in one folder among 10,000");
}

// What every store must do is in blob-store.contract.int.test.ts, run against this one and S3;
// these are the local disk's own cases.
describe("local blob store", () => {
  it("stores equal bytes once under their hash and reads them back through a stream", async () => {
    const { store, tempDir } = makeStore();
    const a = writeTemp(tempDir, "same bytes");
    const b = writeTemp(tempDir, "same bytes");
    await store.moveIn(a.file, a.sha256);
    await store.moveIn(b.file, b.sha256);
    expect(fs.existsSync(a.file) || fs.existsSync(b.file)).toBe(false);
    expect(await store.has(a.sha256)).toBe(true);
    expect(await text(store.openRead(a.sha256))).toBe("same bytes");
    expect(await text(store.openRead(a.sha256, { start: 5, end: 9 }))).toBe("bytes");
    expect((await store.statBlob(a.sha256))?.size).toBe(10);
    expect(await store.statBlob(sha256Of("never stored"))).toBeNull();
  });

  it("stores bytes held in memory in one batch, leaves bytes already there alone, and replaces a file left short", async () => {
    const { root, store, tempDir } = makeStore();
    const [first, second] = ["first image", "second image"];
    const blobPath = (content: string) =>
      path.join(root, "blobs", sha256Of(content).slice(0, 2), sha256Of(content));
    const incoming = (content: string) => ({
      sha256: sha256Of(content),
      data: Buffer.from(content),
    });
    expect(await store.storeMany([incoming(first), incoming(second)])).toEqual([null, null]);
    expect(await text(store.openRead(sha256Of(first)))).toBe(first);
    expect(await text(store.openRead(sha256Of(second)))).toBe(second);

    // the same bytes again: the file stays as it is (a reader streaming it is not disturbed)
    const inode = fs.statSync(blobPath(first)).ino;
    expect(await store.storeMany([incoming(first)])).toEqual([null]);
    expect(fs.statSync(blobPath(first)).ino).toBe(inode);

    // a process killed while writing left a short file: the next store of those bytes mends it
    fs.writeFileSync(blobPath(second), "second");
    const temp = writeTemp(tempDir, "third image");
    expect(
      await store.storeMany([incoming(second), { sha256: temp.sha256, tempPath: temp.file }]),
    ).toEqual([null, null]);
    expect(await text(store.openRead(sha256Of(second)))).toBe(second);
    expect(await text(store.openRead(temp.sha256))).toBe("third image");
    expect(fs.existsSync(temp.file)).toBe(false);
  });

  it("gives each blob of a batch its own error, with the system's code, and drops failed temp files", async () => {
    const { root, store, tempDir } = makeStore();
    const good = { sha256: sha256Of("fits"), data: Buffer.from("fits") };
    const blocked = sha256Of("blocked");
    // a file where the blob's folder should be: the folder cannot be made (ENOTDIR, like EROFS)
    fs.writeFileSync(path.join(root, "blobs", blocked.slice(0, 2)), "not a folder");
    const temp = writeTemp(tempDir, "blocked");
    const [ok, failed] = await store.storeMany([good, { sha256: blocked, tempPath: temp.file }]);
    expect(ok).toBeNull();
    expect(failed).toBeInstanceOf(Error);
    expect((failed as NodeJS.ErrnoException).code).toBe("ENOTDIR");
    expect(fs.existsSync(temp.file)).toBe(false);
    expect(await store.has(good.sha256)).toBe(true);
  });

  it("refuses keys that are not SHA-256 digests, so no key can walk out of the store", () => {
    const { store } = makeStore();
    expect(() => store.openRead("../../etc/passwd")).toThrow(/not a SHA-256/);
  });

  it("lists every blob in pages and nothing else that lies in its folders", async () => {
    const { root, store, tempDir } = makeStore();
    const hashes: string[] = [];
    for (const content of ["one", "two", "three"]) {
      const temp = writeTemp(tempDir, content);
      await store.moveIn(temp.file, temp.sha256);
      hashes.push(temp.sha256);
    }
    fs.writeFileSync(path.join(root, "blobs", hashes[0]!.slice(0, 2), "notes.txt"), "x");
    const listed: string[] = [];
    for await (const page of store.listBlobs()) listed.push(...page);
    expect(listed.sort()).toEqual([...hashes].sort());
  });

  it("creates a folder again when it vanished after the store created it (a volume mounted over the store)", async () => {
    const { root, store, tempDir } = makeStore();
    const [first, second] = twoContentsInOneFolder();
    const a = writeTemp(tempDir, first);
    await store.moveIn(a.file, a.sha256);
    // an empty volume now sits where the blob folder was
    fs.renameSync(path.join(root, "blobs"), path.join(root, "blobs-before"));
    fs.mkdirSync(path.join(root, "blobs"));
    const b = writeTemp(tempDir, second);
    await store.moveIn(b.file, b.sha256);
    expect(await text(store.openRead(b.sha256))).toBe(second);
  });

  it("copies a file in when the blob folder is on another volume than the temp folder (EXDEV)", async () => {
    const root = makeRoot();
    // /dev/shm is a tmpfs of its own: a rename from the temp folder into it fails with EXDEV
    const elsewhere = makeRoot("/dev/shm");
    expect(fs.statSync(elsewhere).dev).not.toBe(fs.statSync(root).dev);
    fs.symlinkSync(elsewhere, path.join(root, "blobs"));
    const store = createLocalBlobStore(root);
    const temp = writeTemp(localScratchDir(root), "across volumes");
    await store.moveIn(temp.file, temp.sha256);
    expect(await text(store.openRead(temp.sha256))).toBe("across volumes");
    expect(fs.existsSync(temp.file)).toBe(false);
    expect(fs.readdirSync(path.join(elsewhere, ".staging"))).toEqual([]);
    const check = await store.check();
    expect(check.isWritable).toBe(true);
    expect(check.detail).toMatch(/different volumes/);
  });

  it("reports the blob folder itself as not writable when it is gone, even though the temp folder is fine", async () => {
    const { root, store, tempDir } = makeStore();
    fs.renameSync(path.join(root, "blobs"), path.join(root, "blobs-before"));
    fs.writeFileSync(path.join(root, "blobs"), "a file where the folder was");
    const asFile = await store.check();
    expect(asFile.isWritable).toBe(false);
    expect(asFile.detail).toContain(`the blob folder ${path.join(root, "blobs")} is not writable`);
    expect(asFile.detail).toMatch(/ENOTDIR/);

    fs.rmSync(path.join(root, "blobs"));
    fs.symlinkSync(path.join(root, "unmounted"), path.join(root, "blobs"));
    const dangling = await store.check();
    expect(dangling.isWritable).toBe(false);
    expect(dangling.detail).toContain(
      `the blob folder ${path.join(root, "blobs")} is not writable`,
    );
    // nothing is left behind in the temp folder
    expect(fs.readdirSync(tempDir)).toEqual([]);
  });
});
