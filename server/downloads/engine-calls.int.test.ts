// What a call can state besides its URL: whose credentials go where, whether it may be repeated,
// and what every request of it did; and how coded (compressed) bodies are read.
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startImageHost, type ImageHost } from "@/test-support/fakes/image-host";
import { buildImage } from "@/test-support/fakes/images";
import { ScaledClock } from "./test-support/manual-clock";
import {
  createDownloadEngine,
  type DownloadEngine,
  type DownloadLimits,
  type DownloadSink,
  type FetchOptions,
  type TRequestRecord,
} from "./index";

const MB = 1024 * 1024;

const baseLimits: DownloadLimits = {
  maxGlobalConcurrency: 16,
  maxPerHostConcurrency: 4,
  perHostQps: 1000,
  connectTimeoutMs: 2000,
  readTimeoutMs: 300,
  maxBytes: 2 * MB,
  maxAttempts: 3,
  maxRedirects: 5,
  allowPrivateHosts: ["127.0.0.0/8"],
};

let home: ImageHost;
let elsewhere: ImageHost;
let tempDir: string;
const engines: DownloadEngine[] = [];

function startEngine(overrides: Partial<DownloadLimits> = {}) {
  const engine = createDownloadEngine(
    { ...baseLimits, ...overrides },
    { clock: new ScaledClock(0.01) },
  );
  engines.push(engine);
  return engine;
}

function memorySink() {
  let chunks: Buffer[] = [];
  const open = async (): Promise<DownloadSink> => {
    chunks = [];
    return {
      write: (chunk) => void chunks.push(Buffer.from(chunk)),
      close: async () => undefined,
      abort: async () => void (chunks = []),
    };
  };
  return { open, bytes: () => Buffer.concat(chunks) };
}

/** Fetches into memory and returns the result with the body. */
async function fetchInto(engine: DownloadEngine, url: string, options: FetchOptions = {}) {
  const sink = memorySink();
  const result = await engine.fetchToSink(url, sink.open, options);
  return { result, body: sink.bytes() };
}

async function echoedHeaders(engine: DownloadEngine, url: string, options: FetchOptions) {
  const { result, body } = await fetchInto(engine, url, options);
  if (!result.ok) throw new Error(`expected the echo, got ${result.error.message}`);
  return (JSON.parse(body.toString("utf8")) as { headers: Record<string, string> }).headers;
}

const redirectTo = (from: ImageHost, to: string, status = 302) =>
  `${from.url}/redirect-to?status=${status}&url=${encodeURIComponent(to)}`;

beforeAll(async () => {
  [home, elsewhere] = await Promise.all([startImageHost(), startImageHost()]);
});

beforeEach(() => {
  tempDir = mkdtempSync(join(tmpdir(), "datahaul-calls-"));
});

afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
  rmSync(tempDir, { recursive: true, force: true });
});

afterAll(async () => {
  await Promise.all([home.close(), elsewhere.close()]);
});

describe("credentials go only to their own origin", () => {
  const secrets = {
    "x-api-key": "k-secret",
    "x-metabase-session": "s-secret",
    "x-csrftoken": "c-secret",
    authorization: "Bearer b-secret",
    cookie: "session=z-secret",
  };
  const secretValues = Object.values(secrets);
  const leaked = (headers: Record<string, string>) =>
    secretValues.filter((value) => JSON.stringify(headers).includes(value));

  it("sends every declared credential to the origin and keeps it across a same-origin redirect", async () => {
    const headers = await echoedHeaders(startEngine(), redirectTo(home, "/echo"), {
      credentials: { origin: home.url, headers: secrets },
    });
    expect(leaked(headers)).toEqual(secretValues);
  });

  it("sends none of them after a redirect to another origin, custom headers included", async () => {
    const headers = await echoedHeaders(startEngine(), redirectTo(home, `${elsewhere.url}/echo`), {
      headers: { "x-not-secret": "plain" },
      credentials: { origin: home.url, headers: secrets },
    });
    expect(leaked(headers)).toEqual([]);
    // what is not a credential still goes along
    expect(headers["x-not-secret"]).toBe("plain");
  });

  it("sends none of them to a first URL on another origin, nor back home after leaving", async () => {
    const engine = startEngine();
    const direct = await echoedHeaders(engine, `${elsewhere.url}/echo`, {
      credentials: { origin: home.url, headers: secrets },
    });
    expect(leaked(direct)).toEqual([]);
    const roundTrip = await echoedHeaders(
      engine,
      redirectTo(home, redirectTo(elsewhere, `${home.url}/echo`)),
      { credentials: { origin: home.url, headers: secrets } },
    );
    expect(leaked(roundTrip)).toEqual([]);
  });

  it("keeps Authorization and Cookie passed as plain headers to the first URL's origin", async () => {
    const engine = startEngine();
    const plain = { authorization: "Bearer b-secret", cookie: "session=z-secret" };
    expect(
      leaked(await echoedHeaders(engine, `${home.url}/echo`, { headers: plain })),
    ).toHaveLength(2);
    const moved = await echoedHeaders(engine, redirectTo(home, `${elsewhere.url}/echo`), {
      headers: plain,
    });
    expect(leaked(moved)).toEqual([]);
  });

  it("refuses to carry a secret body (a sign-in) to another origin on a 307", async () => {
    const before = elsewhere.hits("/echo");
    const { result } = await fetchInto(
      startEngine(),
      redirectTo(home, `${elsewhere.url}/echo`, 307),
      {
        method: "POST",
        body: '{"password":"p-secret"}',
        credentials: { origin: home.url, headers: {}, isBodySecret: true },
      },
    );
    expect(result).toMatchObject({
      ok: false,
      error: { kind: "refused_redirect", retryable: false },
    });
    expect(elsewhere.hits("/echo")).toBe(before);
  });
});

