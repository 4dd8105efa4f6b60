import type { Readable } from "node:stream";

/** Files kept by content: the key of every blob is the SHA-256 of its bytes, so equal bytes are stored once. */
export interface BlobStore {
  /** Where downloads are written before they are known to be good. */
  readonly tempDir: string;
  /** Moves a finished temp file into the store under its hash; if the blob exists already the temp file is dropped. */
  putFile(tempPath: string, sha256: string): Promise<void>;
  /** A local path for the blob (the ZIP writer copies straight from it). */
  pathFor(sha256: string): string;
  openRead(sha256: string): Readable;
  has(sha256: string): Promise<boolean>;
  delete(sha256: string): Promise<void>;
  /** Writes, reads back and removes a probe file; returns free bytes on the volume. */
  check(): Promise<{ isWritable: boolean; freeBytes: number; error?: string }>;
}
