import { closeSync, openSync, writevSync } from "node:fs";
import { open, rm, type FileHandle } from "node:fs/promises";
import type { DownloadSink } from "./types";

/**
 * Bodies up to this size are kept in memory and written with one call when complete. Each awaited
 * write goes through libuv's small thread pool; for 30-80 KB images, open + several writes + close
 * per file made the pool, not the network, the limit (bench:images). Larger bodies stream to disk.
 */
const IN_MEMORY_LIMIT = 1 << 20;

async function writeAll(handle: FileHandle, chunk: Uint8Array) {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
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
      if (handle) await handle.close();
      // a small file in the page cache: synchronous calls are cheaper than thread-pool round trips,
      // and writev saves copying the chunks into one buffer first
      else writeChunksSync(path, chunks);
      chunks = [];
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

function writeChunksSync(path: string, chunks: Uint8Array[]) {
  const fd = openSync(path, "w");
  try {
    let pending = chunks;
    while (pending.length > 0) {
      let written = writevSync(fd, pending);
      const rest: Uint8Array[] = [];
      for (const chunk of pending) {
        if (written >= chunk.byteLength) written -= chunk.byteLength;
        else {
          rest.push(chunk.subarray(written));
          written = 0;
        }
      }
      pending = rest;
    }
  } finally {
    closeSync(fd);
  }
}
