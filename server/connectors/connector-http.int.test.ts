// Outside systems' JSON is checked against the shape a connector reads, not cast to it.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createDownloadEngine, type DownloadEngine } from "@/server/downloads";
import { installPlainIssueMessages } from "@/server/field-errors";
import { ConnectorError } from "./connector-error";
import { createConnectorHttp, type ConnectorHttp } from "./connector-http";

const ZCurrentUser = z.object({
  result: z.object({ username: z.string().nullish() }).nullish(),
});

/** Answers every path with the JSON text registered for it. */
const answers = new Map<string, string>();
let server: Server;
let baseUrl: string;
let engine: DownloadEngine;
let http: ConnectorHttp;
let tempDir: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const body = answers.get(request.url ?? "") ?? "{}";
    response.writeHead(200, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tempDir = mkdtempSync(join(tmpdir(), "datahaul-connector-http-"));
  engine = createDownloadEngine({
    maxGlobalConcurrency: 4,
    maxPerHostConcurrency: 4,
    perHostQps: 1000,
    connectTimeoutMs: 2000,
    readTimeoutMs: 2000,
    maxBytes: 1024 * 1024,
    maxAttempts: 1,
    maxRedirects: 0,
    allowPrivateHosts: ["127.0.0.0/8"],
  });
  http = createConnectorHttp(engine, tempDir, { maxFileBytes: 1024 * 1024 });
});

afterAll(async () => {
  await engine.close();
  await new Promise((resolve) => server.close(resolve));
  rmSync(tempDir, { recursive: true, force: true });
});

describe("requestJson", () => {
  it("returns the fields the schema names, with nulls and unknown fields allowed", async () => {
    answers.set("/me", JSON.stringify({ result: { username: "ada", roles: ["Admin"] }, id: 1 }));
    answers.set("/anonymous", JSON.stringify({ result: null }));
    expect((await http.requestJson(`${baseUrl}/me`, ZCurrentUser)).body).toEqual({
      result: { username: "ada" },
    });
    expect((await http.requestJson(`${baseUrl}/anonymous`, ZCurrentUser)).body).toEqual({
      result: null,
    });
  });

  it("refuses JSON of another shape in words that name the host, the path and the field", async () => {
    answers.set("/api/v1/me/", JSON.stringify({ result: { username: 42 } }));
    const error = await http.requestJson(`${baseUrl}/api/v1/me/`, ZCurrentUser).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConnectorError);
    const { message, isRetryable } = error as ConnectorError;
    expect(message).toContain(`127.0.0.1:${new URL(baseUrl).port} answered /api/v1/me/`);
    expect(message).toContain("another shape than expected (result.username:");
    expect(isRetryable).toBe(false);
  });

  it("names what the system sent in zod's own words, even where forms get plain sentences", async () => {
    // the web server installs the form wording for every parse; it is for people filling in forms
    installPlainIssueMessages();
    answers.set("/api/user/current", JSON.stringify({ result: { username: 42 } }));
    const error = await http.requestJson(`${baseUrl}/api/user/current`, ZCurrentUser).then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect((error as ConnectorError).message).toContain(
      "(result.username: Invalid input: expected string, received number)",
    );
  });
});
