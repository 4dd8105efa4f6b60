import { createHash, randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { Agent, type Dispatcher } from "undici";
import { updateCrc32 } from "@/server/crc32";
import {
  createAddressPolicy,
  createGuardedConnector,
  effectivePort,
  type AddressPolicy,
} from "./address-guard";
import { systemClock } from "./clock";
import { decodeBody, decodeErrorBody, parseContentCodings } from "./content-decoding";
import { IMAGE_TYPE_INFO, SNIFF_BYTES, sniffImageType, sniffNonImageType } from "./content-sniff";
import { createCancelledError, describeHttpStatus, DownloadError, formatByteLimit } from "./errors";
import { toDownloadError } from "./failure-mapping";
import { openFileSink, type TFileSink } from "./file-sink";
import { createConcurrencyLimiter } from "./limiter";
import { redactUrl } from "./redact-url";
import {
  computeRetryDelayMs,
  isRetryableStatus,
  isUnprocessedStatus,
  parseRetryAfter,
  shouldRetry,
  statusHonoursRetryAfter,
} from "./retry";
import { ResponseStream, type ResponseHead } from "./response-stream";
import { createMemoryQuotas, takeQuotas, type TQuota } from "./quota";
import { createHostBuckets } from "./token-bucket";
import type {
  DownloadEngine,
  DownloadEngineDeps,
  DownloadLimits,
  DownloadResult,
  DownloadSink,
  DownloadSuccess,
  FetchOptions,
  HeldImageDownloadResult,
  TImageDownloadOptions,
  TRequestRecord,
} from "./types";
import { countRetry, observeRequest } from "@/server/metrics/download-metrics";

const USER_AGENT = "DataHaul/1.0";
const IMAGE_ACCEPT = "image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8,*/*;q=0.5";
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/**
 * Headers that carry credentials by their HTTP meaning. Passed among the plain headers, they are
 * still kept to the first URL's origin, as a browser's fetch does with Authorization; every other
 * secret is declared as a credential by its caller (FetchOptions.credentials).
 */
const HTTP_CREDENTIAL_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);
// Error bodies are drained (not dropped) so the keep-alive connection can be reused.
const DRAIN_LIMIT_BYTES = 64 * 1024;
const ERROR_BODY_BYTES = 4 * 1024;

type Inspect = (firstBytes: Uint8Array, contentType: string | null) => DownloadError | null;

type Call = {
  url: URL;
  openSink: () => Promise<DownloadSink>;
  method: string;
  body: string | undefined;
  /** not secret: sent on every request of the call */
  headers: Record<string, string>;
  credentials: { origin: string; headers: Record<string, string>; isBodySecret: boolean } | null;
  maxBytes: number;
  signal: AbortSignal | undefined;
  inspect: Inspect | undefined;
  onRequest: ((request: TRequestRecord) => void) | undefined;
  quotas: TQuota[];
};

type AttemptSuccess = Omit<DownloadSuccess, "attempts">;

// Marks failures of the caller's sink (disk full, permissions) so they surface as
// exceptions instead of being mistaken for, and retried as, network trouble.
class SinkFailure {
  constructor(readonly cause: unknown) {}
}

async function callSink<T>(action: () => Promise<T> | T): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new SinkFailure(error);
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}

