import { describe, expect, it } from "vitest";
import { createBufferPool } from "./buffer-pool";

describe("buffer pool", () => {
  it("hands out power-of-two sizes from 64 KB that hold what was asked", () => {
    const pool = createBufferPool(1 << 20);
    expect(pool.take(1).length).toBe(64 * 1024);
    expect(pool.take(64 * 1024).length).toBe(64 * 1024);
    expect(pool.take(64 * 1024 + 1).length).toBe(128 * 1024);
    expect(pool.take(700_000).length).toBe(1024 * 1024);
  });

  it("reuses a returned buffer of the same size instead of allocating", () => {
    const pool = createBufferPool(1 << 20);
    const first = pool.take(100_000);
    pool.give(first);
    expect(pool.freeBytes).toBe(128 * 1024);
    expect(pool.take(90_000)).toBe(first);
    expect(pool.freeBytes).toBe(0);
    expect(pool.take(90_000)).not.toBe(first);
  });

  it("keeps no more free bytes than its bound", () => {
    const pool = createBufferPool(200 * 1024);
    const buffers = [pool.take(1), pool.take(1), pool.take(1), pool.take(1)];
    for (const buffer of buffers) pool.give(buffer);
    expect(pool.freeBytes).toBe(192 * 1024);
    pool.give(pool.take(100_000 + 64 * 1024));
    expect(pool.freeBytes).toBe(192 * 1024);
  });
});
