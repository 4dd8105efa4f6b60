import { writeFile } from "node:fs";
import { open, rm, type FileHandle } from "node:fs/promises";
import { promisify } from "node:util";
import { createBufferPool } from "./buffer-pool";
import type { DownloadSink } from "./types";

/**
 * Bodies up to this size are kept in memory and written with one call when complete: for 30-80 KB
 * images, open + several writes + close per file made libuv's thread pool, not the network, the
 * limit (bench:images). Larger bodies stream to disk.
 *
 * Files are written through libuv's thread pool, never with synchronous calls on the event loop: a
 * write that waits on the disk (dirty-page throttling, a slow volume; on this bench's ext4, creating
 * a file took ~1 ms after mass deletions) would stall every request the server is answering.
 */
const IN_MEMORY_LIMIT = 1 << 20;

async function writeAll(handle: FileHandle, chunk: Uint8Array) {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

const writeWholeFile = promisify(writeFile);

/** Enough for 32 downloads of typical images at once; beyond it, buffers are left to the GC. */
const bodyBuffers = createBufferPool(8 << 20);

/** A body kept in memory instead of a file. */
export type THeldBody = { data: Buffer };

export type TFileSink = DownloadSink & {
  /** With `keepInMemory`, the whole body after close() when it fit in memory (no file written). */
  takeHeldBody(): THeldBody | null;
};

// A new sink per attempt, so a retried attempt starts from an empty file.
export async function openFileSink(
  path: string,
  options: { keepInMemory?: boolean } = {},
): Promise<TFileSink> {
  let buffer: Buffer | null = null;
  let length = 0;
  /** set once the body outgrew memory and streams to disk */
  let handle: FileHandle | null = null;
  let closed = false;
  let held: THeldBody | null = null;
  const releaseBuffer = () => {
    if (buffer) bodyBuffers.give(buffer);
    buffer = null;
    length = 0;
  };
  const spillToDisk = async (chunk: Uint8Array) => {
    handle = await open(path, "w");
    if (buffer) await writeAll(handle, buffer.subarray(0, length));
    releaseBuffer();
    await writeAll(handle, chunk);
  };
  return {
    // no promise while the body fits in memory: this runs for every chunk of every image
    write(chunk) {
      if (handle) return writeAll(handle, chunk);
      const needed = length + chunk.byteLength;
      if (needed > IN_MEMORY_LIMIT) return spillToDisk(chunk);
      if (!buffer || needed > buffer.length) {
        const bigger = bodyBuffers.take(needed);
        buffer?.copy(bigger, 0, 0, length);
        if (buffer) bodyBuffers.give(buffer);
        buffer = bigger;
      }
      buffer.set(chunk, length);
      length = needed;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (handle) return handle.close();
      if (options.keepInMemory) {
        // An exact copy, and the pooled buffer goes back at once: a held body waits a tenth of a
        // second for its write, and is then sent to the file thread, which copies what it is
        // sent (a pooled buffer would have been copied with its slack, up to twice the body).
        const data = Buffer.allocUnsafeSlow(length);
        buffer?.copy(data, 0, 0, length);
        releaseBuffer();
        held = { data };
        return;
      }
      try {
        // the callback API in one promise: open, write and close without a FileHandle each
        await writeWholeFile(path, buffer ? buffer.subarray(0, length) : Buffer.alloc(0));
      } finally {
        releaseBuffer();
      }
    },
    takeHeldBody() {
      const body = held;
      held = null;
      return body;
    },
    async abort() {
      if (!closed) {
        closed = true;
        // a write still in flight may read the buffer: it is dropped, not reused
        buffer = null;
        await handle?.close().catch(() => undefined);
      }
      await rm(path, { force: true });
    },
  };
}
