import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { deleteRedisKeys, TEST_REDIS_URL, uniqueRedisPrefix } from "@/test-support/redis";
import { waitFor } from "@/test-support/wait-for";
import { createRedisProgressBus, type TJobChange } from "./progress";

const prefix = uniqueRedisPrefix("progress");
afterAll(async () => {
  await deleteRedisKeys(prefix);
});

describe("progress over Redis pub/sub", () => {
  it("fans a change out to subscribers in other processes (each bus has its own connections)", async () => {
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    const worker = createRedisProgressBus({ redisUrl: TEST_REDIS_URL, prefix, onError });
    const webA = createRedisProgressBus({ redisUrl: TEST_REDIS_URL, prefix, onError });
    const webB = createRedisProgressBus({ redisUrl: TEST_REDIS_URL, prefix, onError });
    const elsewhere = createRedisProgressBus({
      redisUrl: TEST_REDIS_URL,
      prefix: `${prefix}-other`,
      onError,
    });
    try {
      await Promise.all([worker.ready, webA.ready, webB.ready, elsewhere.ready]);
      const onA: TJobChange[] = [];
      const onB: TJobChange[] = [];
      const allOnB: TJobChange[] = [];
      const onOtherInstall: TJobChange[] = [];
      webA.subscribe("job-1", (c) => onA.push(c));
      const unsubscribeB = webB.subscribe("job-1", (c) => onB.push(c));
      webB.subscribe("*", (c) => allOnB.push(c));
      elsewhere.subscribe("*", (c) => onOtherInstall.push(c));

      worker.publish({ jobId: "job-1", productIds: ["p1"] });
      worker.publish({ jobId: "job-2", productIds: [], isStatusChange: true });
      await waitFor(() => onA.length === 1 && onB.length === 1 && allOnB.length === 2);
      expect(onA).toEqual([{ jobId: "job-1", productIds: ["p1"] }]);
      expect(onB).toEqual(onA);
      expect(allOnB.map((c) => c.jobId)).toEqual(["job-1", "job-2"]);

      // Redis delivers one publisher's messages in order: once the marker is in, the change
      // before it would have arrived at a listener that was still subscribed
      unsubscribeB();
      worker.publish({ jobId: "job-1", productIds: ["p2"], isAllProducts: true });
      worker.publish({ jobId: "marker", productIds: [] });
      await waitFor(() => allOnB.some((c) => c.jobId === "marker") && onA.length === 2);
      expect(onB).toHaveLength(1);
      expect(onA[1]).toEqual({ jobId: "job-1", productIds: ["p2"], isAllProducts: true });
      // another installation's prefix is another channel
      expect(onOtherInstall).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await Promise.all([worker, webA, webB, elsewhere].map((bus) => bus.close()));
    }
  });

  it("drops a message that is not a job change, and says so", async () => {
    const errors: unknown[] = [];
    const bus = createRedisProgressBus({
      redisUrl: TEST_REDIS_URL,
      prefix,
      onError: (error) => errors.push(error),
    });
    const raw = new Redis(TEST_REDIS_URL);
    try {
      await bus.ready;
      const seen: TJobChange[] = [];
      bus.subscribe("*", (c) => seen.push(c));
      await raw.publish(`${prefix}:job-changes`, JSON.stringify({ jobId: 7 }));
      await raw.publish(`${prefix}:job-changes`, "not json");
      bus.publish({ jobId: "job-ok", productIds: [] });
      await waitFor(() => seen.length === 1);
      expect(seen).toEqual([{ jobId: "job-ok", productIds: [] }]);
      expect(errors).toHaveLength(2);
    } finally {
      await raw.quit();
      await bus.close();
    }
  });
});
