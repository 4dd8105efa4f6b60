// Webhook deliveries through our download engine to a receiver that checks the signature with
// its own code (test-support/webhook-receiver.ts): the summary and signed links in the body, tries
// again only on 429 and 5xx, each try signed anew, a stale timestamp refused, and the engine's
// address guard in force.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnectorHttp } from "@/server/connectors/connector-http";
import { createWebhookDelivery, signWebhookBody } from "@/server/deliveries/webhook";
import type { TDeliveryFile } from "@/server/deliveries/types";
import {
  createDownloadEngine,
  systemClock,
  type DownloadEngine,
  type DownloadLimits,
} from "@/server/downloads";
import { makeDeliveryFiles } from "@/test-support/delivery-files";
import { startWebhookReceiver, type TWebhookReceiver } from "@/test-support/webhook-receiver";

const SECRET = "whsec-0123456789abcdef0123456789";
const LIMITS: DownloadLimits = {
  maxGlobalConcurrency: 4,
  maxPerHostConcurrency: 4,
  perHostQps: 1000,
  connectTimeoutMs: 5000,
  readTimeoutMs: 5000,
  maxBytes: 1024 * 1024,
  maxAttempts: 4,
  maxRedirects: 2,
  allowPrivateHosts: ["127.0.0.1"],
};
let receiver: TWebhookReceiver;
let engine: DownloadEngine;
let guardedEngine: DownloadEngine;
let tempDir: string;
const made = makeDeliveryFiles([
  { name: "Sales.csv", content: "region,amount\r\nNorth,12.50\r\n" },
  { name: "Orders.csv", content: "id\r\n1\r\n" },
]);
const summary = {
  run: { id: "run-hook", title: "Morning reports", status: "completed" },
  reports: [],
};
const linkFor = (file: TDeliveryFile) =>
  `https://datahaul.example.com/files/${file.name}?expires=1&sig=s3cr3t`;
const context = { summary, linkFor };
// no back-off between tries: the waits are the engine's arithmetic, not what is tested here
const noWait = { random: () => 0 };

beforeAll(async () => {
  receiver = await startWebhookReceiver(SECRET);
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-webhook-"));
  engine = createDownloadEngine(LIMITS);
  guardedEngine = createDownloadEngine({ ...LIMITS, allowPrivateHosts: [] });
});

afterAll(async () => {
  await Promise.all([engine?.close(), guardedEngine?.close(), receiver?.close()]);
  made.remove();
  if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
});

const webhook = (
  options: { engine?: DownloadEngine; clock?: typeof systemClock; maxAttempts?: number } = {},
) =>
  createWebhookDelivery({
    http: createConnectorHttp(options.engine ?? engine, tempDir, { maxFileBytes: 1024 * 1024 }),
    clock: options.clock,
    maxAttempts: options.maxAttempts,
    ...noWait,
  });

