import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startImageHost, type ImageHost } from "@/test-support/fakes/image-host";
import { buildPng } from "@/test-support/fakes/images";
import { createLocalhostCertificate } from "@/test-support/self-signed-cert";
import { createDownloadEngine, type DownloadEngine, type DownloadLimits } from "./index";

const limits: DownloadLimits = {
  maxGlobalConcurrency: 4,
  maxPerHostConcurrency: 2,
  perHostQps: 1000,
  connectTimeoutMs: 2000,
  readTimeoutMs: 2000,
  maxBytes: 1024 * 1024,
  maxAttempts: 3,
  maxRedirects: 5,
  allowPrivateHosts: ["127.0.0.0/8", "::1", "localhost"],
};

let tls: { key: string; cert: string };
let secureHost: ImageHost;
let plainHost: ImageHost;
let port: string;
let tempDir: string;
const engines: DownloadEngine[] = [];

function engineWith(options: { trustedCa?: string; allowPrivateHosts?: string[] } = {}) {
  const engine = createDownloadEngine(
    { ...limits, allowPrivateHosts: options.allowPrivateHosts ?? limits.allowPrivateHosts },
    { trustedCa: options.trustedCa },
  );
  engines.push(engine);
  return engine;
}

beforeAll(async () => {
  tls = createLocalhostCertificate();
  secureHost = await startImageHost({ tls });
  plainHost = await startImageHost();
  port = new URL(secureHost.url).port;
  tempDir = mkdtempSync(join(tmpdir(), "datahaul-https-"));
});

afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()));
});

afterAll(async () => {
  await Promise.all([secureHost.close(), plainHost.close()]);
  rmSync(tempDir, { recursive: true, force: true });
});

describe("downloads over HTTPS from a real local TLS server", () => {
  it("fetches an image from a host whose certificate it trusts, with the right bytes", async () => {
    const result = await engineWith({ trustedCa: tls.cert }).downloadImage(
      `https://localhost:${port}/img/secure.png?kb=40`,
      tempDir,
    );
    if (!result.ok) throw new Error(result.error.message);
    const expected = buildPng("secure", 40 * 1024);
    expect(readFileSync(result.tempPath).equals(expected)).toBe(true);
    expect(result.sha256).toBe(createHash("sha256").update(expected).digest("hex"));
    expect(result.finalUrl).toBe(`https://localhost:${port}/img/secure.png?kb=40`);
  });

  it("refuses a certificate from an authority it does not trust, once, in plain words", async () => {
    const before = secureHost.hits("/img/untrusted.png");
    const result = await engineWith().downloadImage(
      `https://localhost:${port}/img/untrusted.png`,
      tempDir,
    );
    expect(result).toMatchObject({
      ok: false,
      attempts: 1,
      error: {
        kind: "network",
        message:
          "could not connect securely: the certificate of localhost is self-signed or from a private authority",
      },
    });
    expect(secureHost.hits("/img/untrusted.png")).toBe(before);
  });

  it("refuses a trusted certificate that names another host", async () => {
    // the certificate is for localhost only, not for the address 127.0.0.1
    const result = await engineWith({ trustedCa: tls.cert }).downloadImage(
      `https://127.0.0.1:${port}/img/wrong-name.png`,
      tempDir,
    );
    expect(result).toMatchObject({
      ok: false,
      attempts: 1,
      error: {
        message: "could not connect securely: the site's certificate is not valid for 127.0.0.1",
      },
    });
    expect(secureHost.hits("/img/wrong-name.png")).toBe(0);
  });

  it("says so when the port answers plain HTTP", async () => {
    const plainPort = new URL(plainHost.url).port;
    const result = await engineWith().downloadImage(
      `https://localhost:${plainPort}/img/plain.png`,
      tempDir,
    );
    expect(result).toMatchObject({
      ok: false,
      error: {
        message: "could not connect securely: localhost does not answer HTTPS on this port",
      },
    });
  });

  it("judges the address behind an HTTPS name before any handshake", async () => {
    const result = await engineWith({ trustedCa: tls.cert, allowPrivateHosts: [] }).downloadImage(
      `https://localhost:${port}/img/guarded.png`,
      tempDir,
    );
    expect(result).toMatchObject({
      ok: false,
      attempts: 1,
      error: { kind: "blocked_address" },
    });
    expect(result.ok ? "" : result.error.message).toMatch(
      /^blocked: resolves to a private address \((127\.0\.0\.1|::1)\)$/,
    );
    expect(secureHost.hits("/img/guarded.png")).toBe(0);
  });
});
