import { randomBytes } from "node:crypto";
import { mkdtemp, open, rm, truncate, writeFile, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@/test-support/wait-for";

import {
  computeZipSize,
  createZipStream,
  toWebStream,
  ZipSourceError,
  type ZipSource,
} from "./zip-stream";
import { parseZip } from "./zip-test-reader";

const MiB = 1024 * 1024;
const modifiedAt = new Date(2025, 4, 6, 7, 8, 10);

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "archive-unit-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function collectError(stream: Readable): Promise<unknown> {
  try {
    await collect(stream);
  } catch (error) {
    return error;
  }
  throw new Error("stream finished without an error");
}

let fileCounter = 0;
async function fileSource(name: string, data: Buffer) {
  const path = join(dir, `blob-${fileCounter++}`);
  await writeFile(path, data);
  const source: ZipSource = {
    kind: "file",
    name,
    size: data.length,
    crc32: crc32(data),
    modifiedAt,
    open: () => open(path, "r"),
  };
  return { ...source, path };
}

function bufferSource(name: string, data: Uint8Array): ZipSource {
  return { kind: "buffer", name, data, modifiedAt };
}

async function expectRoundTrip(entries: ZipSource[], contents: Map<string, Buffer>) {
  const zip = await collect(createZipStream(entries));
  expect(zip.length).toBe(computeZipSize(entries));
  const parsed = parseZip(zip);
  expect(parsed.entries.map((entry) => entry.name)).toEqual(entries.map((entry) => entry.name));
  for (const entry of parsed.entries) {
    expect(entry.flags & 0x0800).toBe(0x0800);
    expect(entry.data.equals(contents.get(entry.name) as Buffer)).toBe(true);
  }
  return parsed;
}

describe("createZipStream and computeZipSize", () => {
  it("stream buffer entries with unicode names at exactly the computed size", async () => {
    const contents = new Map<string, Buffer>([
      ["manifest.csv", Buffer.from("product,position\r\nSKU-1,1\r\n")],
      ["Ürün/fotoğraf 1.jpg", randomBytes(5000)],
      ["商品/写真.jpg", randomBytes(70_000)],
      ["emoji/👍🏽.bin", Buffer.alloc(0)],
      ["big/manifest.json", randomBytes(3 * MiB)],
    ]);
    const entries = [...contents].map(([name, data]) => bufferSource(name, data));
    const parsed = await expectRoundTrip(entries, contents);
    expect(parsed.zip64End).toBe(false);
    expect(parsed.entries[0]?.unixSeconds).toBe(Math.floor(modifiedAt.getTime() / 1000));
  });

  it("streams file entries of many sizes, including across block boundaries", async () => {
    const sizes = [0, 1, 61_440, MiB - 200, MiB - 80, MiB, MiB + 1, 2 * MiB + 17, 5, 61_440];
    const contents = new Map<string, Buffer>();
    const entries: ZipSource[] = [];
    for (const [index, size] of sizes.entries()) {
      const name = `SKU-${index % 3}/SKU-${index % 3}_${String(index + 1).padStart(3, "0")}.jpg`;
      const data = randomBytes(size);
      contents.set(name, data);
      entries.push(await fileSource(name, data));
    }
    entries.push(bufferSource("manifest.json", Buffer.from("{}\n")));
    contents.set("manifest.json", Buffer.from("{}\n"));
    await expectRoundTrip(entries, contents);
  });

  it("keeps order and content with many small files read in parallel", async () => {
    const contents = new Map<string, Buffer>();
    const entries: ZipSource[] = [];
    for (let index = 0; index < 120; index++) {
      const name = `P-${index % 7}/img-${index}.jpg`;
      const data = randomBytes(1 + ((index * 7919) % 40_000));
      contents.set(name, data);
      entries.push(await fileSource(name, data));
    }
    await expectRoundTrip(entries, contents);
  });

  it("produces a valid empty archive", async () => {
    const zip = await collect(createZipStream([]));
    expect(zip.length).toBe(computeZipSize([]));
    expect(zip.length).toBe(22);
    expect(parseZip(zip).entries).toEqual([]);
  });

  it("can be streamed more than once from the same entries", async () => {
    const entries = [
      await fileSource("a.jpg", randomBytes(1000)),
      bufferSource("b.txt", Buffer.from("b")),
    ];
    const first = await collect(createZipStream(entries));
    const second = await collect(createZipStream(entries));
    expect(second.equals(first)).toBe(true);
  });

  it("switches to ZIP64 at 65,535 entries and stays consistent with computeZipSize", async () => {
    const count = 70_000;
    const payload = Buffer.from("x");
    const entries = Array.from({ length: count }, (_, index) =>
      bufferSource(`P-${index % 500}/${index}.txt`, payload),
    );
    const zip = await collect(createZipStream(entries));
    expect(zip.length).toBe(computeZipSize(entries));
    const parsed = parseZip(zip);
    expect(parsed.zip64End).toBe(true);
    expect(parsed.entries).toHaveLength(count);
    expect(parsed.entries[count - 1]?.name).toBe(`P-${(count - 1) % 500}/${count - 1}.txt`);
    expect(zip.readUInt16LE(zip.length - 22 + 10)).toBe(0xffff);
  }, 30_000);

  it("stays classic one entry below the ZIP64 count threshold", async () => {
    const entries = Array.from({ length: 0xfffe }, (_, index) =>
      bufferSource(`${index}`, new Uint8Array()),
    );
    const zip = await collect(createZipStream(entries));
    expect(zip.length).toBe(computeZipSize(entries));
    const parsed = parseZip(zip);
    expect(parsed.zip64End).toBe(false);
    expect(parsed.entries).toHaveLength(0xfffe);
  }, 30_000);

  it.each([
    ["", "empty"],
    ["../escape.jpg", "traversal"],
    ["a/../b.jpg", "inner traversal"],
    ["/abs.jpg", "absolute"],
    ["dir/", "directory"],
    ["a//b.jpg", "empty segment"],
    ["a\\b.jpg", "backslash"],
    ["a\u0000b", "NUL"],
  ])("rejects the unsafe entry name %j (%s)", (name) => {
    expect(() => computeZipSize([bufferSource(name, new Uint8Array(1))])).toThrow(ZipSourceError);
  });

  it("rejects duplicate names, which unzip would silently overwrite", async () => {
    const entries = [
      bufferSource("a.jpg", new Uint8Array(1)),
      bufferSource("a.jpg", new Uint8Array(2)),
    ];
    expect(() => computeZipSize(entries)).toThrow(/Duplicate/);
    expect(await collectError(createZipStream(entries))).toBeInstanceOf(ZipSourceError);
  });

  it("rejects a CRC that is not an unsigned 32-bit value", async () => {
    const source = await fileSource("a.jpg", randomBytes(10));
    expect(() => computeZipSize([{ ...source, crc32: -1 }])).toThrow(ZipSourceError);
  });
});

