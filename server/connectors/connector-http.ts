import fs from "node:fs";
import { truncate } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { z } from "zod";
import {
  DownloadError,
  type DownloadEngine,
  type FetchOptions,
  type RetryPolicy,
  type TRequestRecord,
} from "@/server/downloads";
import { openFileSink } from "@/server/downloads/file-sink";
import { describeStorageFault } from "@/server/storage/describe-storage-fault";
import { ConnectorError } from "./connector-error";
import { keepFirstRecords, type TFirstRecordsSink } from "./first-records-sink";

const JSON_LIMIT_BYTES = 32 * 1024 * 1024;
/** Report files are large text: asking for compression saves most of the transfer. */
const ACCEPT_ENCODING = "gzip, deflate, br";
/** Files of downloads in progress; a sweep at start-up removes those a crash left behind. */
export const DOWNLOAD_FILE_PREFIX = "report-";
export const DOWNLOAD_FILE_SUFFIX = ".part";

export type TJsonResponse<T = unknown> = {
  status: number;
  headers: Record<string, string>;
  body: T;
};
export type TFileResponse = {
  path: string;
  bytes: number;
  contentType: string | null;
  headers: Record<string, string>;
  firstBytes: Uint8Array;
  attempts: number;
  /** only the first records were read (a preview); the file holds whole records only */
  isCutShort: boolean;
};

type TRequest = Omit<FetchOptions, "onAttempt" | "onRequest" | "retry" | "maxBytes"> & {
  signal?: AbortSignal;
};

/** How the requests of one use (a report attempt, a connection test) are made and reported. */
export type TConnectorHttpOptions = {
  /** the largest file downloadToFile keeps */
  maxFileBytes: number;
  retry?: RetryPolicy;
  onRequest?: (request: TRequestRecord) => void;
  /**
   * A preview: downloadToFile stops reading a CSV once it has this many records (the header
   * included) or this many bytes of them, and drops the connection instead of reading on.
   */
  firstRecords?: { records: number; maxBytes: number };
};

/**
 * What connectors use to talk to their systems: the shared download engine (limits, retries,
 * address guard, credentials kept to their origin) with JSON and file helpers. Failures arrive as
 * DownloadError with the start of the error body, so a connector can tell an expired session from
 * a wrong password.
 */
export type ConnectorHttp = {
  /** the largest report file kept (MAX_REPORT_SIZE_MB), for what a connector unpacks itself */
  readonly maxFileBytes: number;
  /**
   * The answer parsed and checked against `schema`: an answer of another shape (a proxy's page, a
   * release that renamed a field) is a plain error naming the field, never a cast that breaks later.
   */
  requestJson<TSchema extends z.ZodType>(
    url: string,
    schema: TSchema,
    request?: TRequest,
  ): Promise<TJsonResponse<z.output<TSchema>>>;
  requestText(url: string, request?: TRequest): Promise<TJsonResponse<string>>;
  /** The body in a file of the temp folder; the caller removes it. Nothing is left on failure. */
  downloadToFile(url: string, request: TRequest & { maxBytes?: number }): Promise<TFileResponse>;
  /** The same helpers with another retry policy or a listener for every request. */
  withOptions(options: Partial<TConnectorHttpOptions>): ConnectorHttp;
};

export function createConnectorHttp(
  engine: DownloadEngine,
  tempDir: string,
  options: TConnectorHttpOptions,
): ConnectorHttp {
  const callOptions = { retry: options.retry, onRequest: options.onRequest };

  async function requestText(url: string, request: TRequest = {}): Promise<TJsonResponse<string>> {
    const chunks: Uint8Array[] = [];
    const result = await engine.fetchToSink(
      url,
      async () => ({
        write: (chunk) => void chunks.push(Buffer.from(chunk)),
        close: async () => undefined,
        abort: async () => void (chunks.length = 0),
      }),
      { acceptEncoding: ACCEPT_ENCODING, ...request, ...callOptions, maxBytes: JSON_LIMIT_BYTES },
    );
    if (!result.ok) throw result.error;
    return {
      status: result.httpStatus,
      headers: result.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
  }

  return {
    requestText,
    async requestJson(url, schema, request = {}) {
      const response = await requestText(url, { accept: "application/json", ...request });
      let parsed: unknown;
      try {
        parsed = JSON.parse(response.body);
      } catch {
        throw new DownloadError(
          "http",
          `expected JSON but got ${response.headers["content-type"] ?? "something else"}`,
          {
            httpStatus: response.status,
            responseBody: response.body.slice(0, 4096),
          },
        );
      }
      // zod's own words: they describe another system's answer to whoever reads the log
      const checked = schema.safeParse(parsed, { error: z.locales.en().localeError });
      if (!checked.success) throw unexpectedShapeError(url, checked.error);
      return { ...response, body: checked.data };
    },
    async downloadToFile(url, request) {
      const target = path.join(
        tempDir,
        `${DOWNLOAD_FILE_PREFIX}${randomUUID()}${DOWNLOAD_FILE_SUFFIX}`,
      );
      let isKept = false;
      let counter: TFirstRecordsSink | null = null;
      const openSink = async () => {
        const sink = await openFileSink(target);
        if (!options.firstRecords) return sink;
        return (counter = keepFirstRecords(sink, options.firstRecords));
      };
      try {
        const result = await engine
          .fetchToSink(url, openSink, {
            acceptEncoding: ACCEPT_ENCODING,
            maxBytes: options.maxFileBytes,
            ...request,
            ...callOptions,
          })
          .catch((error: unknown) => {
            // the engine throws only for its sink: the temp file could not be written
            throw new ConnectorError(describeStorageFault(error), { isOurSide: true });
          });
        if (!result.ok) throw result.error;
        const isCutShort = result.isCutShort === true && counter !== null;
        // a record cut in half at the last chunk is not part of what was read
        if (isCutShort) await truncate(target, counter!.keptBytes());
        isKept = true;
        return {
          path: target,
          isCutShort,
          bytes: isCutShort ? counter!.keptBytes() : result.bytes,
          contentType: result.contentType,
          headers: result.headers,
          firstBytes: result.firstBytes,
          attempts: result.attempts,
        };
      } finally {
        if (!isKept) fs.rmSync(target, { force: true });
      }
    },
    maxFileBytes: options.maxFileBytes,
    withOptions(more) {
      return createConnectorHttp(engine, tempDir, { ...options, ...more });
    },
  };
}

/** "example.com answered /api/x with JSON of another shape than expected (result.id: …)" */
function unexpectedShapeError(url: string, error: z.ZodError): ConnectorError {
  const { host, pathname } = new URL(url);
  const issue = error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return new ConnectorError(
    `${host} answered ${pathname} with JSON of another shape than expected (${where}${issue?.message ?? "unreadable"})`,
  );
}
