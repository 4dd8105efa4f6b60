/**
 * One worker process of the shared-limits test: downloads COUNT images from HOST_URL at once
 * through a download engine whose limits are held in Redis (SHARED=1) or in this process alone
 * (SHARED=0), then prints `DONE <succeeded>`. Each request waits DELAY_MS at the host, or, with
 * HOLD=<name>, until the test releases that name. With HOLD_SLOT=1 it takes one slot of HOST_URL's
 * host, prints `HOLDING` and waits to be killed. Run with `node --import tsx`.
 */
import os from "node:os";
import { Redis } from "ioredis";
import { createDownloadEngine } from "@/server/downloads";
import { createRedisLimits } from "@/server/downloads/redis-limits";

const env = process.env;
const redis = new Redis(env.REDIS_URL!);
const rules = {
  maxGlobal: Number(env.MAX_GLOBAL),
  maxPerHostFor: () => Number(env.MAX_PER_HOST),
  ratePerSecondFor: () => Number(env.QPS),
};
const shared = createRedisLimits(redis, rules, {
  prefix: env.PREFIX!,
  slotLeaseMs: Number(env.SLOT_LEASE_MS ?? 30_000),
});

async function main() {
  if (env.HOLD_SLOT === "1") {
    await shared.limiter.acquire(new URL(env.HOST_URL!).host);
    process.stdout.write("HOLDING\n");
    return;
  }
  const engine = createDownloadEngine(
    {
      maxGlobalConcurrency: rules.maxGlobal,
      maxPerHostConcurrency: Number(env.MAX_PER_HOST),
      perHostQps: Number(env.QPS),
      connectTimeoutMs: 5000,
      readTimeoutMs: 10_000,
      maxBytes: 1 << 20,
      maxAttempts: 1,
      maxRedirects: 0,
      allowPrivateHosts: ["127.0.0.0/8"],
    },
    env.SHARED === "1" ? { sharedLimits: () => shared } : {},
  );
  const query = env.HOLD ? `hold=${env.HOLD}` : `delay=${env.DELAY_MS}`;
  const results = await Promise.all(
    Array.from({ length: Number(env.COUNT) }, (_, i) =>
      engine.downloadImage(`${env.HOST_URL}/img/p${env.WORKER}-${i}.png?${query}`, os.tmpdir(), {
        keepInMemory: true,
      }),
    ),
  );
  await engine.close();
  process.stdout.write(`DONE ${results.filter((result) => result.ok).length}\n`);
  redis.disconnect();
}

void main();