describe("tampered or missing files", () => {
  it.each([
    ["shorter, packed", 50_000, -1],
    ["longer, packed", 50_000, +1],
    ["shorter, streamed in chunks", 3 * MiB, -1],
    ["longer, streamed in chunks", 3 * MiB, +1],
    ["non-empty instead of empty", 0, +1],
  ])("destroys the stream when a file is %s than recorded", async (_label, size, delta) => {
    const source = await fileSource("SKU-1/SKU-1_001.jpg", randomBytes(size));
    if (delta < 0) await truncate(source.path, size + delta);
    else await appendFile(source.path, Buffer.alloc(delta, 1));
    const error = await collectError(
      createZipStream([bufferSource("first.txt", Buffer.from("1")), source]),
    );
    expect(error).toBeInstanceOf(ZipSourceError);
    expect((error as ZipSourceError).entryName).toBe("SKU-1/SKU-1_001.jpg");
    expect((error as Error).message).toMatch(new RegExp(`expected ${size}`));
  });

  it("fails the stream when a file is missing", async () => {
    const source: ZipSource = {
      kind: "file",
      name: "gone.jpg",
      size: 3,
      crc32: 0,
      modifiedAt,
      open: () => open(join(dir, "does-not-exist"), "r"),
    };
    const error = await collectError(createZipStream([source]));
    expect((error as NodeJS.ErrnoException).code).toBe("ENOENT");
  });
});

// Counts how far the writer has pulled a lazy entry list, to observe backpressure and cancellation.
function countingEntries(total: number, size: number) {
  const state = { pulled: 0 };
  const data = randomBytes(size);
  function* generate(): Generator<ZipSource> {
    for (let index = 0; index < total; index++) {
      state.pulled += 1;
      yield bufferSource(`P/${index}.bin`, data);
    }
  }
  return { state, entries: generate() };
}

