import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, waitFor } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;

beforeAll(async () => {
  app = await startTestApp();
});

afterAll(async () => {
  await app?.stop();
});

describe("the catalog of job kinds", () => {
  it("has one entry per kind name, each on a queue of its own, and refuses an unknown kind", async () => {
    const { JOB_KINDS, jobKind } = await import("@/server/services/jobs/job-kinds");
    const { JOB_KIND_NAMES } = await import("@/server/jobs/job-kind-names");
    expect(Object.keys(JOB_KINDS).sort()).toEqual([...JOB_KIND_NAMES].sort());
    for (const name of JOB_KIND_NAMES) expect(jobKind(name).name).toBe(name);
    const queues = Object.values(JOB_KINDS).map((kind) => kind.queue);
    expect(new Set(queues).size).toBe(queues.length);
    expect(() => jobKind("fax")).toThrow('no job kind is called "fax"');
  });

  it("queues a job on its kind's queue, and never twice while it waits", async () => {
    const { enqueueJob } = await import("@/server/services/jobs/enqueue-job");
    const { jobKind } = await import("@/server/services/jobs/job-kinds");
    const { queue } = app.runtime;
    // no worker here: the messages wait until this test takes them from the report queue
    await enqueueJob({ id: "job-a", kind: "report_run" });
    await enqueueJob({ id: "job-a", kind: "report_run" });
    await enqueueJob({ id: "job-b", kind: "image_batch" });
    expect((await queue.stats()).waiting).toBe(2);
    const taken: string[] = [];
    queue.consume<{ jobId: string }>(
      jobKind("report_run").queue,
      async (message) => {
        taken.push(message.jobId);
      },
      { concurrency: 1 },
    );
    await waitFor(() => taken.length === 1 && queue.stats().then((s) => s.waiting === 1));
    expect(taken).toEqual(["job-a"]);
    await expect(enqueueJob({ id: "job-c", kind: "teleport" })).rejects.toThrow(
      'no job kind is called "teleport"',
    );
  });
});
