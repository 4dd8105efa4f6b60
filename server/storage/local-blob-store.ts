import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { LOCAL_READ_AHEAD } from "../archive/zip-stream";
import { moveInThrough, type BlobStore, type TIncomingBlob, type TStoreCheck } from "./blob-store";
import { describeFileError } from "./describe-storage-fault";
import { createFileOpThread, type TFileOp, type TFileOpResult } from "./file-op-thread";

const SHA256_HEX = /^[0-9a-f]{64}$/;
const SHARD = /^[0-9a-f]{2}$/;
const LIST_PAGE = 500;
/** The scratch folder beside the blobs, so a finished download moves in with one rename. */
export const localScratchDir = (root: string) => path.join(root, "tmp");
/** A copy on its way in that is older than this was left by a process that died. */
const STALE_INCOMING_MS = 60 * 60_000;
const REMOVING = ".removing";
const INCOMING = ".incoming";

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

function toError(failure: NonNullable<TFileOpResult["error"]>): Error {
  return Object.assign(new Error(failure.message), { code: failure.code });
}

/**
 * Blobs on a local disk: `blobs/<first two hex digits>/<sha256>`. `blobs/.staging` holds copies on
 * their way in from another volume and blobs a removal set aside; it is inside the store, so a
 * rename from there is atomic even when the store is a volume of its own.
 */
