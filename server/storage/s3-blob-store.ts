import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { PassThrough, pipeline, type Readable } from "node:stream";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { ZipReadAhead } from "../archive/zip-stream";
import {
  moveInThrough,
  type BlobStore,
  type TBlobReader,
  type TIncomingBlob,
  type TStoreCheck,
} from "./blob-store";
import { describeFileError } from "./describe-storage-fault";

const SHA256_HEX = /^[0-9a-f]{64}$/;
const BLOB_KEY_TAIL = /^([0-9a-f]{2})\/([0-9a-f]{64})$/;
/** ListObjectsV2 returns at most 1,000 keys a page */
const LIST_PAGE = 1000;
/**
 * What one ranged GET of a reader asks for: a ZIP block's size, so a small blob (all of a batch's
 * images) comes in one request, and a large one in 1 MB pieces with the next one on its way.
 */
const READ_CHUNK = 1 << 20;
/** lib-storage's multipart pieces for a large scratch file: 8 MB each, 4 uploading at once */
const PART_BYTES = 8 << 20;
const PARTS_AT_ONCE = 4;
/** blobs of one storeMany batch uploaded at once */
const PARALLEL_STORES = 16;
/**
 * Each stored file of a ZIP is a GET of a few milliseconds on a near server, tens across a
 * network: 16 per block and 3 blocks filling keep up to 48 requests in flight, and at most 3 MB of
 * blocks (plus the files being read) in memory, however many files the archive holds.
 */
export const S3_READ_AHEAD: ZipReadAhead = { parallelReads: 16, blocksAhead: 3 };
const MAX_SOCKETS = 64;

const SET_ASIDE = ".removing/";
const PROBES = ".probe/";

export type TS3BlobStoreOptions = {
  bucket: string;
  region: string;
  /** an S3-compatible server; unset for AWS */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** unset: the SDK's default chain (AWS_* variables, shared profiles, instance and task roles) */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** put before every key ("datahaul/"), so one bucket can hold several installs */
  prefix?: string;
  /** this process's local folder for downloads in progress (check() writes its probe there) */
  scratchDir: string;
  listPageSize?: number;
};

/** An S3 failure as the rest of the app reads storage failures: absent objects say ENOENT. */
function toStoreError(error: unknown, what: string): Error {
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode;
    const isAbsent = error.name === "NoSuchKey" || error.name === "NotFound" || status === 404;
    return Object.assign(
      new Error(`S3 ${what}: ${error.name}${status ? ` (HTTP ${status})` : ""}`),
      isAbsent && error.name !== "NoSuchBucket" ? { code: "ENOENT" } : { code: error.name },
    );
  }
  if (error instanceof Error) {
    // a network failure keeps its code (ECONNREFUSED, ETIMEDOUT…) and says where it happened
    const code = (error as NodeJS.ErrnoException).code;
    return Object.assign(new Error(`S3 ${what}: ${error.message}`, { cause: error }), { code });
  }
  return new Error(`S3 ${what}: ${String(error)}`);
}

const isAbsentError = (error: unknown) => (error as NodeJS.ErrnoException).code === "ENOENT";

async function readBody(body: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as Readable) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** "bytes 0-99/1234" -> 1234 */
function totalSizeOf(contentRange: string | undefined, fallback: number): number {
  const total = contentRange?.match(/\/(\d+)$/)?.[1];
  return total === undefined ? fallback : Number(total);
}

/**
 * Blobs as objects in one bucket: `<prefix><first two hex digits>/<sha256>`, the local store's
 * layout, so a store can be copied from disk to bucket as it is. `<prefix>.removing/` holds blobs a
 * removal set aside; `<prefix>.probe/` the checks' test files.
 */