describe("webhook delivery", () => {
  it("posts the summary and a signed link per file, signed so the receiver can check it", async () => {
    receiver.calls.length = 0;
    const result = await webhook().deliver(
      { url: receiver.url },
      { signingSecret: SECRET },
      made.files,
      context,
    );
    expect(receiver.calls).toHaveLength(1);
    const call = receiver.calls[0]!;
    expect(call.verdict).toBe("accepted");
    expect(call.headers["content-type"]).toBe("application/json");
    expect(call.headers["x-datahaul-event"]).toBe("delivery");
    expect(call.headers["x-datahaul-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
    const body = JSON.parse(call.body) as { event: string; summary: unknown; files: unknown[] };
    expect(body.event).toBe("delivery");
    expect(body.summary).toEqual(summary);
    expect(body.files).toEqual(
      made.files.map((file) => ({
        name: file.name,
        bytes: file.bytes,
        sha256: file.sha256,
        contentType: file.contentType,
        url: linkFor(file),
      })),
    );
    // the receiver's check, done again here from the raw request with node:crypto
    expect(call.headers["x-datahaul-signature"]).toBe(
      signWebhookBody(SECRET, String(call.headers["x-datahaul-timestamp"]), call.body),
    );
    expect(result.message).toBe(`links to 2 files posted to ${receiver.url}, which answered 200`);
    expect(result.files[0]!.location).toBe(`download link posted to ${receiver.url}`);
  });

  it("tries again after 503 and 429, signing each try anew under one delivery id", async () => {
    receiver.calls.length = 0;
    receiver.answerNext(
      { status: 503, headers: { "retry-after": "0" } },
      { status: 429, headers: { "retry-after": "0" } },
    );
    const result = await webhook().deliver(
      { url: receiver.url },
      { signingSecret: SECRET },
      made.files,
      context,
    );
    expect(receiver.calls.map((call) => call.status)).toEqual([503, 429, 200]);
    expect(new Set(receiver.calls.map((call) => call.headers["x-datahaul-delivery"])).size).toBe(1);
    for (const call of receiver.calls) {
      expect(call.headers["x-datahaul-signature"]).toBe(
        signWebhookBody(SECRET, String(call.headers["x-datahaul-timestamp"]), call.body),
      );
    }
    expect(result.message).toContain("which answered 200 after 3 attempts");
  });

  it("does not try again after a 4xx, and gives up on 5xx after the attempts allowed", async () => {
    receiver.calls.length = 0;
    receiver.answerNext({ status: 400 });
    const refused = (await webhook()
      .deliver({ url: receiver.url }, { signingSecret: SECRET }, made.files, context)
      .catch((error: unknown) => error)) as Error & { isPermanent: boolean };
    expect(refused.message).toBe(
      `the webhook at ${receiver.url} answered 400 Bad Request: busy, try later`,
    );
    expect(refused.isPermanent).toBe(true);
    expect(receiver.calls).toHaveLength(1);

    receiver.calls.length = 0;
    receiver.answerNext({ status: 502 }, { status: 500 }, { status: 503 });
    await expect(
      webhook({ maxAttempts: 3 }).deliver(
        { url: receiver.url },
        { signingSecret: SECRET },
        made.files,
        context,
      ),
    ).rejects.toThrow(
      `the webhook at ${receiver.url} answered 503 Service Unavailable (after 3 attempts): busy, try later`,
    );
    expect(receiver.calls).toHaveLength(3);
  });

  it("is refused by the receiver with a wrong secret or a stale timestamp, and a replay later is refused too", async () => {
    receiver.calls.length = 0;
    await expect(
      webhook().deliver(
        { url: receiver.url },
        { signingSecret: "another-secret-of-16+" },
        made.files,
        context,
      ),
    ).rejects.toThrow(
      `the webhook at ${receiver.url} answered 401 Unauthorized: {"error":"bad signature"}`,
    );
    expect(receiver.calls.map((call) => call.verdict)).toEqual(["bad signature"]);

    // a sender whose clock is 10 minutes slow signs a timestamp the receiver calls stale
    const slowClock = { ...systemClock, now: () => Date.now() - 10 * 60_000 };
    await expect(
      webhook({ clock: slowClock }).deliver(
        { url: receiver.url },
        { signingSecret: SECRET },
        made.files,
        context,
      ),
    ).rejects.toThrow(`answered 401 Unauthorized: {"error":"stale timestamp"}`);
    expect(receiver.calls.at(-1)!.verdict).toBe("stale timestamp");

    // a good call captured and sent again 10 minutes later: the same bytes, refused as stale
    await webhook().deliver({ url: receiver.url }, { signingSecret: SECRET }, made.files, context);
    const captured = receiver.calls.at(-1)!;
    expect(captured.verdict).toBe("accepted");
    receiver.setNow(() => Date.now() + 10 * 60_000);
    try {
      const replay = await fetch(receiver.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-datahaul-timestamp": String(captured.headers["x-datahaul-timestamp"]),
          "x-datahaul-signature": String(captured.headers["x-datahaul-signature"]),
        },
        body: captured.body,
      });
      expect(replay.status).toBe(401);
      expect(receiver.calls.at(-1)!.verdict).toBe("stale timestamp");
    } finally {
      receiver.setNow(() => Date.now());
    }
  });

  it("goes through the engine's address guard: a loopback webhook is refused unless allowed", async () => {
    receiver.calls.length = 0;
    const failure = (await webhook({ engine: guardedEngine })
      .deliver({ url: receiver.url }, { signingSecret: SECRET }, made.files, context)
      .catch((error: unknown) => error)) as Error & { isPermanent: boolean };
    expect(failure.message).toBe(
      `the webhook at ${receiver.url} was not called: it resolves to a private address (127.0.0.1); an admin can allow the host with DOWNLOAD_ALLOW_PRIVATE_HOSTS`,
    );
    expect(failure.isPermanent).toBe(true);
    expect(receiver.calls).toEqual([]);
  });

  it("sends a signed test event, and needs download links for files", async () => {
    receiver.calls.length = 0;
    expect(await webhook().test({ url: receiver.url }, { signingSecret: SECRET })).toBe(
      `${receiver.url} accepted a signed test event (it answered 200)`,
    );
    expect(receiver.calls[0]!.headers["x-datahaul-event"]).toBe("test");
    expect(receiver.calls[0]!.verdict).toBe("accepted");
    await expect(
      webhook().deliver({ url: receiver.url }, { signingSecret: SECRET }, made.files, { summary }),
    ).rejects.toThrow(
      "a webhook sends download links, and none can be made here: set APP_URL to the address people reach DataHaul at",
    );
    await expect(
      webhook().deliver({ url: "ftp://x" }, { signingSecret: "short" }, made.files, context),
    ).rejects.toThrow(
      "The webhook delivery's settings need a fix: url: Enter an address that starts with http:// or https://.",
    );
  });
});
