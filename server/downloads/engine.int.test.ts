import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startImageHost, type ImageHost } from "@/test-support/fakes/image-host";
import { buildImage, buildJpeg, type FakeImageType } from "@/test-support/fakes/images";
import { waitFor } from "@/test-support/wait-for";
import { ScaledClock } from "./test-support/manual-clock";
import {
  createDownloadEngine,
  type DownloadEngine,
  type DownloadError,
  type DownloadLimits,
  type DownloadSink,
  type ImageDownloadResult,
} from "./index";

const MB = 1024 * 1024;
const LOOPBACK_ONLY = ["127.0.0.0/8", "::1"];

const baseLimits: DownloadLimits = {
  maxGlobalConcurrency: 16,
  maxPerHostConcurrency: 4,
  perHostQps: 1000,
  connectTimeoutMs: 2000,
  readTimeoutMs: 300,
  maxBytes: 2 * MB,
  maxAttempts: 3,
  maxRedirects: 5,
  allowPrivateHosts: LOOPBACK_ONLY,
};

let host: ImageHost;
let tempDir: string;
const engines: DownloadEngine[] = [];

function startEngine(overrides: Partial<DownloadLimits> = {}) {
  const clock = new ScaledClock(0.01);
  const engine = createDownloadEngine({ ...baseLimits, ...overrides }, { clock });
  engines.push(engine);
  return { engine, clock };
}

function expectFailure(result: ImageDownloadResult): DownloadError {
  if (result.ok) throw new Error(`expected a failure, got ${result.finalUrl}`);
  return result.error;
}

function expectSuccess(result: ImageDownloadResult) {
  if (!result.ok) throw new Error(`expected success, got: ${result.error.message}`);
  return result;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

beforeAll(async () => {
  host = await startImageHost();
});

beforeEach(() => {
  tempDir = mkdtempSync(join(tmpdir(), "datahaul-downloads-"));
});

afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
  rmSync(tempDir, { recursive: true, force: true });
});

afterAll(async () => {
  await host.close();
});

