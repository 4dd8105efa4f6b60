/**
 * Reusable buffers for response bodies kept in memory until they are written. Holding the chunks
 * undici hands over kept each socket read's buffer alive across the file write; enough of them
 * outlived a young-generation GC to be promoted, and freed memory piled up as RSS (bench:images,
 * ~50 MB of array buffers waiting for a full GC). Copied into a pooled buffer, a chunk dies young.
 */
const SMALLEST_BYTES = 64 * 1024;

export type BufferPool = {
  /** A buffer of at least `bytes`, its contents undefined. */
  take(bytes: number): Buffer;
  /** Returns a buffer from `take` once nothing reads it any more. */
  give(buffer: Buffer): void;
  readonly freeBytes: number;
};

export function createBufferPool(maxFreeBytes: number): BufferPool {
  const freeBySize = new Map<number, Buffer[]>();
  let freeBytes = 0;
  return {
    take(bytes) {
      let size = SMALLEST_BYTES;
      while (size < bytes) size *= 2;
      const reused = freeBySize.get(size)?.pop();
      if (!reused) return Buffer.allocUnsafeSlow(size);
      freeBytes -= size;
      return reused;
    },
    give(buffer) {
      if (freeBytes + buffer.length > maxFreeBytes) return;
      const free = freeBySize.get(buffer.length) ?? [];
      free.push(buffer);
      freeBySize.set(buffer.length, free);
      freeBytes += buffer.length;
    },
    get freeBytes() {
      return freeBytes;
    },
  };
}
