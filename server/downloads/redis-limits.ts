import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { Semaphore } from "redis-semaphore";
import { createCancelledError } from "./errors";
import { createConcurrencyLimiter, type ConcurrencyLimiter, type Release } from "./limiter";
import type { QuotaStore } from "./quota";
import type { HostBuckets } from "./token-bucket";

/** The limits every process of a cluster shares, by host. */
export type TLimitRules = {
  maxGlobal: number;
  maxPerHostFor: (host: string) => number;
  ratePerSecondFor: (host: string) => number;
};

export type TSharedLimits = {
  limiter: ConcurrencyLimiter;
  buckets: HostBuckets;
  quotas?: QuotaStore;
};

type TRedisLimitOptions = {
  /** keys start with this, so several apps (or test files) share one Redis */
  prefix: string;
  /**
   * A slot whose process stopped renewing it (killed, cut off) is free again after this; a live
   * holder renews it well before.
   */
  slotLeaseMs?: number;
  /** how often a waiter asks again for a slot */
  retryMs?: number;
  /** a renewal that failed (Redis gone): the slot may be taken by another process meanwhile */
  onLostSlot?: (host: string, error: Error) => void;
};

/**
 * Global and per-host download limits held in Redis, so they bound all worker processes together
 * rather than each one: concurrency through Redis semaphores (redis-semaphore; each slot a lease
 * its holder renews, so a killed process's slots come free on their own), and the per-host rate
 * through rate-limiter-flexible's Redis counter (a fixed one-second window: at most `rate` starts
 * per window, as the in-process token bucket allows at most its burst plus `rate` per second).
 */
export function createRedisLimits(
  redis: Redis,
  rules: TLimitRules,
  options: TRedisLimitOptions,
): TSharedLimits {
  const slotLeaseMs = options.slotLeaseMs ?? 30_000;
  const retryMs = options.retryMs ?? 25;
  const active = new Map<string, number>();
  // this process never asks Redis for more slots than the limits could ever give it: downloads
  // beyond them wait here, in memory, instead of each polling Redis every retryMs (a job keeps four
  // times the global limit in flight, and those polls were a tenth of a worker's CPU)
  const local = createConcurrencyLimiter(rules);

  const take = async (key: string, limit: number, host: string, signal?: AbortSignal) => {
    const slot = new Semaphore(redis, `${options.prefix}:${key}`, limit, {
      lockTimeout: slotLeaseMs,
      refreshInterval: Math.round(slotLeaseMs / 3),
      acquireTimeout: Number.POSITIVE_INFINITY,
      retryInterval: retryMs,
      onLockLost: (error) => options.onLostSlot?.(host, error),
    });
    try {
      await slot.acquire(signal);
    } catch (error) {
      if (signal?.aborted) throw createCancelledError(signal.reason);
      throw error;
    }
    return slot;
  };

  const limiter: ConcurrencyLimiter = {
    activeFor: (host) => active.get(host) ?? 0,
    trackedHosts: () => active.size,
    // host slot first, then global, as in one process: one slow host never pins global slots
    async acquire(host, signal): Promise<Release> {
      const releaseLocal = await local.acquire(host, signal);
      let hostSlot: Semaphore;
      let globalSlot: Semaphore;
      try {
        hostSlot = await take(`host:${host}`, rules.maxPerHostFor(host), host, signal);
      } catch (error) {
        releaseLocal();
        throw error;
      }
      try {
        globalSlot = await take("global", rules.maxGlobal, host, signal);
      } catch (error) {
        void hostSlot.release().catch(() => undefined);
        releaseLocal();
        throw error;
      }
      active.set(host, (active.get(host) ?? 0) + 1);
      let isReleased = false;
      return () => {
        if (isReleased) return;
        isReleased = true;
        const left = (active.get(host) ?? 1) - 1;
        if (left > 0) active.set(host, left);
        else active.delete(host);
        // not awaited: a release that fails leaves a lease that runs out by itself
        void globalSlot.release().catch(() => undefined);
        void hostSlot.release().catch(() => undefined);
        releaseLocal();
      };
    },
  };

  const counters = new Map<number, RateLimiterRedis>();
  // a rate under one a second is one start per window of several seconds
  const counterFor = (rate: number) => {
    let counter = counters.get(rate);
    if (!counter) {
      counter = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${options.prefix}:rate:${rate}`,
        points: rate >= 1 ? Math.floor(rate) : 1,
        duration: rate >= 1 ? 1 : Math.ceil(1 / rate),
      });
      counters.set(rate, counter);
    }
    return counter;
  };

  const buckets: HostBuckets = {
    size: () => counters.size,
    take(host, signal) {
      const rate = rules.ratePerSecondFor(host);
      if (!Number.isFinite(rate) || rate <= 0) return undefined;
      const counter = counterFor(rate);
      return (async () => {
        for (;;) {
          if (signal?.aborted) throw createCancelledError(signal.reason);
          try {
            await counter.consume(host, 1);
            return;
          } catch (refusal) {
            if (!(refusal instanceof RateLimiterRes)) throw refusal;
            await sleep(Math.max(1, refusal.msBeforeNext), signal);
          }
        }
      })();
    },
  };

  const quotas: QuotaStore = {
    async reserve(quota) {
      const waitMs = await redis.eval(
        SLIDING_LOG_SCRIPT,
        1,
        `${options.prefix}:quota:${quota.key}`,
        quota.windowMs,
        quota.limit,
        quota.cost ?? 1,
        `${Math.random().toString(36).slice(2)}`,
      );
      return Number(waitMs);
    },
  };

  return { limiter, buckets, quotas };
}

/**
 * The sliding log of quota.ts's createMemoryQuotas, in one Redis script so every process shares
 * it: members are "cost:nonce" scored by the time spent (Redis's own clock, so processes whose
 * clocks differ still agree).
 */
const SLIDING_LOG_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local spent = 0
for i = 1, #entries, 2 do
  spent = spent + tonumber(string.match(entries[i], '^([^:]*)'))
end
if spent + cost <= limit then
  redis.call('ZADD', KEYS[1], now, cost .. ':' .. ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
for i = 1, #entries, 2 do
  spent = spent - tonumber(string.match(entries[i], '^([^:]*)'))
  if spent + cost <= limit then
    return tonumber(entries[i + 1]) + window - now + 1
  end
end
return window
`;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(createCancelledError(signal?.reason));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
