import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startTestApp } from "./support/test-app";
import { jobTitleFields } from "@/server/services/jobs/job-title";

// No worker consumes the queue here: a resume is a message that stays waiting, counted at once.
let app: Awaited<ReturnType<typeof startTestApp>>;
const QUEUE = "test.resume";

beforeAll(async () => {
  app = await startTestApp();
});

afterAll(async () => {
  await app?.stop();
});

afterEach(() => {
  vi.useRealTimers();
});

async function runningJob(): Promise<string> {
  const job = await app.db.job.create({
    data: {
      kind: "image_batch",
      ...jobTitleFields("paused twice"),
      status: "running",
      createdById: app.userId,
      totalItems: 0,
    },
  });
  return job.id;
}

const waiting = async () => (await app.runtime.queue.stats()).waiting;

describe("a paused job's resume", () => {
  it("is one timer per job: a second pause replaces the first, so the longer wait holds", async () => {
    const { pauseJob, forgetPauses } = await import("@/server/services/jobs/pause-job");
    const jobId = await runningJob();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    await pauseJob(jobId, "the disk is full", QUEUE); // resumes in 5 s
    await pauseJob(jobId, "the disk is still full", QUEUE); // resumes in 10 s, instead
    const job = await app.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ status: "paused", pausedReason: "the disk is still full" });

    await vi.advanceTimersByTimeAsync(6_000);
    // the first pause's 5 s are over: its resume must not come, or the wait stops growing
    expect(await waiting()).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await waiting()).toBe(1);

    // a job that got through forgets its pauses: no resume is left on its way
    const other = await runningJob();
    await pauseJob(other, "the disk is full", QUEUE);
    forgetPauses(other);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await waiting()).toBe(1);
  });
});
