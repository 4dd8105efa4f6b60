// Two workers claiming items of one job at the same moment, each on its own connection, as two
// processes or hosts would: no item may be handed to both. On PostgreSQL the claim as first written
// (a plain UPDATE … WHERE id IN (SELECT … LIMIT n)) handed the same items to both sessions: the
// second waited on the first's row locks, then updated the same rows again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PrismaClient } from "@/server/db/generated/client";
import { isPostgresRun, startTestApp } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let sessions: PrismaClient[];

const IMAGES = 1_200;
const MAX_ROUNDS = 400;

beforeAll(async () => {
  // the test app starts no worker (boot is not run): only the two sessions below claim
  app = await startTestApp();
  const { createPrismaClient } = await import("@/server/db-client");
  sessions = [createPrismaClient(app.databaseUrl), createPrismaClient(app.databaseUrl)];
  // as the server's boot sets it: a writer waits for the other's lock instead of failing
  if (!isPostgresRun)
    for (const session of sessions) await session.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
});

afterAll(async () => {
  await Promise.all((sessions ?? []).map((session) => session.$disconnect()));
  await app?.stop();
});

describe("claims from two sessions at once", () => {
  it("never hand the same item to both, and together take every item once", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { claimStatement } = await import("@/server/services/batches/item-rows");
    const text = Array.from(
      { length: IMAGES },
      (_, i) => `P-${Math.floor(i / 4)}\thttp://127.0.0.1:9/race/${i}.png`,
    ).join("\n");
    const { jobId } = await createBatchJob({ userId: app.userId, text, source: "paste" });
    const lease = new Date(Date.now() + 60_000);

    const claimedBy = new Map<string, number>();
    let doubles = 0;
    let rounds = 0;
    let overlappingRounds = 0;
    for (; rounds < MAX_ROUNDS && claimedBy.size < IMAGES; rounds++) {
      // different sizes, so the two claims' windows of the job overlap in shifting ways
      const limits = [3 + (rounds % 5), 5 + (rounds % 3)];
      const claims = await Promise.all(
        sessions.map((session, s) =>
          session.$queryRaw<{ id: string }[]>(claimStatement(jobId, limits[s]!, lease)),
        ),
      );
      if (claims.every((claim) => claim.length > 0)) overlappingRounds++;
      claims.forEach((claim, s) => {
        expect(claim.length).toBeLessThanOrEqual(limits[s]!);
        for (const { id } of claim) {
          if (claimedBy.has(id)) doubles++;
          claimedBy.set(id, s);
        }
      });
    }
    expect(doubles).toBe(0);
    expect(claimedBy.size).toBe(IMAGES);
    // both sessions took items in most rounds: the claims did run side by side
    expect(overlappingRounds).toBeGreaterThan(rounds / 2);
    const states = await app.db.imageItem.groupBy({
      by: ["state"],
      where: { jobId },
      _count: { _all: true },
    });
    expect(states.map((s) => [s.state, s._count._all])).toEqual([["downloading", IMAGES]]);
  });
});
