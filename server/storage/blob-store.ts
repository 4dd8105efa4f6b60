import type { Readable } from "node:stream";
import type { ZipFileReader, ZipReadAhead } from "@/server/archive";

/** Positional reads of one stored file (see ZipFileReader: the ZIP writer reads blobs this way). */
export type TBlobReader = ZipFileReader;

export type TStoreCheck = {
  isWritable: boolean;
  freeBytes: number;
  /** what was tried, or what failed, in plain words */
  detail: string;
  /** the failure itself, with its system error code */
  error?: unknown;
};

/**
 * Files kept by content: the key of every blob is the SHA-256 of its bytes, so equal bytes are
 * stored once. Blobs are read through streams and positional readers and never handed out as a
 * local path, so the same callers serve a local disk (local-blob-store.ts) and an object store
 * (s3-blob-store.ts). What is not stored yet lives in the process's own scratch folder
 * (`TRuntime.scratchDir`): a finished download there is handed in by its path and taken over.
 *
 * A blob is kept while a reference row names it (services/storage/blob-references.ts): the row is
 * written before the file is moved in, and only the sweep removes files, re-checking the
 * references once a file is out of sight. Nothing else deletes blobs.
 */
/** A blob on its way in: bytes held in memory, or a finished file in the scratch folder to move in. */
export type TIncomingBlob = { sha256: string } & ({ data: Uint8Array } | { tempPath: string });

/** `moveIn` for any store: one finished scratch file through its `storeMany`. */
export function moveInThrough(
  storeMany: BlobStore["storeMany"],
): (tempPath: string, sha256: string) => Promise<void> {
  return async (tempPath, sha256) => {
    const [error] = await storeMany([{ sha256, tempPath }]);
    if (error) throw error;
  };
}

export interface BlobStore {
  /** How far ahead a ZIP built from these blobs reads them (see ZipReadAhead). */
  readonly zipReadAhead: ZipReadAhead;
  /**
   * Moves a finished scratch file in under its hash (equal bytes already there are replaced). Only
   * `storeBlob` calls this, after writing the reference: a blob moved in without one can be swept.
   */
  moveIn(tempPath: string, sha256: string): Promise<void>;
  /**
   * Stores several blobs at once, after their references are written (as `moveIn`); a blob whose
   * bytes are there already is left as it is. Returns each one's error, or null once it is stored;
   * temp files are gone either way.
   */
  storeMany(blobs: TIncomingBlob[]): Promise<(Error | null)[]>;
  /** The blob's bytes, or the bytes from `start` to `end` inclusive; errors with ENOENT when absent. */
  openRead(sha256: string, range?: { start?: number; end?: number }): Readable;
  /**
   * Positional reads of a blob (rejects with ENOENT when absent): the ZIP writer copies thousands
   * of small blobs straight into place with them, far cheaper than a stream per file.
   */
  openReader(sha256: string): Promise<TBlobReader>;
  /** Size and last change of a stored blob, or null when it is absent. */
  statBlob(sha256: string): Promise<{ size: number; modifiedAt: Date } | null>;
  has(sha256: string): Promise<boolean>;
  /** The hash of every blob, a few hundred at a time, so a sweep never holds the whole store. */
  listBlobs(): AsyncIterable<string[]>;
  /**
   * Takes a blob out of sight, then asks `isReferenced` again: a reference written meanwhile (a
   * put racing the sweep) puts it back. Returns whether the blob was removed.
   */
  removeUnlessReferenced(sha256: string, isReferenced: () => Promise<boolean>): Promise<boolean>;
  /** Puts back blobs a removal left out of sight when its process died; returns how many. */
  restoreSetAside(): Promise<number>;
  /** Writes a probe through the real paths (scratch folder, then into the store), reads it back, removes it. */
  check(): Promise<TStoreCheck>;
}