/** Lets time pass for checks that something does NOT happen (it can only make them stricter). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe("abort and backpressure", () => {
  it("stops with an AbortError when the signal fires", async () => {
    const { state, entries } = countingEntries(10_000, 64 * 1024);
    const controller = new AbortController();
    const stream = createZipStream(entries, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    await expect(iterator.next()).rejects.toMatchObject({ name: "AbortError" });
    const pulledAtAbort = state.pulled;
    await settle();
    expect(state.pulled).toBe(pulledAtAbort);
    expect(state.pulled).toBeLessThan(200);
  });

  it("does not read ahead of a consumer that stops reading", async () => {
    const { state, entries } = countingEntries(10_000, 64 * 1024);
    const stream = createZipStream(entries);
    const reader = toWebStream(stream).getReader();
    await reader.read();
    // the archive has filled its buffer and waits for the reader: from here nothing may be pulled
    await waitFor(() => stream.readableLength >= stream.readableHighWaterMark);
    const pulled = state.pulled;
    await settle();
    expect(state.pulled).toBe(pulled);
    // Bounded by the 2 MiB stream buffer plus one packed block, not by the archive size.
    expect(pulled).toBeLessThan(100);
    await reader.cancel();
  });
});

describe("toWebStream", () => {
  it("delivers exactly the bytes of the Node stream", async () => {
    const entries = [
      await fileSource("a.jpg", randomBytes(2 * MiB + 3)),
      bufferSource("b.txt", Buffer.from("b")),
    ];
    const reader = toWebStream(createZipStream(entries)).getReader();
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    const zip = Buffer.concat(chunks);
    expect(zip.length).toBe(computeZipSize(entries));
    expect(parseZip(zip).entries.map((entry) => entry.name)).toEqual(["a.jpg", "b.txt"]);
  });

  it("destroys the archive stream and stops pulling entries when the client cancels", async () => {
    const { state, entries } = countingEntries(10_000, 64 * 1024);
    const stream = createZipStream(entries);
    const reader = toWebStream(stream).getReader();
    await reader.read();
    await reader.cancel();
    await waitFor(() => stream.destroyed);
    const pulled = state.pulled;
    await settle();
    expect(state.pulled).toBe(pulled);
    expect(pulled).toBeLessThan(100);
  });

  it("errors the web stream when the archive fails", async () => {
    const source = await fileSource("a.jpg", randomBytes(100));
    await truncate(source.path, 10);
    const reader = toWebStream(createZipStream([source])).getReader();
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toBeInstanceOf(ZipSourceError);
  });
});

describe("read-ahead over several blocks (an object store's setting)", () => {
  const readAhead = { parallelReads: 4, blocksAhead: 3 };

  /** Stored files answered after a turn of the timer queue, as a remote read is; counts open readers. */
  function slowSources(count: number, size: (index: number) => number, failAt = -1) {
    const state = { open: 0, peakOpen: 0, opened: 0, closed: 0 };
    const contents = new Map<string, Buffer>();
    const entries: ZipSource[] = Array.from({ length: count }, (_, index) => {
      const name = `P/${index}.bin`;
      const data = randomBytes(size(index));
      contents.set(name, data);
      return {
        kind: "file",
        name,
        size: data.length,
        crc32: crc32(data),
        modifiedAt,
        async open() {
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (index === failAt) throw Object.assign(new Error("gone"), { code: "ENOENT" });
          state.opened++;
          state.peakOpen = Math.max(state.peakOpen, ++state.open);
          return {
            async read(target: Uint8Array, offset: number, length: number, position: number) {
              await new Promise((resolve) => setTimeout(resolve, 1));
              const bytes = data.subarray(position, position + length);
              target.set(bytes, offset);
              return { bytesRead: bytes.length };
            },
            async close() {
              state.open--;
              state.closed++;
            },
          };
        },
      };
    });
    return { state, contents, entries };
  }

  it("writes the same archive as one block at a time, with no more readers open than it allows", async () => {
    // 60 KB files (16 to a block) and two of more than a block between them
    const { state, contents, entries } = slowSources(120, (i) =>
      i === 40 || i === 41 ? MiB + 5_000 : 61_440,
    );
    const zip = await collect(createZipStream(entries, { readAhead }));
    expect(zip.equals(await collect(createZipStream(entries)))).toBe(true);
    expect(zip.length).toBe(computeZipSize(entries));
    for (const entry of parseZip(zip).entries)
      expect(entry.data.equals(contents.get(entry.name)!)).toBe(true);
    // several blocks filled at once, never more than their bound
    expect(state.peakOpen).toBeGreaterThan(readAhead.parallelReads);
    expect(state.peakOpen).toBeLessThanOrEqual(readAhead.parallelReads * readAhead.blocksAhead);
  });

  it("fails with a later block's error, once every reader it opened is closed", async () => {
    const { state, entries } = slowSources(200, () => 61_440, 70);
    const error = await collectError(createZipStream(entries, { readAhead }));
    expect((error as NodeJS.ErrnoException).code).toBe("ENOENT");
    expect(state.opened).toBeGreaterThan(0);
    expect(state.closed).toBe(state.opened);
  });
});
