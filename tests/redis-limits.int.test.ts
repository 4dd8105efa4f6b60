// The download limits a team sets hold across all its worker processes when Redis holds them:
// three processes downloading from one host together stay within its concurrency and its rate.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DownloadError } from "@/server/downloads";
import { createRedisLimits } from "@/server/downloads/redis-limits";
import { startImageHost, type ImageHost } from "@/test-support/fakes/image-host";
import { TEST_REDIS_URL as REDIS_URL, uniqueRedisPrefix } from "@/test-support/redis";
import { waitFor } from "@/test-support/wait-for";

const CHILD = path.resolve("tests/support/redis-limits-child.ts");
const PREFIX = uniqueRedisPrefix("limits");

let host: ImageHost;
let redis: Redis;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  host = await startImageHost();
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await host?.close();
});

function startChild(env: Record<string, string>): { child: ChildProcess; lines: string[] } {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD], {
    env: {
      ...process.env,
      REDIS_URL,
      HOST_URL: host.url,
      MAX_GLOBAL: "10",
      MAX_PER_HOST: "2",
      QPS: "20",
      COUNT: "20",
      DELAY_MS: "40",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  const lines: string[] = [];
  child.stdout!.on("data", (chunk: Buffer) => lines.push(...chunk.toString().trim().split("\n")));
  child.once("exit", () => children.delete(child));
  return { child, lines };
}

/** Runs three workers at once; returns how many images each one got. */
async function runThreeWorkers(
  env: Record<string, string>,
  whileRunning?: () => Promise<void>,
): Promise<number[]> {
  const workers = ["1", "2", "3"].map((worker) => startChild({ ...env, WORKER: worker }));
  await whileRunning?.();
  await waitFor(
    () => workers.every((w) => w.lines.some((line) => line.startsWith("DONE"))),
    60_000,
  );
  return workers.map((w) => Number(w.lines.find((line) => line.startsWith("DONE"))!.split(" ")[1]));
}

/** The most requests that arrived within any one second. */
function busiestSecond(arrivals: number[]): number {
  let most = 0;
  for (let start = 0, end = 0; end < arrivals.length; end++) {
    while (arrivals[end]! - arrivals[start]! >= 1000) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

describe("download limits shared through Redis", () => {
  it("hold for three worker processes together, where each process's own limits would not", async () => {
    // the control: each process keeps to 2 on its own, so the three reach the host with 6 (the
    // host holds every request until all 6 are in)
    host.resetPeakConcurrency();
    const alone = await runThreeWorkers(
      { SHARED: "0", PREFIX: `${PREFIX}:alone`, QPS: "1000", HOLD: "alone" },
      async () => {
        await waitFor(() => host.peakConcurrency() >= 6, 60_000);
        host.release("alone");
      },
    );
    expect(alone).toEqual([20, 20, 20]);
    expect(host.peakConcurrency()).toBe(6);

    host.resetPeakConcurrency();
    const before = host.arrivals().length;
    const shared = await runThreeWorkers({ SHARED: "1", PREFIX: `${PREFIX}:shared` });
    expect(shared).toEqual([20, 20, 20]);
    expect(host.peakConcurrency()).toBe(2);
    const arrivals = host.arrivals().slice(before);
    expect(arrivals).toHaveLength(60);
    // a one-second window admits 20; two windows meeting inside one second admit at most 40
    expect(busiestSecond(arrivals)).toBeLessThanOrEqual(40);
    // 60 requests at 20 a second need at least two full windows after the first
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(2000);
  });

  it("frees the slot of a process that was killed holding it, once its lease runs out", async () => {
    const prefix = `${PREFIX}:killed`;
    // redis-semaphore's key of the host's slots
    const slots = `semaphore:${prefix}:host:${new URL(host.url).host}`;
    const holder = startChild({
      SHARED: "1",
      PREFIX: prefix,
      HOLD_SLOT: "1",
      MAX_PER_HOST: "1",
      SLOT_LEASE_MS: "3000",
    });
    await waitFor(() => holder.lines.includes("HOLDING"), 30_000);
    holder.child.kill("SIGKILL");

    const limits = createRedisLimits(
      redis,
      { maxGlobal: 10, maxPerHostFor: () => 1, ratePerSecondFor: () => 0 },
      { prefix, slotLeaseMs: 3000 },
    );
    let release: (() => void) | null = null;
    const acquiring = limits.limiter.acquire(new URL(host.url).host).then((r) => (release = r));
    // still held: Redis has the dead process's lease
    expect(await redis.zcard(slots)).toBe(1);
    expect(release).toBeNull();
    await acquiring;
    expect(release).not.toBeNull();
    release!();
    await waitFor(async () => (await redis.zcard(slots)) === 0);
  });

  it("lets a waiting download be cancelled", async () => {
    const prefix = `${PREFIX}:cancel`;
    const limits = createRedisLimits(
      redis,
      { maxGlobal: 10, maxPerHostFor: () => 1, ratePerSecondFor: () => 0 },
      { prefix },
    );
    const release = await limits.limiter.acquire("example.test");
    const controller = new AbortController();
    const waiting = limits.limiter.acquire("example.test", controller.signal);
    controller.abort();
    const error = await waiting.then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).kind).toBe("cancelled");
    release();
  });
});