describe("downloadImage against a real local image host", () => {
  it.each([
    ["png", "png", "image/png", "png"],
    ["jpg", "jpeg", "image/jpeg", "jpg"],
    ["webp", "webp", "image/webp", "webp"],
    ["avif", "avif", "image/avif", "avif"],
    ["gif", "gif", "image/gif", "gif"],
  ] as const)(
    "sniffs a .%s as %s and leaves exactly its bytes in the temp file",
    async (ext, type, mime, extension) => {
      const { engine } = startEngine();
      const result = expectSuccess(
        await engine.downloadImage(`${host.url}/img/kind-${ext}.${ext}?kb=40`, tempDir),
      );
      const expected = buildImage(ext as FakeImageType, `kind-${ext}`, 40 * 1024);
      expect(result).toMatchObject({
        imageType: type,
        mimeType: mime,
        extension,
        attempts: 1,
        httpStatus: 200,
      });
      expect(result.contentType).toBe(mime);
      expect(result.bytes).toBe(expected.length);
      expect(result.sha256).toBe(sha256(expected));
      expect(result.crc32).toBe(crc32(expected));
      expect(Buffer.from(result.firstBytes).equals(expected.subarray(0, 64))).toBe(true);
      expect(readFileSync(result.tempPath).equals(expected)).toBe(true);
    },
  );

  it("fails a 404 at once, without retrying", async () => {
    const { engine } = startEngine();
    const result = await engine.downloadImage(`${host.url}/status/404`, tempDir);
    expect(expectFailure(result)).toMatchObject({
      kind: "http",
      message: "404 Not Found",
      retryable: false,
    });
    expect(result).toMatchObject({ attempts: 1, httpStatus: 404 });
    expect(host.hits("/status/404")).toBe(1);
  });

  it("retries a 500 and succeeds on the second attempt", async () => {
    const { engine, clock } = startEngine();
    const result = expectSuccess(await engine.downloadImage(`${host.url}/flaky/a`, tempDir));
    expect(result.attempts).toBe(2);
    expect(host.hits("/flaky/a")).toBe(2);
    expect(clock.sleeps).toHaveLength(1);
  });

  it("says how many attempts a persistent 500 got", async () => {
    const { engine } = startEngine();
    const result = await engine.downloadImage(`${host.url}/status/500`, tempDir);
    expect(expectFailure(result).message).toBe("500 Internal Server Error (after 3 attempts)");
    expect(result).toMatchObject({ attempts: 3, httpStatus: 500 });
  });

  it("waits at least the Retry-After of a 429 before trying again", async () => {
    const { engine, clock } = startEngine();
    const result = expectSuccess(await engine.downloadImage(`${host.url}/rate-limited/a`, tempDir));
    expect(result.attempts).toBe(2);
    expect(clock.sleeps).toHaveLength(1);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(1000);
  });

  it("times out a body that stalls, after retrying", async () => {
    const { engine } = startEngine();
    const result = await engine.downloadImage(`${host.url}/slow-body/a`, tempDir);
    expect(expectFailure(result)).toMatchObject({
      kind: "timeout",
      message: "timed out after 0.3 s waiting for data (after 3 attempts)",
    });
    expect(host.hits("/slow-body/a")).toBe(3);
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it("retries a truncated body, then reports what arrived", async () => {
    const { engine } = startEngine();
    const result = await engine.downloadImage(`${host.url}/truncated/a`, tempDir);
    expect(expectFailure(result)).toMatchObject({
      kind: "truncated",
      message: "connection closed early: got 1234 of 5000 bytes (after 3 attempts)",
    });
    expect(result.attempts).toBe(3);
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it("streams a body too large to keep in memory to disk, byte for byte", async () => {
    const { engine } = startEngine();
    const result = expectSuccess(
      await engine.downloadImage(`${host.url}/huge.jpg?mb=1.5&chunked=1`, tempDir),
    );
    const bytes = readFileSync(result.tempPath);
    expect(bytes.length).toBe(Math.round(1.5 * MB));
    expect(result.bytes).toBe(bytes.length);
    expect(result.sha256).toBe(sha256(bytes));
    expect(result.crc32).toBe(crc32(bytes));
  });

  it.each([
    ["a declared Content-Length", "/huge.jpg"],
    ["a streamed body without a length", "/huge.jpg?chunked=1"],
  ])("refuses a file over the size limit given %s and removes the temp file", async (_, path) => {
    const { engine } = startEngine();
    const result = await engine.downloadImage(`${host.url}${path}`, tempDir);
    expect(expectFailure(result)).toMatchObject({
      kind: "too_large",
      message: "larger than 2 MB",
      retryable: false,
    });
    expect(result.attempts).toBe(1);
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it("refuses an HTML page served under a .jpg name", async () => {
    const { engine } = startEngine();
    const result = await engine.downloadImage(`${host.url}/html-as.jpg`, tempDir);
    expect(expectFailure(result)).toMatchObject({
      kind: "not_an_image",
      message: "not an image: text/html",
    });
    expect(result.attempts).toBe(1);
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it("follows a chain of redirects to the image", async () => {
    const { engine } = startEngine();
    const result = expectSuccess(await engine.downloadImage(`${host.url}/redirect/3`, tempDir));
    expect(result.url).toBe(`${host.url}/redirect/3`);
    expect(result.finalUrl).toBe(`${host.url}/redirect/0`);
    expect(result.imageType).toBe("png");
    expect(
      ["/redirect/3", "/redirect/2", "/redirect/1", "/redirect/0"].map((p) => host.hits(p)),
    ).toEqual([1, 1, 1, 1]);
  });

  it("gives up on a redirect loop", async () => {
    const { engine } = startEngine();
    const result = await engine.downloadImage(`${host.url}/redirect-loop`, tempDir);
    expect(expectFailure(result)).toMatchObject({
      kind: "too_many_redirects",
      message: "too many redirects (more than 5)",
    });
    expect(result.attempts).toBe(1);
    expect(host.hits("/redirect-loop")).toBe(6);
  });

  it.each([
    ["/redirect-private", "10.0.0.1"],
    ["/redirect-private?to=metadata", "169.254.169.254"],
  ])("refuses a redirect from %s to a private address before connecting", async (path, address) => {
    const { engine } = startEngine();
    const result = await engine.downloadImage(`${host.url}${path}`, tempDir);
    // A real connection attempt would have ended as a timeout or a network error, not a refusal.
    expect(expectFailure(result)).toMatchObject({
      kind: "blocked_address",
      message: `blocked: resolves to a private address (${address})`,
    });
    expect(result.attempts).toBe(1);
  });

  it("blocks the loopback host itself when the allowlist is empty, sending nothing", async () => {
    const { engine } = startEngine({ allowPrivateHosts: [] });
    const result = await engine.downloadImage(`${host.url}/img/never-sent.png`, tempDir);
    expect(expectFailure(result)).toMatchObject({
      kind: "blocked_address",
      message: "blocked: resolves to a private address (127.0.0.1)",
    });
    expect(host.hits("/img/never-sent.png")).toBe(0);
  });

  it("checks the resolved address of a hostname, and lets an allowlisted name through", async () => {
    const port = new URL(host.url).port;
    const blocked = await startEngine({ allowPrivateHosts: [] }).engine.downloadImage(
      `http://localhost:${port}/img/by-name.png`,
      tempDir,
    );
    expect(expectFailure(blocked).kind).toBe("blocked_address");
    expect(host.hits("/img/by-name.png")).toBe(0);

    const allowed = await startEngine({ allowPrivateHosts: ["localhost"] }).engine.downloadImage(
      `http://localhost:${port}/img/by-name.png`,
      tempDir,
    );
    expect(expectSuccess(allowed).imageType).toBe("png");
    expect(host.hits("/img/by-name.png")).toBe(1);
  });

  it("gives identical bytes under two URLs the same SHA-256 and CRC-32", async () => {
    const { engine } = startEngine();
    const a = expectSuccess(await engine.downloadImage(`${host.url}/same-a.jpg`, tempDir));
    const b = expectSuccess(await engine.downloadImage(`${host.url}/same-b.jpg`, tempDir));
    expect(a.tempPath).not.toBe(b.tempPath);
    expect(a.sha256).toBe(b.sha256);
    expect(a.crc32).toBe(b.crc32);
    const bytes = readFileSync(a.tempPath);
    expect(a.crc32).toBe(crc32(bytes));
    expect(a.sha256).toBe(sha256(bytes));
    expect(bytes.equals(buildJpeg("same"))).toBe(true);
  });

  it.each([127, 128, 300, 1000])(
    "computes the CRC-32 of a %i KB image over all its chunks",
    async (kb) => {
      const { engine } = startEngine();
      const result = expectSuccess(
        await engine.downloadImage(`${host.url}/img/crc-${kb}.jpg?kb=${kb}`, tempDir),
      );
      const bytes = readFileSync(result.tempPath);
      expect(bytes.length).toBe(kb * 1024);
      expect(result.crc32).toBe(crc32(bytes));
      expect(result.sha256).toBe(sha256(bytes));
    },
  );

  it("never has more than maxPerHostConcurrency requests open at the host", async () => {
    const { engine } = startEngine({ maxPerHostConcurrency: 2 });
    host.resetPeakConcurrency();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        engine.downloadImage(`${host.url}/img/par-${i}.png?delay=40`, tempDir),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(host.peakConcurrency()).toBe(2);
  });

  it("caps all hosts together at maxGlobalConcurrency", async () => {
    const { engine } = startEngine({ maxGlobalConcurrency: 3, maxPerHostConcurrency: 10 });
    host.resetPeakConcurrency();
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        engine.downloadImage(`${host.url}/img/glob-${i}.gif?delay=40`, tempDir),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(host.peakConcurrency()).toBe(3);
  });

  it("stops at once when cancelled and leaves no temp file", async () => {
    const { engine } = startEngine({ readTimeoutMs: 10_000 });
    const controller = new AbortController();
    const pending = engine.downloadImage(`${host.url}/slow-body/cancel`, tempDir, {
      signal: controller.signal,
    });
    await waitFor(() => host.hits("/slow-body/cancel") === 1);
    controller.abort();
    const result = await pending;
    // not stopped at once, it would have ended as a read timeout (10 s) or a whole body
    expect(expectFailure(result)).toMatchObject({ kind: "cancelled", message: "cancelled" });
    expect(result.attempts).toBe(1);
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it("reports a refused connection in plain words", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const { engine } = startEngine({ maxAttempts: 2 });
    const result = await engine.downloadImage(`http://127.0.0.1:${closedPort}/x.png`, tempDir);
    expect(expectFailure(result)).toMatchObject({
      kind: "network",
      message: "could not connect: connection refused (after 2 attempts)",
    });
  });

  it("refuses a link that is not http(s) without trying", async () => {
    const { engine } = startEngine();
    const result = await engine.downloadImage("ftp://127.0.0.1/x.png", tempDir);
    expect(expectFailure(result).kind).toBe("invalid_url");
    expect(result.attempts).toBe(0);
  });
});

describe("fetchToSink", () => {
  function memorySink(log: string[]) {
    let chunks: Uint8Array[] = [];
    const open = async (): Promise<DownloadSink> => {
      log.push("open");
      chunks = [];
      return {
        write: (chunk) => {
          chunks.push(Uint8Array.from(chunk));
        },
        close: async () => {
          log.push("close");
        },
        abort: async () => {
          log.push("abort");
          chunks = [];
        },
      };
    };
    return { open, bytes: () => Buffer.concat(chunks) };
  }

  it("reopens the sink for each attempt so partial bytes never survive", async () => {
    const { engine } = startEngine();
    const log: string[] = [];
    const sink = memorySink(log);
    const attempts: [number, string | undefined][] = [];
    const result = await engine.fetchToSink(`${host.url}/truncated-once/a`, sink.open, {
      onAttempt: (attempt, error) => attempts.push([attempt, error?.kind]),
    });
    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(log).toEqual(["open", "abort", "open", "close"]);
    expect(attempts).toEqual([
      [1, undefined],
      [2, "truncated"],
    ]);
    const expected = buildImage("png", "truncated-once-a", 5000);
    expect(sink.bytes().equals(expected)).toBe(true);
    expect(result.ok && result.sha256).toBe(sha256(expected));
  });

  it("sends method, body and headers, and accepts any content type", async () => {
    const { engine } = startEngine();
    const sink = memorySink([]);
    const result = await engine.fetchToSink(`${host.url}/echo`, sink.open, {
      method: "POST",
      body: '{"report":"sales"}',
      accept: "application/json",
      headers: { "content-type": "application/json", "x-api-key": "k1" },
    });
    expect(result).toMatchObject({ ok: true, contentType: "application/json" });
    const echo = JSON.parse(sink.bytes().toString("utf8"));
    expect(echo).toMatchObject({
      method: "POST",
      body: '{"report":"sales"}',
      headers: { accept: "application/json", "x-api-key": "k1", "user-agent": "DataHaul/1.0" },
    });
  });

  it("honours a per-call size limit", async () => {
    const { engine } = startEngine();
    const result = await engine.fetchToSink(`${host.url}/img/limit.png?kb=8`, memorySink([]).open, {
      maxBytes: 4 * 1024,
    });
    expect(result).toMatchObject({
      ok: false,
      error: { kind: "too_large", message: "larger than 4 KB" },
    });
  });
});
