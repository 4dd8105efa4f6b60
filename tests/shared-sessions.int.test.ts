// Worker processes share connector sessions through Redis: three workers sign in to a Metabase
// once, and a session that expired is renewed once across all of them. Sessions are stored sealed.
import crypto from "node:crypto";
import os from "node:os";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnectorHttp } from "@/server/connectors";
import { metabaseConnector } from "@/server/connectors/metabase";
import { createRedisSessionCache } from "@/server/connectors/redis-session-cache";
import { createDownloadEngine, type DownloadEngine } from "@/server/downloads";
import { createSecretBox } from "@/server/secrets/secret-box";
import {
  FAKE_METABASE_DEFAULTS,
  startFakeMetabase,
  type FakeMetabase,
} from "@/test-support/fakes/metabase";
import { TEST_REDIS_URL as REDIS_URL, uniqueRedisPrefix } from "@/test-support/redis";
import { waitFor } from "@/test-support/wait-for";

const PREFIX = uniqueRedisPrefix("sessions");
const box = createSecretBox(crypto.randomBytes(32));

let metabase: FakeMetabase;
let engine: DownloadEngine;
/** one connection per worker, as separate processes would have */
const connections: Redis[] = [];

beforeAll(async () => {
  metabase = await startFakeMetabase();
  engine = createDownloadEngine({
    maxGlobalConcurrency: 8,
    maxPerHostConcurrency: 8,
    perHostQps: 1000,
    connectTimeoutMs: 2000,
    readTimeoutMs: 5000,
    maxBytes: 1 << 20,
    maxAttempts: 1,
    maxRedirects: 0,
    allowPrivateHosts: ["127.0.0.0/8"],
  });
});

afterAll(async () => {
  const keys = connections.length > 0 ? await connections[0]!.keys(`${PREFIX}*`) : [];
  if (keys.length > 0) await connections[0]!.del(...keys);
  for (const connection of connections) connection.disconnect();
  await engine?.close();
  await metabase?.close();
});

function worker(prefix: string) {
  const redis = new Redis(REDIS_URL);
  connections.push(redis);
  return createRedisSessionCache(redis, box, { prefix });
}

describe("sessions shared through Redis", () => {
  it("sign three workers in to Metabase once, and renew an expired session once", async () => {
    const prefix = `${PREFIX}:metabase`;
    const workers = [worker(prefix), worker(prefix), worker(prefix)];
    const connection = {
      id: "mb-1",
      name: "Metabase",
      baseUrl: metabase.url,
      revision: "r1",
      settings: { authMethod: "session" as const, email: FAKE_METABASE_DEFAULTS.users[0].email },
      secrets: { password: FAKE_METABASE_DEFAULTS.users[0].password },
    };
    const testAll = () =>
      Promise.all(
        workers.map((sessions) =>
          metabaseConnector.testConnection(connection, {
            http: createConnectorHttp(engine, os.tmpdir(), { maxFileBytes: 1 << 20 }),
            sessions,
            tempDir: os.tmpdir(),
          }),
        ),
      );

    const signedIn = await testAll();
    expect(signedIn).toHaveLength(3);
    expect(new Set(signedIn).size).toBe(1);
    expect(metabase.logins()).toBe(1);

    metabase.expireSessions();
    await testAll();
    expect(metabase.logins()).toBe(2);
  });

  it("hold a sign-in others wait for, and give them its session", async () => {
    const prefix = `${PREFIX}:waiting`;
    const [first, second] = [worker(prefix), worker(prefix)];
    let logins = 0;
    let finishLogin = () => {};
    const login = () =>
      new Promise<string>((resolve) => {
        logins += 1;
        finishLogin = () => resolve(`token-${logins}`);
      });
    const one = first.session("c1", login);
    await waitFor(() => logins === 1);
    const two = second.session("c1", login);
    // the first holds the sign-in lock (redis-semaphore's key): the second waits on it
    expect(await connections.at(-1)!.exists(`mutex:${prefix}:signing-in:c1`)).toBe(1);
    finishLogin();
    expect(await Promise.all([one, two])).toEqual(["token-1", "token-1"]);
    expect(logins).toBe(1);

    // both find token-1 expired: one new sign-in between them
    const renewing = [
      first.session("c1", login, "token-1"),
      second.session("c1", login, "token-1"),
    ];
    await waitFor(() => logins === 2);
    finishLogin();
    expect(await Promise.all(renewing)).toEqual(["token-2", "token-2"]);
    expect(logins).toBe(2);
  });

  it("store sessions sealed, and keep no failed sign-in", async () => {
    const prefix = `${PREFIX}:sealed`;
    const sessions = worker(prefix);
    await expect(
      sessions.session("c2", async () => {
        throw new Error("wrong password");
      }),
    ).rejects.toThrow("wrong password");
    expect(await sessions.session("c2", async () => ({ accessToken: "tok-secret-42" }))).toEqual({
      accessToken: "tok-secret-42",
    });
    const stored = await connections.at(-1)!.get(`${prefix}:c2`);
    expect(stored).toBeTruthy();
    expect(stored).not.toContain("tok-secret-42");
    expect(box.open(stored!)).toEqual({ session: { accessToken: "tok-secret-42" } });
  });
});
