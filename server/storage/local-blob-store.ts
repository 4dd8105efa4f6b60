import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { BlobStore } from "./blob-store";

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function createLocalBlobStore(root: string): BlobStore {
  const blobsDir = path.join(root, "blobs");
  const tempDir = path.join(root, "tmp");
  fs.mkdirSync(blobsDir, { recursive: true });
  fs.mkdirSync(tempDir, { recursive: true });
  const knownDirs = new Set<string>();

  function pathFor(sha256: string): string {
    if (!SHA256_HEX.test(sha256))
      throw new Error(`not a SHA-256 hex digest: ${sha256.slice(0, 80)}`);
    // one level of 256 folders: few enough to create once, enough to keep folders small
    return path.join(blobsDir, sha256.slice(0, 2), sha256);
  }

  return {
    tempDir,
    pathFor,
    async putFile(tempPath, sha256) {
      const target = pathFor(sha256);
      const dir = path.dirname(target);
      if (!knownDirs.has(dir)) {
        await fsp.mkdir(dir, { recursive: true });
        knownDirs.add(dir);
      }
      // rename is atomic on one volume: a reader sees either no blob or the whole blob
      await fsp.rename(tempPath, target);
    },
    openRead(sha256) {
      return fs.createReadStream(pathFor(sha256), { highWaterMark: 1 << 20 });
    },
    async has(sha256) {
      return fsp.access(pathFor(sha256)).then(
        () => true,
        () => false,
      );
    },
    async delete(sha256) {
      await fsp.rm(pathFor(sha256), { force: true });
    },
    async check() {
      const probe = path.join(tempDir, `probe-${crypto.randomUUID()}`);
      try {
        await fsp.writeFile(probe, "ok");
        const back = await fsp.readFile(probe, "utf8");
        await fsp.rm(probe);
        const stats = await fsp.statfs(root);
        return { isWritable: back === "ok", freeBytes: stats.bavail * stats.bsize };
      } catch (error) {
        return { isWritable: false, freeBytes: 0, error: (error as Error).message };
      }
    },
  };
}