describe("per call retry policy", () => {
  const hits = (path: string) => home.hits(path);

  it("never: one request, even for a GET that a retry could heal", async () => {
    const { result } = await fetchInto(startEngine(), `${home.url}/flaky/never`, {
      retry: "never",
    });
    expect(result).toMatchObject({ ok: false, attempts: 1, httpStatus: 500 });
    expect(result.ok || result.error.message).toBe("500 Internal Server Error");
    expect(hits("/flaky/never")).toBe(1);
  });

  it("idempotent (the default): a GET is retried, a POST that got a 500 is not", async () => {
    const engine = startEngine();
    const get = await fetchInto(engine, `${home.url}/flaky/get`);
    expect(get.result).toMatchObject({ ok: true, attempts: 2 });
    const post = await fetchInto(engine, `${home.url}/status/500`, { method: "POST", body: "x" });
    expect(post.result).toMatchObject({ ok: false, attempts: 1 });
    expect(hits("/status/500")).toBe(1);
  });

  it("idempotent: a POST is retried after a 429 or a 503 with Retry-After, not a plain 503", async () => {
    const engine = startEngine();
    const limited = await fetchInto(engine, `${home.url}/rate-limited/post`, {
      method: "POST",
      body: "x",
    });
    expect(limited.result).toMatchObject({ ok: true, attempts: 2 });
    const busy = await fetchInto(engine, `${home.url}/status/503?retry-after=1`, {
      method: "POST",
      body: "x",
    });
    expect(busy.result).toMatchObject({ ok: false, attempts: 3 });
    const down = await fetchInto(engine, `${home.url}/status/502`, { method: "POST", body: "x" });
    expect(down.result).toMatchObject({ ok: false, attempts: 1 });
    // a 503 without Retry-After may come from a proxy after the origin acted
    const plain503 = await fetchInto(engine, `${home.url}/status/503`, {
      method: "PATCH",
      body: "x",
    });
    expect(plain503.result).toMatchObject({ ok: false, attempts: 1 });
  });

  it("idempotent: a POST is retried when no connection could be made", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const { result } = await fetchInto(startEngine(), `http://127.0.0.1:${closedPort}/x`, {
      method: "POST",
      body: "x",
    });
    expect(result).toMatchObject({
      ok: false,
      attempts: 3,
      error: { message: "could not connect: connection refused (after 3 attempts)" },
    });
  });

  it("idempotent: a POST whose answer never came is not repeated (the server may have acted)", async () => {
    const { result } = await fetchInto(startEngine(), `${home.url}/img/slow.png?delay=1000`, {
      method: "POST",
      body: "x",
    });
    expect(result).toMatchObject({ ok: false, attempts: 1, error: { kind: "timeout" } });
  });

  it("idempotent: a POST whose body broke off is not repeated", async () => {
    const { result } = await fetchInto(startEngine(), `${home.url}/truncated/post`, {
      method: "POST",
      body: "x",
    });
    expect(result).toMatchObject({ ok: false, attempts: 1, error: { kind: "truncated" } });
  });

  it("always: a POST is repeated like a GET", async () => {
    const { result } = await fetchInto(startEngine(), `${home.url}/flaky/always`, {
      method: "POST",
      body: "x",
      retry: "always",
    });
    expect(result).toMatchObject({ ok: true, attempts: 2 });
  });
});

