import zlib from "node:zlib";
import type { Transform } from "node:stream";
import { DownloadError } from "./errors";
import type { ResponseStream } from "./response-stream";

type Coding = "gzip" | "deflate" | "br";

const CODING_NAMES: Record<string, Coding> = {
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
  br: "br",
};

function createDecoder(coding: Coding): Transform {
  if (coding === "gzip") return zlib.createGunzip();
  // HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2), not raw deflate
  if (coding === "deflate") return zlib.createInflate();
  return zlib.createBrotliDecompress();
}

/**
 * The content codings of a response in the order they were applied, "identity" left out; an empty
 * list for a plain body. A coding we cannot undo is refused: storing the coded bytes as the file
 * would pass compressed data off as a CSV or an image.
 */
export function parseContentCodings(header: string | undefined): Coding[] {
  if (header === undefined) return [];
  const codings: Coding[] = [];
  for (const raw of header.split(",")) {
    const name = raw.trim().toLowerCase();
    if (name === "" || name === "identity") continue;
    const coding = CODING_NAMES[name];
    if (!coding) {
      throw new DownloadError(
        "undecodable",
        `the server compressed its answer as "${name.slice(0, 40)}", which DataHaul cannot decode`,
      );
    }
    codings.push(coding);
  }
  return codings;
}

function isDecoderError(error: unknown): error is Error & { code?: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^(Z_|ERR__ERROR|ERR_BROTLI)/.test(code);
}

function toDecodingError(error: Error & { code?: string }, codings: Coding[]): DownloadError {
  const what = codings.join(" + ");
  // the coded data stops before its own end: the body was cut off somewhere on the way
  if (error.code === "Z_BUF_ERROR") {
    return new DownloadError(
      "truncated",
      `connection closed early: the ${what} data ends unfinished`,
      {
        retryable: true,
        cause: error,
      },
    );
  }
  return new DownloadError(
    "undecodable",
    `the answer is marked as ${what}-compressed but could not be decoded (${error.message})`,
    { cause: error },
  );
}

/**
 * The decoded body, chunk by chunk. The decoders hold back while the reader does not read, so a
 * small body that inflates enormously (a decompression bomb) costs no memory beyond their buffers
 * and stops as soon as the reader stops at its size limit. `onRaw` sees every coded chunk.
 */
export async function* decodeBody(
  stream: ResponseStream,
  codings: Coding[],
  onRaw: (chunk: Buffer) => void,
): AsyncGenerator<Buffer> {
  // codings are listed in the order they were applied, so they come off in reverse
  const decoders = [...codings].reverse().map(createDecoder);
  const first = decoders[0]!;
  const last = decoders.at(-1)!;
  for (let i = 0; i + 1 < decoders.length; i++) {
    decoders[i]!.pipe(decoders[i + 1]!);
    decoders[i]!.on("error", (error) => last.destroy(error));
  }
  let isStopped = false;
  const waitForDrain = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        first.off("drain", done);
        first.off("close", done);
        resolve();
      };
      first.on("drain", done);
      first.on("close", done);
    });
  const feed = async () => {
    for (;;) {
      let chunk = stream.readReady();
      if (chunk === undefined) chunk = await stream.read();
      if (chunk === null || isStopped) break;
      onRaw(chunk);
      if (!first.write(chunk)) await waitForDrain();
    }
    if (!isStopped) first.end();
  };
  feed().catch((error: unknown) =>
    last.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  try {
    for await (const chunk of last) yield chunk as Buffer;
  } catch (error) {
    throw isDecoderError(error) ? toDecodingError(error, codings) : error;
  } finally {
    isStopped = true;
    for (const decoder of decoders) decoder.destroy();
  }
}

/** The start of a small coded error body, decoded as far as it goes; the bytes as they are otherwise. */
export function decodeErrorBody(body: Buffer, codings: Coding[], maxBytes: number): Buffer {
  let data = body;
  try {
    for (const coding of [...codings].reverse()) {
      data =
        coding === "br"
          ? zlib.brotliDecompressSync(data, {
              finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
              maxOutputLength: maxBytes,
            })
          : (coding === "gzip" ? zlib.gunzipSync : zlib.inflateSync)(data, {
              finishFlush: zlib.constants.Z_SYNC_FLUSH,
              maxOutputLength: maxBytes,
            });
    }
    return data;
  } catch {
    return body;
  }
}
