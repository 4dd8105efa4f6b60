import { addAbortSignal, Readable } from "node:stream";
import { crc32 } from "node:zlib";

import {
  encodeEnd,
  encodeLocalHeader,
  planEnd,
  planEntry,
  writeCentralHeader,
  writeLocalHeader,
  type EntryPlan,
} from "./zip-format";

/**
 * An entry's bytes come from a buffer or from a stream opened when the writer reaches the entry
 * (a stored blob, on a local disk or in an object store). The writer asks for the bytes from
 * `start` to `end` inclusive: one byte more than `size`, so a file longer than recorded is caught.
 */
export type ZipSource =
  | {
      kind: "stream";
      name: string;
      size: number;
      crc32: number;
      modifiedAt: Date;
      open: (range: { start: number; end: number }) => Readable;
    }
  | { kind: "buffer"; name: string; data: Uint8Array; modifiedAt: Date };

export type ZipStreamOptions = {
  signal?: AbortSignal;
};

/** Raised when a source cannot be archived as declared; the stream is destroyed with it. */
export class ZipSourceError extends Error {
  constructor(
    message: string,
    readonly entryName: string,
  ) {
    super(message);
    this.name = "ZipSourceError";
  }
}

// Small entries are packed into blocks of this size, so a batch of 60 KB images becomes one
// large write instead of dozens of small ones; bigger files are streamed in chunks of this size.
const BLOCK_BYTES = 1024 * 1024;
// Room for a couple of blocks lets the next batch be read while the consumer drains this one.
const STREAM_HIGH_WATER_MARK = 2 * BLOCK_BYTES;
// Files of one block are read in parallel to hide open/read/close latency; bounded so a block of
// tiny files cannot open hundreds of descriptors at once.
const PARALLEL_FILE_READS = 8;
const CENTRAL_BLOCK_MIN_BYTES = 4 * 1024;
const CENTRAL_BLOCK_MAX_BYTES = 1024 * 1024;

const utf8 = new TextEncoder();

export function computeZipSize(entries: Iterable<ZipSource>): number {
  const names = new Set<string>();
  let offset = 0;
  let centralDirectorySize = 0;
  let entryCount = 0;
  for (const source of entries) {
    const plan = planSource(source, offset, names);
    offset += plan.localHeaderLength + plan.size;
    centralDirectorySize += plan.centralHeaderLength;
    entryCount += 1;
  }
  const end = planEnd({ entryCount, centralDirectoryOffset: offset, centralDirectorySize });
  return offset + centralDirectorySize + end.length;
}

export function createZipStream(
  entries: Iterable<ZipSource>,
  options: ZipStreamOptions = {},
): Readable {
  const stream = Readable.from(generateZip(entries), {
    objectMode: false,
    highWaterMark: STREAM_HIGH_WATER_MARK,
  });
  if (options.signal) addAbortSignal(options.signal, stream);
  return stream;
}

type StreamSource = Extract<ZipSource, { kind: "stream" }>;

async function* generateZip(entries: Iterable<ZipSource>): AsyncGenerator<Uint8Array> {
  const names = new Set<string>();
  const centralDirectory = new BlockWriter();
  let block = new PackedBlock();
  let offset = 0;
  let entryCount = 0;
  for (const source of entries) {
    const plan = planSource(source, offset, names);
    const checksum = source.kind === "stream" ? source.crc32 : crc32(source.data);
    // The spare byte is where a file's end-of-file probe lands (see readFileInto).
    const packedLength = plan.localHeaderLength + plan.size + 1;
    if (packedLength > BLOCK_BYTES) {
      if (!block.isEmpty) {
        yield await block.complete();
        block = new PackedBlock();
      }
      if (source.kind === "stream") yield* streamLargeSource(source, plan);
      else {
        yield encodeLocalHeader(plan, checksum);
        yield source.data;
      }
    } else {
      if (!block.hasRoomFor(packedLength)) {
        yield await block.complete();
        block = new PackedBlock();
      }
      block.add(plan, checksum, source);
    }
    centralDirectory.write(plan.centralHeaderLength, (target, at) =>
      writeCentralHeader(plan, checksum, target, at),
    );
    offset += plan.localHeaderLength + plan.size;
    entryCount += 1;
  }
  if (!block.isEmpty) yield await block.complete();
  const end = planEnd({
    entryCount,
    centralDirectoryOffset: offset,
    centralDirectorySize: centralDirectory.length,
  });
  yield* centralDirectory.drain();
  yield encodeEnd(end);
}

/**
 * Several consecutive entries laid out exactly as they appear in the archive. Stream bytes are
 * copied straight into place, several sources at once. Each read asks for one byte more than
 * expected so an oversized source is caught; that byte lands on the next entry's header, which is
 * why headers are written only once every read has finished.
 */
class PackedBlock {
  private readonly buffer = Buffer.allocUnsafe(BLOCK_BYTES);
  private used = 0;
  private readonly headers: Array<{ plan: EntryPlan; checksum: number; at: number }> = [];
  private readonly reads: Array<{ source: StreamSource; at: number }> = [];

  get isEmpty(): boolean {
    return this.used === 0;
  }

  hasRoomFor(packedLength: number): boolean {
    return this.used + packedLength <= this.buffer.length;
  }

  add(plan: EntryPlan, checksum: number, source: ZipSource): void {
    this.headers.push({ plan, checksum, at: this.used });
    const dataAt = this.used + plan.localHeaderLength;
    if (source.kind === "stream") this.reads.push({ source, at: dataAt });
    else this.buffer.set(source.data, dataAt);
    this.used = dataAt + plan.size;
  }

