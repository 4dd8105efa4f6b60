import { randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";

/** The Redis the integration tests use: these machines and CI run one on 127.0.0.1:6379. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix no other test file (or run) uses, so files never see each other's messages. */
export function uniqueRedisPrefix(label: string): string {
  return `datahaul-test-${label}-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under `prefix` (a test file's cleanup); returns how many there were. */
export async function deleteRedisKeys(prefix: string): Promise<number> {
  const redis = new Redis(TEST_REDIS_URL);
  let deleted = 0;
  try {
    let cursor = "0";
    // SCAN walks the keyspace in pages; the cursor comes back to 0 once it has seen every key
    for (let page = 0; page < 100_000; page++) {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      if (keys.length > 0) deleted += await redis.del(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
  } finally {
    await redis.quit();
  }
  return deleted;
}

/**
 * The settings of a process beside others: jobs, progress and commands on this Redis under
 * `prefix`, and the secrets every process of a cluster shares (fresh ones per test file).
 */
export function clusterEnv(prefix: string): Record<string, string> {
  return {
    QUEUE: "bullmq",
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    SECRET_KEY: randomBytes(32).toString("base64"),
  };
}