export function createLocalBlobStore(
  root: string,
  options: { scratchDir?: string; listPageSize?: number } = {},
): BlobStore {
  const blobsDir = path.join(root, "blobs");
  const tempDir = options.scratchDir ?? localScratchDir(root);
  const listPageSize = options.listPageSize ?? LIST_PAGE;
  const stagingDir = path.join(blobsDir, ".staging");
  fs.mkdirSync(blobsDir, { recursive: true });
  fs.mkdirSync(tempDir, { recursive: true });
  // one mkdir per folder, not one per file
  const knownDirs = new Set<string>();

  function pathFor(sha256: string): string {
    if (!SHA256_HEX.test(sha256))
      throw new Error(`not a SHA-256 hex digest: ${sha256.slice(0, 80)}`);
    // one level of 256 folders: few enough to create once, enough to keep folders small
    return path.join(blobsDir, sha256.slice(0, 2), sha256);
  }

  async function ensureDir(dir: string): Promise<void> {
    if (knownDirs.has(dir)) return;
    await fsp.mkdir(dir, { recursive: true });
    knownDirs.add(dir);
  }

  /** rename is atomic on one volume: a reader sees either no blob or the whole blob */
  async function moveFile(from: string, to: string): Promise<void> {
    try {
      await fsp.rename(from, to);
      return;
    } catch (error) {
      if (errorCode(error) !== "EXDEV") throw error;
    }
    // the store is another volume than the temp folder: copy into the store's own volume first,
    // so the last step is still one atomic rename
    await ensureDir(stagingDir);
    const incoming = path.join(stagingDir, `${crypto.randomUUID()}${INCOMING}`);
    try {
      await fsp.copyFile(from, incoming);
      await fsp.rename(incoming, to);
    } catch (error) {
      await fsp.rm(incoming, { force: true });
      throw error;
    }
    await fsp.rm(from, { force: true });
  }

  /**
   * Moves a file into a folder of the store. A folder we created can vanish under us (a volume
   * mounted over the store, a folder removed by hand): on ENOENT the folder is forgotten, created
   * again and the move tried once more.
   */
  async function moveIntoStore(from: string, to: string): Promise<void> {
    const dir = path.dirname(to);
    await ensureDir(dir);
    try {
      await moveFile(from, to);
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw error;
      knownDirs.clear();
      await ensureDir(dir);
      await moveFile(from, to);
    }
  }

  async function statBlob(sha256: string) {
    try {
      const stats = await fsp.stat(pathFor(sha256));
      return { size: stats.size, modifiedAt: stats.mtime };
    } catch (error) {
      if (errorCode(error) === "ENOENT") return null;
      throw error;
    }
  }

  async function freeBytesOf(dir: string): Promise<number> {
    try {
      const stats = await fsp.statfs(dir);
      return stats.bavail * stats.bsize;
    } catch {
      return 0;
    }
  }

  const fileOps = createFileOpThread();

  /**
   * Stores blobs as one batch on the file thread (see file-op-thread.ts). Only a temp file on
   * another volume than the store comes back here, to be copied in.
   */
  async function storeMany(blobs: TIncomingBlob[]): Promise<(Error | null)[]> {
    // no blob is empty (an image never is): empty bytes here are bytes already sent away
    if (blobs.some((blob) => "data" in blob && blob.data.byteLength === 0))
      throw new Error("a blob's bytes were empty (sent to the store twice?)");
    const targets = blobs.map((blob) => pathFor(blob.sha256));
    const results = await fileOps.run(
      blobs.map((blob, i): TFileOp =>
        "data" in blob
          ? { kind: "store", path: targets[i]!, data: blob.data, stagingDir }
          : { kind: "move", from: blob.tempPath, to: targets[i]! },
      ),
    );
    return Promise.all(
      blobs.map(async (blob, i) => {
        const failure = results[i]!.error;
        if (!failure) return null;
        if (failure.code === "EXDEV" && "tempPath" in blob) {
          try {
            await moveIntoStore(blob.tempPath, targets[i]!);
            return null;
          } catch (error) {
            await fsp.rm(blob.tempPath, { force: true }).catch(() => undefined);
            return error as Error;
          }
        }
        if ("tempPath" in blob) await fsp.rm(blob.tempPath, { force: true }).catch(() => undefined);
        return toError(failure);
      }),
    );
  }

  return {
    zipReadAhead: LOCAL_READ_AHEAD,

    moveIn: moveInThrough(storeMany),

    storeMany,

    openRead(sha256, range) {
      return fs.createReadStream(pathFor(sha256), {
        start: range?.start,
        end: range?.end,
        highWaterMark: 1 << 20,
      });
    },

    // a file handle reads at positions as the interface asks
    openReader: (sha256) => fsp.open(pathFor(sha256), "r"),

    statBlob,

    async has(sha256) {
      return (await statBlob(sha256)) !== null;
    },

    async *listBlobs() {
      const shards = (await fsp.readdir(blobsDir)).filter((name) => SHARD.test(name)).sort();
      for (const shard of shards) {
        let page: string[] = [];
        let folder: fs.Dir;
        try {
          folder = await fsp.opendir(path.join(blobsDir, shard), { bufferSize: 256 });
        } catch (error) {
          if (errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR") continue;
          throw error;
        }
        for await (const entry of folder) {
          if (!entry.isFile() || !SHA256_HEX.test(entry.name) || !entry.name.startsWith(shard))
            continue;
          page.push(entry.name);
          if (page.length === listPageSize) {
            yield page;
            page = [];
          }
        }
        if (page.length > 0) yield page;
      }
    },

    async removeUnlessReferenced(sha256, isReferenced) {
      const target = pathFor(sha256);
      await ensureDir(stagingDir);
      const aside = path.join(stagingDir, `${sha256}.${crypto.randomUUID()}${REMOVING}`);
      try {
        await fsp.rename(target, aside);
      } catch (error) {
        if (errorCode(error) === "ENOENT") return false;
        throw error;
      }
      let isStillReferenced = true;
      try {
        isStillReferenced = await isReferenced();
      } finally {
        // a put that raced us wrote its reference first: the blob goes back (a copy it moved in
        // meanwhile holds the same bytes, so replacing it is harmless)
        if (isStillReferenced) await fsp.rename(aside, target);
      }
      if (isStillReferenced) return false;
      await fsp.rm(aside, { force: true });
      return true;
    },

    async restoreSetAside() {
      let entries: string[];
      try {
        entries = await fsp.readdir(stagingDir);
      } catch (error) {
        if (errorCode(error) === "ENOENT") return 0;
        throw error;
      }
      let restored = 0;
      for (const name of entries) {
        const file = path.join(stagingDir, name);
        if (name.endsWith(REMOVING)) {
          // the sweep that set it aside died before it decided: back in place, to be judged again
          const sha256 = name.slice(0, 64);
          const target = pathFor(sha256);
          await ensureDir(path.dirname(target));
          await fsp.rename(file, target);
          restored++;
        } else if (name.endsWith(INCOMING)) {
          const stats = await fsp.stat(file).catch(() => null);
          if (stats && Date.now() - stats.mtimeMs > STALE_INCOMING_MS)
            await fsp.rm(file, { force: true });
        }
      }
      return restored;
    },

    async check(): Promise<TStoreCheck> {
      const name = `probe-${crypto.randomUUID()}`;
      const inTemp = path.join(tempDir, name);
      const inStore = path.join(stagingDir, name);
      let step = `the temp folder ${tempDir}`;
      try {
        await fsp.writeFile(inTemp, "ok");
        step = `the blob folder ${blobsDir}`;
        await moveIntoStore(inTemp, inStore);
        const isReadBack = (await fsp.readFile(inStore, "utf8")) === "ok";
        await fsp.rm(inStore);
        const isOneVolume = (await fsp.stat(tempDir)).dev === (await fsp.stat(blobsDir)).dev;
        return {
          isWritable: isReadBack,
          freeBytes: await freeBytesOf(blobsDir),
          detail: isReadBack
            ? `a test file was written to the temp folder, moved into the blob folder ${blobsDir}, read back and removed${isOneVolume ? "" : " (the two folders are on different volumes: files are copied into the store)"}`
            : `a test file in the blob folder ${blobsDir} read back different bytes`,
        };
      } catch (error) {
        await fsp.rm(inTemp, { force: true }).catch(() => undefined);
        await fsp.rm(inStore, { force: true }).catch(() => undefined);
        return {
          isWritable: false,
          freeBytes: await freeBytesOf(blobsDir),
          detail: `${step} is not writable (${describeFileError(error)})`,
          error,
        };
      }
    },
  };
}