function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in headers) {
    const value = headerValue(headers[key]);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function parseContentLength(value: string | string[] | undefined): number | null {
  const text = headerValue(value);
  if (text === undefined || !/^\s*\d+\s*$/.test(text)) return null;
  return Number(text);
}

function mediaTypeOf(contentType: string | null): string | null {
  if (!contentType) return null;
  const media = contentType.split(";")[0]?.trim().toLowerCase();
  return media ? media : null;
}

function parseHttpUrl(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = base ? new URL(raw, base) : new URL(raw);
  } catch {
    throw new DownloadError("invalid_url", `not a valid web address: ${raw.slice(0, 200)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new DownloadError("invalid_url", `not a valid web address: ${raw.slice(0, 200)}`);
  }
  return url;
}

function describeNotAnImage(firstBytes: Uint8Array, contentType: string | null): DownloadError {
  const declared = mediaTypeOf(contentType);
  let message: string;
  if (firstBytes.length === 0) message = "not an image: empty response";
  else if (declared && !declared.startsWith("image/")) message = `not an image: ${declared}`;
  else {
    // the label says image, the bytes say otherwise: name what they are, and what they claimed
    const sniffed = sniffNonImageType(firstBytes);
    const claimed = declared && declared !== sniffed ? ` (sent as ${declared})` : "";
    if (sniffed?.startsWith("image/")) message = `unsupported image type: ${sniffed}`;
    else if (sniffed) message = `not an image: ${sniffed}${claimed}`;
    else message = `not an image: unknown content${claimed}`;
  }
  return new DownloadError("not_an_image", message);
}

const inspectImage: Inspect = (firstBytes, contentType) =>
  sniffImageType(firstBytes) ? null : describeNotAnImage(firstBytes, contentType);

function findOverride(limits: DownloadLimits, host: string) {
  const overrides = limits.hostLimitOverrides;
  if (!overrides) return undefined;
  const direct = overrides[host];
  if (direct) return direct;
  const hostname = host.replace(/:\d+$/, "");
  return overrides[hostname] ?? overrides[hostname.replace(/^\[(.*)\]$/, "$1")];
}

function validateLimits(limits: DownloadLimits): void {
  const positive: (keyof DownloadLimits)[] = [
    "maxGlobalConcurrency",
    "maxPerHostConcurrency",
    "connectTimeoutMs",
    "readTimeoutMs",
    "maxBytes",
    "maxAttempts",
  ];
  for (const key of positive) {
    const value = limits[key];
    if (typeof value !== "number" || !(value > 0))
      throw new Error(`download limit ${key} must be positive`);
  }
  if (!(limits.maxRedirects >= 0))
    throw new Error("download limit maxRedirects must not be negative");
  if (!(limits.perHostQps >= 0)) throw new Error("download limit perHostQps must not be negative");
}

export function createDownloadEngine(
  limits: DownloadLimits,
  deps: DownloadEngineDeps = {},
): DownloadEngine {
  validateLimits(limits);
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const policy: AddressPolicy = createAddressPolicy(limits.allowPrivateHosts);
  const ownsDispatcher = deps.dispatcher === undefined;
  const dispatcher: Dispatcher =
    deps.dispatcher ??
    new Agent({
      connect: createGuardedConnector(policy, {
        connectTimeoutMs: limits.connectTimeoutMs,
        trustedCa: deps.trustedCa,
      }),
      headersTimeout: limits.readTimeoutMs,
      bodyTimeout: limits.readTimeoutMs,
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
    });
  const rules = {
    maxGlobal: limits.maxGlobalConcurrency,
    maxPerHostFor: (host: string) =>
      findOverride(limits, host)?.maxPerHostConcurrency ?? limits.maxPerHostConcurrency,
    ratePerSecondFor: (host: string) => findOverride(limits, host)?.perHostQps ?? limits.perHostQps,
  };
  const shared = deps.sharedLimits?.(rules);
  const { limiter, buckets } = shared ?? {
    limiter: createConcurrencyLimiter(rules),
    buckets: createHostBuckets({ clock, ratePerSecondFor: rules.ratePerSecondFor }),
  };
  const quotas = shared?.quotas ?? createMemoryQuotas();
  const timeouts = {
    readTimeoutMs: limits.readTimeoutMs,
    connectTimeoutMs: limits.connectTimeoutMs,
  };
  let closed = false;

  // Per-host cache: the verdict for an IP literal never changes, and the bench
  // sends thousands of requests to one loopback address.
  const literalVerdicts = new Map<string, DownloadError | null>();
  const assertLiteralAddressAllowed = (url: URL) => {
    const key = `${url.protocol}${url.host}`;
    let verdict = literalVerdicts.get(key);
    if (verdict === undefined) {
      const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
      verdict = net.isIP(hostname)
        ? policy.check(hostname, hostname, effectivePort(url.port, url.protocol))
        : null;
      if (literalVerdicts.size >= 1024) literalVerdicts.clear();
      literalVerdicts.set(key, verdict);
    }
    if (verdict) throw verdict;
  };

  const streamBody = async (
    stream: ResponseStream,
    head: ResponseHead,
    finalUrl: URL,
    call: Call,
  ): Promise<AttemptSuccess> => {
    // A HEAD response announces the size of a body it never sends.
    const isHead = call.method === "HEAD";
    const contentLength = isHead ? null : parseContentLength(head.headers["content-length"]);
    const contentType = headerValue(head.headers["content-type"]) ?? null;
    const tooLarge = () =>
      new DownloadError("too_large", `larger than ${formatByteLimit(call.maxBytes)}`);
    let codings: ReturnType<typeof parseContentCodings>;
    try {
      codings = isHead ? [] : parseContentCodings(headerValue(head.headers["content-encoding"]));
      // coded data rarely shrinks when decoded: a coded length over the limit is over it
      if (contentLength !== null && contentLength > call.maxBytes) throw tooLarge();
    } catch (error) {
      stream.abort(error as Error);
      throw error;
    }

    const sink = await callSink(call.openSink);
    const hash = createHash("sha256");
    const first = new Uint8Array(SNIFF_BYTES);
    let firstLength = 0;
    let inspected = call.inspect === undefined;
    let crc = 0;
    let bytes = 0;
    let codedBytes = 0;
    let isCutShort = false;
    const hasEnough = () => (isCutShort ||= sink.hasEnough?.() === true);
    // Everything a decoded or plain chunk goes through; the size limit applies to decoded bytes.
    const take = (chunk: Buffer): Promise<void> | undefined => {
      bytes += chunk.length;
      if (bytes > call.maxBytes) throw tooLarge();
      if (firstLength < SNIFF_BYTES) {
        const size = Math.min(SNIFF_BYTES - firstLength, chunk.length);
        first.set(chunk.subarray(0, size), firstLength);
        firstLength += size;
      }
      // Judging the first bytes early stops e.g. a large HTML page before it is fetched in full.
      if (!inspected && firstLength === SNIFF_BYTES) {
        inspected = true;
        const rejection = call.inspect!(first, contentType);
        if (rejection) throw rejection;
      }
      hash.update(chunk);
      crc = updateCrc32(chunk, crc);
      let pending: Promise<void> | void;
      try {
        pending = sink.write(chunk);
      } catch (error) {
        throw new SinkFailure(error);
      }
      return pending ? callSink(() => pending) : undefined;
    };
    try {
      if (codings.length === 0) {
        // the hot path (every image): no stream or promise per chunk beyond the sink's own
        for (;;) {
          let chunk = stream.readReady();
          if (chunk === undefined) chunk = await stream.read();
          if (chunk === null) break;
          const pending = take(chunk);
          if (pending) await pending;
          if (hasEnough()) break;
        }
        codedBytes = bytes;
      } else {
        const onCoded = (chunk: Buffer) => void (codedBytes += chunk.length);
        for await (const chunk of decodeBody(stream, codings, onCoded)) {
          const pending = take(chunk);
          if (pending) await pending;
          if (hasEnough()) break;
        }
      }
      // the rest of the body is not wanted: the connection goes rather than being drained
      if (isCutShort) stream.abort(new Error("the reader had enough"));
      if (!isCutShort && contentLength !== null && codedBytes < contentLength) {
        throw Object.assign(new Error("response shorter than its Content-Length"), {
          code: "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
        });
      }
      if (!inspected) {
        const rejection = call.inspect!(first.subarray(0, firstLength), contentType);
        if (rejection) throw rejection;
      }
      await callSink(() => sink.close());
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error("download stopped"));
      await sink.abort().catch(() => undefined);
      if (error instanceof SinkFailure) throw error;
      throw toDownloadError(error, timeouts, {
        hostname: finalUrl.hostname,
        signal: call.signal,
        inBody: true,
        bytes: Math.max(codedBytes, stream.received),
        contentLength,
      });
    }

    return {
      ok: true,
      url: call.url.href,
      finalUrl: finalUrl.href,
      httpStatus: head.statusCode,
      contentType,
      contentEncoding: codings.length > 0 ? codings.join(", ") : null,
      headers: flattenHeaders(head.headers),
      bytes,
      sha256: hash.digest("hex"),
      crc32: crc,
      firstBytes: first.slice(0, firstLength),
      ...(isCutShort ? { isCutShort } : {}),
    };
  };

  const dispatchRequest = (
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
  ) => {
    const stream = new ResponseStream();
    dispatcher.dispatch(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        headersTimeout: limits.readTimeoutMs,
        bodyTimeout: limits.readTimeoutMs,
      },
      stream,
    );
    return stream;
  };

  /** The start of an error body as text, decoded when the server compressed it. */
  const readErrorBody = async (stream: ResponseStream, head: ResponseHead): Promise<string> => {
    const start = await stream.readStart(ERROR_BODY_BYTES, DRAIN_LIMIT_BYTES);
    let codings: ReturnType<typeof parseContentCodings> = [];
    try {
      codings = parseContentCodings(headerValue(head.headers["content-encoding"]));
    } catch {
      // an unknown coding: the text stays as it came
    }
    const text = codings.length > 0 ? decodeErrorBody(start, codings, ERROR_BODY_BYTES) : start;
    return text.subarray(0, ERROR_BODY_BYTES).toString("utf8");
  };

  const attemptOnce = async (call: Call): Promise<AttemptSuccess> => {
    let current = call.url;
    let method = call.method;
    let body = call.body;
    let redirects = 0;
    // credentials go to their origin until the chain of redirects leaves it, and never again after
    let hasLeftCredentialOrigin = false;
    for (;;) {
      assertLiteralAddressAllowed(current);
      const credentials = call.credentials;
      if (credentials && current.origin !== credentials.origin) hasLeftCredentialOrigin = true;
      const headers =
        credentials && !hasLeftCredentialOrigin
          ? { ...call.headers, ...credentials.headers }
          : call.headers;
      // before a connection slot: a wait of a minute for a dataset's quota holds none
      if (call.quotas.length > 0) await takeQuotas(quotas, call.quotas, clock, call.signal);
      const release = await limiter.acquire(current.host, call.signal);
      let stream: ResponseStream | null = null;
      const onAbort = () => stream?.abort(createCancelledError(call.signal?.reason));
      call.signal?.addEventListener("abort", onAbort);
      const requestUrl = current;
      const requestMethod = method;
      let startedAt = 0;
      const record = (httpStatus: number | null, error: string | null) =>
        call.onRequest?.({
          method: requestMethod,
          url: redactUrl(requestUrl),
          startedAt,
          durationMs: Math.max(0, clock.now() - startedAt),
          httpStatus,
          error,
        });
      try {
        const wait = buckets.take(current.host, call.signal);
        if (wait) await wait;
        startedAt = clock.now();
        stream = dispatchRequest(current, method, headers, body);
        if (call.signal?.aborted) onAbort();
        let head: ResponseHead;
        try {
          head = await stream.head;
        } catch (error) {
          const failure = toDownloadError(error, timeouts, {
            hostname: current.hostname,
            signal: call.signal,
            inBody: false,
            bytes: 0,
            contentLength: null,
          });
          record(null, failure.message);
          throw failure;
        }
        const status = head.statusCode;
        const location = REDIRECT_STATUSES.has(status)
          ? headerValue(head.headers.location)
          : undefined;
        if (location) {
          await stream.discard(DRAIN_LIMIT_BYTES);
          record(status, null);
          if (redirects >= limits.maxRedirects) {
            throw new DownloadError(
              "too_many_redirects",
              `too many redirects (more than ${limits.maxRedirects})`,
              {
                httpStatus: status,
              },
            );
          }
          redirects += 1;
          const next = parseHttpUrl(location, current);
          if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
            method = method === "HEAD" ? "HEAD" : "GET";
            body = undefined;
          }
          if (
            body !== undefined &&
            credentials?.isBodySecret &&
            next.origin !== credentials.origin
          ) {
            throw new DownloadError(
              "refused_redirect",
              `the server sent the sign-in on to another site (${next.host}); the sign-in details were not sent there`,
              { httpStatus: status },
            );
          }
          current = next;
          continue;
        }
        if (status < 200 || status > 299) {
          const responseBody = await readErrorBody(stream, head);
          record(status, null);
          const retryAfterHeader = headerValue(head.headers["retry-after"]);
          const retryAfterMs = statusHonoursRetryAfter(status)
            ? (parseRetryAfter(retryAfterHeader, clock.now()) ?? undefined)
            : undefined;
          throw new DownloadError("http", describeHttpStatus(status), {
            retryable: isRetryableStatus(status),
            httpStatus: status,
            retryAfterMs,
            responseBody,
            isUnprocessed: isUnprocessedStatus(status, retryAfterMs !== undefined),
          });
        }
        try {
          const success = await streamBody(stream, head, current, call);
          record(status, null);
          return success;
        } catch (error) {
          record(
            status,
            error instanceof DownloadError ? error.message : "the download could not be stored",
          );
          throw error;
        }
      } finally {
        call.signal?.removeEventListener("abort", onAbort);
        release();
      }
    }
  };

  const run = async (
    rawUrl: string,
    openSink: () => Promise<DownloadSink>,
    options: FetchOptions,
    inspect: Inspect | undefined,
  ): Promise<DownloadResult> => {
    const signal = options.signal;
    let url: URL;
    try {
      if (closed) throw new DownloadError("cancelled", "cancelled");
      url = parseHttpUrl(rawUrl);
    } catch (error) {
      return { ok: false, error: error as DownloadError, attempts: 0 };
    }
    const headers: Record<string, string> = { "user-agent": USER_AGENT };
    if (options.accept) headers.accept = options.accept;
    if (options.acceptEncoding) headers["accept-encoding"] = options.acceptEncoding;
    const secrets: Record<string, string> = {};
    // Lower-cased so a caller's "User-Agent" replaces ours instead of being sent twice.
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      const key = name.toLowerCase();
      if (HTTP_CREDENTIAL_HEADERS.has(key)) secrets[key] = value;
      else headers[key] = value;
    }
    for (const [name, value] of Object.entries(options.credentials?.headers ?? {}))
      secrets[name.toLowerCase()] = value;
    let credentialOrigin = url.origin;
    if (options.credentials) {
      try {
        credentialOrigin = parseHttpUrl(options.credentials.origin).origin;
      } catch (error) {
        return { ok: false, error: error as DownloadError, attempts: 0 };
      }
    }
    const hasSecrets = Object.keys(secrets).length > 0 || options.credentials?.isBodySecret;
    const method = (options.method ?? "GET").toUpperCase();
    const call: Call = {
      url,
      openSink,
      method,
      body: options.body,
      headers,
      credentials: hasSecrets
        ? {
            origin: credentialOrigin,
            headers: secrets,
            isBodySecret: options.credentials?.isBodySecret ?? false,
          }
        : null,
      maxBytes: options.maxBytes ?? limits.maxBytes,
      signal,
      inspect,
      onRequest: options.onRequest,
      quotas: options.quotas ?? [],
    };
    const retryPolicy = options.retry ?? "idempotent";

    let previousError: DownloadError | undefined;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) {
        return { ok: false, error: createCancelledError(signal.reason), attempts: attempt - 1 };
      }
      options.onAttempt?.(attempt, previousError);
      let error: DownloadError;
      const startedAt = performance.now();
      try {
        const success = await attemptOnce(call);
        observeRequest(url.host, "ok", (performance.now() - startedAt) / 1000, success.bytes);
        return { ...success, attempts: attempt };
      } catch (caught) {
        if (caught instanceof SinkFailure) throw caught.cause;
        if (!(caught instanceof DownloadError)) throw caught;
        error = signal?.aborted ? createCancelledError(signal.reason) : caught;
        observeRequest(url.host, error.kind, (performance.now() - startedAt) / 1000, 0);
      }
      if (!shouldRetry(error, attempt, limits.maxAttempts, retryPolicy, method)) {
        const finalError =
          error.retryable && attempt > 1
            ? error.withMessage(`${error.message} (after ${attempt} attempts)`)
            : error;
        return finalError.httpStatus === undefined
          ? { ok: false, error: finalError, attempts: attempt }
          : { ok: false, error: finalError, attempts: attempt, httpStatus: finalError.httpStatus };
      }
      previousError = error;
      countRetry(url.host, error.httpStatus ? String(error.httpStatus) : error.kind);
      const delayMs = computeRetryDelayMs(error, attempt, random);
      options.onRetryWait?.(attempt, error, delayMs);
      try {
        await clock.sleep(delayMs, signal);
      } catch {
        return { ok: false, error: createCancelledError(signal?.reason), attempts: attempt };
      }
    }
  };

  return {
    fetchToSink(url, openSink, options = {}) {
      return run(url, openSink, options, undefined);
    },

    downloadImage: (async (
      url: string,
      tempDir: string,
      options: TImageDownloadOptions & { keepInMemory?: boolean } = {},
    ): Promise<HeldImageDownloadResult> => {
      const tempPath = join(tempDir, `dl-${randomUUID()}.part`);
      let sink: TFileSink | null = null;
      const openSink = async () =>
        (sink = await openFileSink(tempPath, { keepInMemory: options.keepInMemory }));
      let result: DownloadResult;
      try {
        result = await run(
          url,
          openSink,
          {
            signal: options.signal,
            accept: IMAGE_ACCEPT,
            onAttempt: options.onAttempt,
            onRetryWait: options.onRetryWait,
          },
          inspectImage,
        );
      } catch (error) {
        await rm(tempPath, { force: true });
        throw error;
      }
      if (!result.ok) {
        // a body kept in memory left no file behind
        if (!options.keepInMemory) await rm(tempPath, { force: true });
        return result;
      }
      const heldBody = (sink as TFileSink | null)?.takeHeldBody() ?? null;
      const imageType = sniffImageType(result.firstBytes);
      if (!imageType) {
        // Unreachable while inspectImage guards the stream; kept so a future change cannot leak a file.
        await rm(tempPath, { force: true });
        return {
          ok: false,
          error: describeNotAnImage(result.firstBytes, result.contentType),
          attempts: result.attempts,
        };
      }
      const info = { imageType, ...IMAGE_TYPE_INFO[imageType] };
      return heldBody ? { ...result, ...info, heldBody } : { ...result, ...info, tempPath };
    }) as DownloadEngine["downloadImage"],

    async close() {
      closed = true;
      if (ownsDispatcher) await dispatcher.close();
    },
  };
}