describe("request records", () => {
  it("lists every request of a call: each redirect hop and each retry, with status and time", async () => {
    const records: TRequestRecord[] = [];
    const { result } = await fetchInto(
      startEngine(),
      redirectTo(home, `/flaky/records?token=t-secret&format=csv`),
      { onRequest: (record) => records.push(record) },
    );
    expect(result.ok).toBe(true);
    expect(records.map((r) => [r.method, r.httpStatus, r.error])).toEqual([
      ["GET", 302, null],
      ["GET", 500, null],
      ["GET", 302, null],
      ["GET", 200, null],
    ]);
    expect(records[1]!.url).toBe(`${home.url}/flaky/records?token=***&format=csv`);
    expect(JSON.stringify(records)).not.toContain("t-secret");
    for (const record of records) {
      expect(record.durationMs).toBeGreaterThanOrEqual(0);
      expect(record.startedAt).toBeGreaterThan(0);
    }
  });

  it("records a request that got no answer with the reason", async () => {
    const records: TRequestRecord[] = [];
    await fetchInto(startEngine(), `${home.url}/truncated/rec`, {
      retry: "never",
      onRequest: (record) => records.push(record),
    });
    expect(records).toEqual([
      expect.objectContaining({
        httpStatus: 200,
        error: "connection closed early: got 1234 of 5000 bytes",
      }),
    ]);
  });
});

describe("coded bodies", () => {
  it.each(["gzip", "deflate", "br"])(
    "decodes an image sent with Content-Encoding: %s and hashes the decoded bytes",
    async (coding) => {
      const engine = startEngine();
      const result = await engine.downloadImage(
        `${home.url}/coded/coded-${coding}.jpg?kb=200&coding=${coding}`,
        tempDir,
      );
      if (!result.ok) throw new Error(result.error.message);
      const expected = buildImage("jpg", `coded-${coding}`, 200 * 1024);
      const stored = readFileSync(result.tempPath);
      expect(stored.equals(expected)).toBe(true);
      expect(result).toMatchObject({
        imageType: "jpeg",
        bytes: expected.length,
        contentEncoding: coding,
        sha256: createHash("sha256").update(expected).digest("hex"),
        crc32: crc32(expected),
      });
    },
  );

  it("stops a decompression bomb at the size limit and keeps nothing", async () => {
    const engine = startEngine({ readTimeoutMs: 5000 });
    const result = await engine.downloadImage(`${home.url}/gzip-bomb.jpg?mb=200`, tempDir);
    expect(result).toMatchObject({
      ok: false,
      attempts: 1,
      error: { kind: "too_large", message: "larger than 2 MB" },
    });
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it("calls coded data that ends half way a cut-off download, and retries it", async () => {
    const result = await startEngine().downloadImage(`${home.url}/gzip-cut.png`, tempDir);
    expect(result).toMatchObject({
      ok: false,
      attempts: 3,
      error: { kind: "truncated" },
    });
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it("refuses a coding it cannot decode, in words, without retrying", async () => {
    const result = await startEngine().downloadImage(
      `${home.url}/coded/zstd.png?coding=zstd`,
      tempDir,
    );
    expect(result).toMatchObject({
      ok: false,
      attempts: 1,
      error: {
        kind: "undecodable",
        message: 'the server compressed its answer as "zstd", which DataHaul cannot decode',
      },
    });
  });

  it("says what bytes are when they are not an image, whatever the label", async () => {
    const result = await startEngine().downloadImage(`${home.url}/gzip-unlabelled.jpg`, tempDir);
    expect(result).toMatchObject({
      ok: false,
      error: {
        kind: "not_an_image",
        message: "not an image: application/gzip (sent as image/jpeg)",
      },
    });
  });

  it("advertises the codings it was asked to, and reads a plain body when the server ignores them", async () => {
    const headers = await echoedHeaders(startEngine(), `${home.url}/echo`, {
      acceptEncoding: "gzip, deflate, br",
    });
    expect(headers["accept-encoding"]).toBe("gzip, deflate, br");
  });
});

describe("private hosts allowed by port", () => {
  it("lets 127.0.0.1:<port> through to that port only", async () => {
    const homePort = new URL(home.url).port;
    const engine = startEngine({ allowPrivateHosts: [`127.0.0.1:${homePort}`] });
    const allowed = await engine.downloadImage(`${home.url}/img/by-port.png`, tempDir);
    expect(allowed.ok).toBe(true);
    const other = await engine.downloadImage(`${elsewhere.url}/img/by-port.png`, tempDir);
    expect(other).toMatchObject({ ok: false, error: { kind: "blocked_address" } });
    expect(elsewhere.hits("/img/by-port.png")).toBe(0);
  });

  it("applies a localhost:<port> entry to the name after it resolves", async () => {
    const homePort = new URL(home.url).port;
    const otherPort = new URL(elsewhere.url).port;
    const engine = startEngine({ allowPrivateHosts: [`localhost:${homePort}`] });
    const allowed = await engine.downloadImage(
      `http://localhost:${homePort}/img/by-name-port.png`,
      tempDir,
    );
    expect(allowed.ok).toBe(true);
    const other = await engine.downloadImage(
      `http://localhost:${otherPort}/img/by-name-port.png`,
      tempDir,
    );
    expect(other).toMatchObject({ ok: false, error: { kind: "blocked_address" } });
    expect(elsewhere.hits("/img/by-name-port.png")).toBe(0);
  });
});