  async complete(): Promise<Buffer> {
    await runLimited(this.reads, PARALLEL_FILE_READS, ({ source, at }) =>
      readWholeSource(source, this.buffer, at),
    );
    for (const { plan, checksum, at } of this.headers) {
      writeLocalHeader(plan, checksum, this.buffer, at);
    }
    return this.buffer.subarray(0, this.used);
  }
}

/** Copies a source into `target` at `at`; the target has room for the one probe byte after it. */
async function readWholeSource(source: StreamSource, target: Buffer, at: number): Promise<void> {
  const stream = source.open({ start: 0, end: source.size });
  let filled = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const take = Math.min(chunk.length, source.size + 1 - filled);
      chunk.copy(target, at + filled, 0, take);
      filled += take;
      if (filled > source.size) break;
    }
  } finally {
    stream.destroy();
  }
  assertExpectedLength(source, filled, 0, source.size);
}

async function* streamLargeSource(
  source: StreamSource,
  plan: EntryPlan,
): AsyncGenerator<Uint8Array> {
  const header = Buffer.allocUnsafe(plan.localHeaderLength);
  writeLocalHeader(plan, source.crc32, header, 0);
  yield header;
  const stream = source.open({ start: 0, end: plan.size });
  let position = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (position + chunk.length > plan.size) {
        assertExpectedLength(source, position + chunk.length, 0, plan.size);
      }
      position += chunk.length;
      yield chunk;
    }
  } finally {
    stream.destroy();
  }
  assertExpectedLength(source, position, 0, plan.size);
}

function assertExpectedLength(
  source: StreamSource,
  filled: number,
  position: number,
  want: number,
) {
  if (filled === want) return;
  const actual = filled < want ? `only ${position + filled}` : `more than ${source.size}`;
  throw new ZipSourceError(
    `File for ZIP entry ${JSON.stringify(source.name)} has ${actual} bytes, expected ${source.size}`,
    source.name,
  );
}

// Waits for every started task even after a failure, so no file handle outlives the stream,
// but starts no new ones: the block is lost anyway.
async function runLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  const failure = results.find((result) => result.status === "rejected");
  if (failure) throw failure.reason;
}

function planSource(source: ZipSource, offset: number, seenNames: Set<string>): EntryPlan {
  assertValidEntryName(source.name, seenNames);
  if (source.kind === "stream") {
    if (!Number.isInteger(source.crc32) || source.crc32 < 0 || source.crc32 > 0xffffffff) {
      throw new ZipSourceError(`crc32 must be an unsigned 32-bit integer`, source.name);
    }
  }
  const size = source.kind === "stream" ? source.size : source.data.byteLength;
  return planEntry({
    nameBytes: utf8.encode(source.name),
    size,
    offset,
    modifiedAt: source.modifiedAt,
  });
}

// The writer refuses anything unzip would refuse or that could escape the extraction folder,
// even though callers already sanitise, because a bad name here means a broken download.
function assertValidEntryName(name: string, seenNames: Set<string>): void {
  const segments = name.split("/");
  const invalid =
    name.length === 0 ||
    name.includes("\\") ||
    name.includes("\0") ||
    segments.some((segment) => segment === "" || segment === "." || segment === "..");
  if (invalid) throw new ZipSourceError(`Invalid ZIP entry name ${JSON.stringify(name)}`, name);
  if (seenNames.has(name)) {
    throw new ZipSourceError(`Duplicate ZIP entry name ${JSON.stringify(name)}`, name);
  }
  seenNames.add(name);
}

// Collects central directory records in a few large blocks: no per-entry objects are retained,
// and the directory is emitted in big chunks instead of one push per entry.
class BlockWriter {
  private readonly blocks: Buffer[] = [];
  private current: Buffer = Buffer.allocUnsafe(CENTRAL_BLOCK_MIN_BYTES);
  private used = 0;
  private flushedLength = 0;

  get length(): number {
    return this.flushedLength + this.used;
  }

  write(size: number, writeInto: (block: Buffer, at: number) => number): void {
    if (this.used + size > this.current.length) {
      this.blocks.push(this.current.subarray(0, this.used));
      this.flushedLength += this.used;
      const nextSize = Math.min(this.current.length * 2, CENTRAL_BLOCK_MAX_BYTES);
      this.current = Buffer.allocUnsafe(Math.max(nextSize, size));
      this.used = 0;
    }
    this.used = writeInto(this.current, this.used);
  }

  *drain(): Generator<Buffer> {
    for (const block of this.blocks) if (block.length > 0) yield block;
    if (this.used > 0) yield this.current.subarray(0, this.used);
  }
}

/**
 * Web stream for Next route handlers. Pull-based, so a slow client stalls file reads instead of
 * buffering the archive; cancelling (client disconnect) destroys the Node stream, which closes
 * the open file handle and stops iterating entries.
 */
export function toWebStream(source: NodeJS.ReadableStream): ReadableStream<Uint8Array> {
  // Callers may only hold the NodeJS.ReadableStream interface, which lacks destroy().
  const readable = source instanceof Readable ? source : new Readable().wrap(source);
  const iterator = readable[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { value, done } = await iterator.next();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          controller.error(error);
        }
      },
      async cancel() {
        // Destroy first: a pending next() would otherwise delay return() until more data arrives.
        readable.destroy();
        try {
          await iterator.return?.();
        } catch {
          // The consumer is gone, so a teardown error has nobody left to inform.
        }
      },
    },
    // The Node stream already buffers ahead; a second buffer here would only add memory.
    { highWaterMark: 0 },
  );
}
