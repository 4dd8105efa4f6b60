import { open, rm, type FileHandle } from "node:fs/promises";
import type { DownloadSink } from "./types";

// Opens (truncating) on each call, so a retried attempt starts from an empty file.
export async function openFileSink(path: string): Promise<DownloadSink> {
  const handle: FileHandle = await open(path, "w");
  let closed = false;
  return {
    async write(chunk) {
      let offset = 0;
      while (offset < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
        offset += bytesWritten;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
    async abort() {
      if (!closed) {
        closed = true;
        await handle.close().catch(() => undefined);
      }
      await rm(path, { force: true });
    },
  };
}
