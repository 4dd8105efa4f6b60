import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startImageHost } from "@/test-support/fakes/image-host";
import { startTestApp, waitFor } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let imageHost: Awaited<ReturnType<typeof startImageHost>>;

beforeAll(async () => {
  imageHost = await startImageHost();
  app = await startTestApp();
  const { startWorker } = await import("@/server/boot");
  await startWorker();
});

afterAll(async () => {
  await app?.stop();
  await imageHost?.close();
});

describe("what a running job is doing", () => {
  it("shows a download waiting to try again, with its attempt and the wait, then the next attempt", async () => {
    const { getJobProgress } = await import("@/server/services/jobs/job-progress");
    const { cancelJob } = await import("@/server/services/jobs/job-actions");
    const url = `${imageHost.url}/status/503?retry-after=3`;
    const { jobId } = await app.createBatch([`SKU-W\t${url}`]);
    const product = await app.db.product.findFirstOrThrow({ where: { jobId } });
    const waiting = await waitFor(async () => {
      const download = (await getJobProgress(jobId))?.activity.inFlight[0];
      return download?.retryAt ? download : null;
    });
    expect(waiting).toMatchObject({
      productId: product.id,
      url,
      attempt: 1,
      lastError: "503 Service Unavailable",
    });
    // the wait the server asked for, from when the first attempt failed
    expect(waiting.retryAt! - Date.now()).toBeGreaterThan(1_000);
    expect(waiting.retryAt! - Date.now()).toBeLessThanOrEqual(3_000);
    const second = await waitFor(async () => {
      const progress = await getJobProgress(jobId);
      const download = progress?.activity.inFlight[0];
      return download && download.attempt === 2 ? progress : null;
    });
    expect(second.activity).toMatchObject({ inFlightCount: 1, maxAttempts: 4 });
    await cancelJob(jobId);
    await waitFor(async () => (await getJobProgress(jobId))?.activity.inFlightCount === 0);
  });

  it("lists at most 20 downloads in flight however many run, and counts them all", async () => {
    const { getJobProgress } = await import("@/server/services/jobs/job-progress");
    const { cancelJob } = await import("@/server/services/jobs/job-actions");
    // answers held by the host: every download stays in flight until released
    const lines = Array.from(
      { length: 30 },
      (_, i) => `SKU-H${i}\t${imageHost.url}/img/held-${i}.png?hold=many`,
    );
    const { jobId } = await app.createBatch(lines);
    const progress = await waitFor(async () => {
      const read = await getJobProgress(jobId);
      return read && read.activity.inFlightCount === 30 ? read : null;
    });
    expect(progress.activity.inFlight).toHaveLength(20);
    await cancelJob(jobId);
    imageHost.release("many");
  });

  it("estimates the time left once images have finished for a while, not before", async () => {
    const { getJobProgress } = await import("@/server/services/jobs/job-progress");
    // 4 at a time (the per-host limit), 0.8 s each: about 5 images a second for 16 s
    const lines = Array.from(
      { length: 80 },
      (_, i) => `SKU-E\t${imageHost.url}/img/eta-${i}.png?delay=800`,
    );
    const { jobId } = await app.createBatch(lines);
    const early = await waitFor(async () => {
      const read = await getJobProgress(jobId);
      return read && read.totals.downloaded > 0 ? read : null;
    });
    expect(early.activity.secondsLeft).toBeNull();
    const later = await waitFor(async () => {
      const read = await getJobProgress(jobId);
      return read?.activity.secondsLeft ? read : null;
    });
    const remaining = later.totals.pending + later.totals.downloading;
    // at the measured rate (about 5 a second), within a wide margin for a busy machine
    expect(later.activity.secondsLeft).toBeGreaterThanOrEqual(Math.floor(remaining / 20));
    expect(later.activity.secondsLeft).toBeLessThanOrEqual(remaining);
  }, 60_000);
});
