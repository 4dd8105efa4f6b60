import { open, rm, type FileHandle } from "node:fs/promises";
import type { DownloadSink } from "./types";

/**
 * Bodies up to this size are kept in memory and written with one call when complete: for 30-80 KB
 * images, open + several writes + close per file made libuv's thread pool, not the network, the
 * limit (bench:images). Larger bodies stream to disk.
 *
 * Files are written through the thread pool, never with synchronous calls on the event loop: on a
 * busy ext4 volume creating a file can take most of a millisecond, and one file at a time then
 * capped a job at about 1,000 files/s while stalling every request the server was answering.
 * Several creations in flight hide that wait (the server raises UV_THREADPOOL_SIZE for this).
 */
const IN_MEMORY_LIMIT = 1 << 20;

async function writeAll(handle: FileHandle, chunk: Uint8Array) {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

async function writevAll(handle: FileHandle, chunks: Uint8Array[]) {
  let pending = chunks;
  while (pending.length > 0) {
    let { bytesWritten } = await handle.writev(pending);
    const rest: Uint8Array[] = [];
    for (const chunk of pending) {
      if (bytesWritten >= chunk.byteLength) bytesWritten -= chunk.byteLength;
      else {
        rest.push(chunk.subarray(bytesWritten));
        bytesWritten = 0;
      }
    }
    pending = rest;
  }
}

// A new sink per attempt, so a retried attempt starts from an empty file.
export async function openFileSink(path: string): Promise<DownloadSink> {
  let chunks: Uint8Array[] = [];
  let bufferedBytes = 0;
  let handle: FileHandle | null = null;
  let closed = false;
  return {
    async write(chunk) {
      if (handle) return writeAll(handle, chunk);
      chunks.push(chunk);
      bufferedBytes += chunk.byteLength;
      if (bufferedBytes < IN_MEMORY_LIMIT) return;
      handle = await open(path, "w");
      const pending = chunks;
      chunks = [];
      for (const part of pending) await writeAll(handle, part);
    },
    async close() {
      if (closed) return;
      closed = true;
      const file = handle ?? (await open(path, "w"));
      try {
        // writev saves copying the chunks into one buffer first
        if (!handle) await writevAll(file, chunks);
      } finally {
        chunks = [];
        await file.close();
      }
    },
    async abort() {
      chunks = [];
      if (!closed) {
        closed = true;
        await handle?.close().catch(() => undefined);
      }
      await rm(path, { force: true });
    },
  };
}