export function createS3BlobStore(
  options: TS3BlobStoreOptions,
): BlobStore & { readonly location: string; close(): void } {
  const { bucket, scratchDir } = options;
  const prefix = options.prefix ?? "";
  const listPageSize = Math.min(options.listPageSize ?? LIST_PAGE, LIST_PAGE);
  const location = `s3://${bucket}/${prefix}`;
  fs.mkdirSync(scratchDir, { recursive: true });
  const agent = { keepAlive: true, maxSockets: MAX_SOCKETS };
  const client = new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials: options.credentials,
    // S3-compatible servers often do not know the SDK's default checksum trailers (aws-chunked
    // bodies with a CRC32 trailer): send and check checksums only where the API requires them
    ...(options.endpoint
      ? {
          requestChecksumCalculation: "WHEN_REQUIRED" as const,
          responseChecksumValidation: "WHEN_REQUIRED" as const,
        }
      : {}),
    requestHandler: {
      httpAgent: new http.Agent(agent),
      httpsAgent: new https.Agent(agent),
    },
  });

  function keyFor(sha256: string): string {
    if (!SHA256_HEX.test(sha256))
      throw new Error(`not a SHA-256 hex digest: ${sha256.slice(0, 80)}`);
    return `${prefix}${sha256.slice(0, 2)}/${sha256}`;
  }

  async function send<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toStoreError(error, what);
    }
  }

  const copy = (from: string, to: string) =>
    send(`copy ${from} to ${to}`, () =>
      client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: to,
          // keys are hex digests and our fixed folders; the prefix is encoded in case it is not
          CopySource: `${bucket}/${encodeURI(from)}`,
        }),
      ),
    );

  const remove = (key: string) =>
    send(`delete ${key}`, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));

  async function statKey(key: string) {
    try {
      const head = await send(`stat ${key}`, () =>
        client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
      );
      return { size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isAbsentError(error)) return null;
      throw error;
    }
  }

  async function getRange(key: string, start: number, end: number, signal?: AbortSignal) {
    const answer = await send(`read ${key}`, () =>
      client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end}` }),
        { abortSignal: signal },
      ),
    );
    const data = await readBody(answer.Body);
    return { data, totalSize: totalSizeOf(answer.ContentRange, start + data.length) };
  }

  /** A scratch file into the bucket: one PUT, or a multipart upload when it is larger than a part. */
  async function uploadFile(file: string, key: string): Promise<void> {
    const body = fs.createReadStream(file);
    try {
      await send(`upload ${key}`, () =>
        new Upload({
          client,
          params: { Bucket: bucket, Key: key, Body: body },
          partSize: PART_BYTES,
          queueSize: PARTS_AT_ONCE,
          leavePartsOnError: false,
        }).done(),
      );
    } finally {
      body.destroy();
    }
  }

  async function storeOne(blob: TIncomingBlob): Promise<void> {
    const key = keyFor(blob.sha256);
    if ("data" in blob) {
      await send(`store ${key}`, () =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: blob.data,
            ContentLength: blob.data.byteLength,
          }),
        ),
      );
      return;
    }
    try {
      // equal bytes are there already (same hash): a large file is not sent again
      const [there, local] = await Promise.all([statKey(key), fsp.stat(blob.tempPath)]);
      if (there?.size !== local.size) await uploadFile(blob.tempPath, key);
    } finally {
      await fsp.rm(blob.tempPath, { force: true });
    }
  }

  async function storeMany(blobs: TIncomingBlob[]): Promise<(Error | null)[]> {
    if (blobs.some((blob) => "data" in blob && blob.data.byteLength === 0))
      throw new Error("a blob's bytes were empty (sent to the store twice?)");
    const results: (Error | null)[] = blobs.map(() => null);
    let next = 0;
    const worker = async () => {
      while (next < blobs.length) {
        const i = next++;
        try {
          await storeOne(blobs[i]!);
        } catch (error) {
          results[i] = error as Error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_STORES, blobs.length) }, worker));
    return results;
  }

  /**
   * Positional reads over ranged GETs. Opening reads the first megabyte (all of a small blob, and
   * an absent blob rejects here, as a local open does); a read past it asks for the next megabyte
   * and starts the one after, so a large blob streams without waiting a round trip per piece and
   * a reader never holds more than two pieces.
   */
  async function openReader(sha256: string): Promise<TBlobReader> {
    const key = keyFor(sha256);
    const aborts = new AbortController();
    const first = await getRange(key, 0, READ_CHUNK - 1);
    const size = first.totalSize;
    let current = { start: 0, data: first.data };
    let ahead: { start: number; done: Promise<Buffer> } | null = null;

    const fetchPiece = (start: number) => {
      const done = getRange(key, start, start + READ_CHUNK - 1, aborts.signal).then((r) => r.data);
      done.catch(() => undefined); // awaited when its bytes are wanted
      return { start, done };
    };

    async function pieceAt(position: number): Promise<{ start: number; data: Buffer }> {
      const inCurrent = position >= current.start && position < current.start + current.data.length;
      if (inCurrent) return current;
      const piece = ahead?.start === position ? ahead : fetchPiece(position);
      ahead = null;
      current = { start: piece.start, data: await piece.done };
      const nextStart = current.start + current.data.length;
      if (nextStart < size && current.data.length > 0) ahead = fetchPiece(nextStart);
      return current;
    }

    return {
      async read(buffer, offset, length, position) {
        let bytesRead = 0;
        while (bytesRead < length && position + bytesRead < size) {
          const at = position + bytesRead;
          const piece = await pieceAt(at);
          const from = at - piece.start;
          const count = Math.min(length - bytesRead, piece.data.length - from);
          if (count <= 0) break;
          piece.data.copy(buffer, offset + bytesRead, from, from + count);
          bytesRead += count;
        }
        return { bytesRead };
      },
      async close() {
        aborts.abort();
        ahead = null;
      },
    };
  }

  return {
    location,
    zipReadAhead: S3_READ_AHEAD,

    moveIn: moveInThrough(storeMany),

    storeMany,

    openRead(sha256, range) {
      const key = keyFor(sha256);
      const out = new PassThrough({ highWaterMark: READ_CHUNK });
      const aborts = new AbortController();
      out.once("close", () => aborts.abort());
      const start = range?.start ?? 0;
      const bytes = `bytes=${start}-${range?.end ?? ""}`;
      client
        .send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: bytes }), {
          abortSignal: aborts.signal,
        })
        .then(
          (answer) => pipeline(answer.Body as Readable, out, () => undefined),
          (error: unknown) => {
            // a range that starts past the end reads nothing, as a local file does
            if (error instanceof S3ServiceException && error.name === "InvalidRange") out.end();
            else out.destroy(toStoreError(error, `read ${key}`));
          },
        );
      return out;
    },

    openReader,

    statBlob: (sha256) => statKey(keyFor(sha256)),

    async has(sha256) {
      return (await statKey(keyFor(sha256))) !== null;
    },

    async *listBlobs() {
      let token: string | undefined;
      do {
        const answer = await send(`list ${location}`, () =>
          client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              MaxKeys: listPageSize,
              ContinuationToken: token,
            }),
          ),
        );
        const page: string[] = [];
        for (const object of answer.Contents ?? []) {
          const match = object.Key?.slice(prefix.length).match(BLOB_KEY_TAIL);
          if (match && match[2]!.startsWith(match[1]!)) page.push(match[2]!);
        }
        if (page.length > 0) yield page;
        token = answer.IsTruncated ? answer.NextContinuationToken : undefined;
      } while (token);
    },

    /**
     * S3 has no rename, so "out of sight" takes two steps: copy the blob to `.removing/`, then
     * delete it under its key. Only then are the references asked again; a reference written
     * meanwhile (a job storing the same bytes, whose upload may even have landed between the copy
     * and the delete) puts the set-aside copy back under the key. The key itself is deleted only
     * before that last question, never after it, so a blob a job refers to is never removed for
     * good. A process killed between the steps leaves the copy in `.removing/`, and
     * restoreSetAside() (the sweep's first step) puts it back to be judged again. CopyObject takes
     * objects of up to 5 GB, far more than an image or a report file.
     */
    async removeUnlessReferenced(sha256, isReferenced) {
      const key = keyFor(sha256);
      const aside = `${prefix}${SET_ASIDE}${sha256}.${crypto.randomUUID()}`;
      try {
        await copy(key, aside);
      } catch (error) {
        if (isAbsentError(error)) return false;
        throw error;
      }
      await remove(key);
      let isStillReferenced = true;
      try {
        isStillReferenced = await isReferenced();
      } finally {
        if (isStillReferenced) await putBack(aside, key);
      }
      if (isStillReferenced) return false;
      await remove(aside);
      return true;
    },

    async restoreSetAside() {
      let restored = 0;
      let token: string | undefined;
      do {
        const answer = await send(`list ${location}${SET_ASIDE}`, () =>
          client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: `${prefix}${SET_ASIDE}`,
              ContinuationToken: token,
            }),
          ),
        );
        for (const object of answer.Contents ?? []) {
          const sha256 = object.Key!.slice(prefix.length + SET_ASIDE.length).slice(0, 64);
          if (!SHA256_HEX.test(sha256)) continue;
          await putBack(object.Key!, keyFor(sha256));
          restored++;
        }
        token = answer.IsTruncated ? answer.NextContinuationToken : undefined;
      } while (token);
      return restored;
    },

    async check(): Promise<TStoreCheck> {
      const name = `probe-${crypto.randomUUID()}`;
      const inScratch = path.join(scratchDir, name);
      const key = `${prefix}${PROBES}${name}`;
      const freeBytes = async () => {
        // no bucket has a free-space figure; downloads still need the scratch folder's disk
        const stats = await fsp.statfs(scratchDir).catch(() => null);
        return stats ? stats.bavail * stats.bsize : 0;
      };
      let step = `the scratch folder ${scratchDir}`;
      try {
        await fsp.writeFile(inScratch, "ok");
        step = `the bucket ${location}`;
        await uploadFile(inScratch, key);
        const isReadBack = (await getRange(key, 0, 15)).data.toString("utf8") === "ok";
        await remove(key);
        return {
          isWritable: isReadBack,
          freeBytes: await freeBytes(),
          detail: isReadBack
            ? `a test file was written to the scratch folder, uploaded to ${location}, read back and removed`
            : `a test file in ${location} read back different bytes`,
        };
      } catch (error) {
        await remove(key).catch(() => undefined);
        return {
          isWritable: false,
          freeBytes: await freeBytes(),
          detail: `${step} is not writable (${describeFileError(error)})`,
          error,
        };
      } finally {
        await fsp.rm(inScratch, { force: true });
      }
    },

    close() {
      client.destroy();
    },
  };

  /**
   * A set-aside copy back under its key, then the copy removed. Another process's sweep may have
   * put it back already (its restoreSetAside met our copy): then the key holds the blob, which is
   * all that counts.
   */
  async function putBack(aside: string, key: string): Promise<void> {
    try {
      await copy(aside, key);
    } catch (error) {
      if (!isAbsentError(error) || !(await statKey(key))) throw error;
    }
    await remove(aside);
  }
}
