// In cluster mode (QUEUE=bullmq), the runtime's download engine and connector sessions go through
// Redis, under REDIS_PREFIX: a download holds its host's slot there, and a session is stored there sealed.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startImageHost, type ImageHost } from "@/test-support/fakes/image-host";
import { clusterEnv, TEST_REDIS_URL as REDIS_URL, uniqueRedisPrefix } from "@/test-support/redis";
import { startTestApp, waitFor } from "./support/test-app";

const PREFIX = uniqueRedisPrefix("runtime");

let app: Awaited<ReturnType<typeof startTestApp>>;
let host: ImageHost;
const redis = new Redis(REDIS_URL);

beforeAll(async () => {
  host = await startImageHost();
  app = await startTestApp(clusterEnv(PREFIX));
});

afterAll(async () => {
  await app?.stop();
  await host?.close();
  const keys = await redis.keys(`*${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe("the runtime in cluster mode", () => {
  it("takes a download's host slot in Redis while it runs", async () => {
    const slots = `semaphore:${PREFIX}:limits:host:${new URL(host.url).host}`;
    const download = app.runtime.downloads.downloadImage(
      `${host.url}/img/held.png?hold=runtime`,
      app.runtime.scratchDir,
      { keepInMemory: true },
    );
    await waitFor(async () => (await redis.zcard(slots)) === 1);
    host.release("runtime");
    expect((await download).ok).toBe(true);
    await waitFor(async () => (await redis.zcard(slots)) === 0);
  });

  it("keeps connector sessions in Redis, sealed", async () => {
    const session = await app.runtime.connectorSessions.session("mb-1:r1", async () => "sid-77");
    expect(session).toBe("sid-77");
    const stored = await redis.get(`${PREFIX}:sessions:mb-1:r1`);
    expect(stored).toBeTruthy();
    expect(stored).not.toContain("sid-77");
    expect(app.runtime.secrets.open(stored!)).toEqual({ session: "sid-77" });
  });
});
