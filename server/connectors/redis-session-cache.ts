import type { Redis } from "ioredis";
import { Mutex } from "redis-semaphore";
import type { SecretBox } from "@/server/secrets/secret-box";
import type { SessionCache } from "./session-cache";

type TRedisSessionOptions = {
  /** keys start with this, so several apps (or test files) share one Redis */
  prefix: string;
  /** a session is forgotten after this even if no system said it expired */
  ttlSeconds?: number;
  /** how long one process may take to sign in before another may try */
  signInLeaseMs?: number;
};

/**
 * Connector sessions shared by every worker process through Redis, so three workers sign in to a
 * Metabase once, not three times, and a session that expired is renewed once across the cluster:
 * a sign-in holds a Redis lock (redis-semaphore), and whoever waited for it reads the session the
 * holder stored. Sessions are tokens: they are stored sealed with the app's secret key, never in
 * clear.
 */
export function createRedisSessionCache(
  redis: Redis,
  box: SecretBox,
  options: TRedisSessionOptions,
): SessionCache {
  const ttlSeconds = options.ttlSeconds ?? 12 * 3600;
  const signInLeaseMs = options.signInLeaseMs ?? 60_000;

  /** The stored session, unless it is the expired one (or cannot be opened with this key). */
  const read = async <TSession>(storeKey: string, expired: string | undefined) => {
    const sealed = await redis.get(storeKey);
    if (!sealed) return null;
    let stored: { session: TSession };
    try {
      stored = box.open(sealed);
    } catch {
      return null;
    }
    return JSON.stringify(stored.session) === expired ? null : stored;
  };

  return {
    async session<TSession>(key: string, login: () => Promise<TSession>, expired?: TSession) {
      const storeKey = `${options.prefix}:${key}`;
      const expiredText = expired === undefined ? undefined : JSON.stringify(expired);
      const found = await read<TSession>(storeKey, expiredText);
      if (found) return found.session;
      const lock = new Mutex(redis, `${options.prefix}:signing-in:${key}`, {
        lockTimeout: signInLeaseMs,
        acquireTimeout: signInLeaseMs * 2,
        retryInterval: 50,
      });
      await lock.acquire();
      try {
        // whoever held the lock before us may have signed in already
        const meanwhile = await read<TSession>(storeKey, expiredText);
        if (meanwhile) return meanwhile.session;
        const session = await login();
        await redis.set(storeKey, box.seal({ session }), "EX", ttlSeconds);
        return session;
      } finally {
        await lock.release().catch(() => undefined);
      }
    },
  };
}
