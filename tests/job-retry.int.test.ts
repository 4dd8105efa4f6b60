import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startImageHost } from "@/test-support/fakes/image-host";
import { startTestApp, waitFor } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let imageHost: Awaited<ReturnType<typeof startImageHost>>;

beforeAll(async () => {
  imageHost = await startImageHost();
  app = await startTestApp({ HTTP_READ_TIMEOUT: "1", MAX_IMAGE_SIZE_MB: "1" });
  const { startWorker } = await import("@/server/boot");
  await startWorker();
});

afterAll(async () => {
  await app?.stop();
  await imageHost?.close();
});

const FINAL = ["completed", "completed_with_errors", "failed", "cancelled"];

async function finishedJob(jobId: string) {
  return waitFor(async () => {
    const job = await app.db.job.findUnique({ where: { id: jobId } });
    return job && FINAL.includes(job.status) ? job : null;
  }, 60_000);
}

async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe("retrying failed images", () => {
  let jobId: string;
  /** paths whose answer stays the same however often they are asked */
  const permanent = [
    "/status/404",
    "/status/403",
    "/html-as.jpg",
    "/huge.jpg",
    "/redirect-private",
  ];
  /** paths that failed on the way and may pass another time */
  const transient = ["/status/503", "/truncated/r1", "/slow-body/r2"];

  beforeAll(async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const rows = [
      ["SKU-R1", "/img/r-ok.png"],
      ...permanent.map((p) => ["SKU-R1", p]),
      ...transient.map((p) => ["-R2", p]),
    ];
    const text = rows.map(([product, p]) => `${product}\t${imageHost.url}${p}`).join("\n");
    ({ jobId } = await createBatchJob({ userId: app.userId, text, source: "paste" }));
    await finishedJob(jobId);
  }, 90_000);

  it("keeps the engine's verdict on each failure, and counts those a retry can help", async () => {
    const items = await app.db.imageItem.findMany({ where: { jobId }, orderBy: { line: "asc" } });
    const byPath = (p: string) => items.find((i) => i.url === `${imageHost.url}${p}`)!;
    for (const p of permanent)
      expect(byPath(p), p).toMatchObject({ state: "failed", isRetryable: false });
    for (const p of transient)
      expect(byPath(p), p).toMatchObject({ state: "failed", isRetryable: true });
    expect(byPath("/status/404").errorKind).toBe("http");
    expect(byPath("/html-as.jpg").errorKind).toBe("not_an_image");
    expect(byPath("/huge.jpg").errorKind).toBe("too_large");
    expect(byPath("/redirect-private").errorKind).toBe("blocked_address");
    expect(byPath("/slow-body/r2").errorKind).toBe("timeout");
    expect(byPath("/truncated/r1").errorKind).toBe("truncated");
    const { getJobProgress } = await import("@/server/services/jobs/job-progress");
    const progress = await getJobProgress(jobId);
    expect(progress!.totals).toMatchObject({ failed: 8, retryableFailed: 3, downloaded: 1 });
  });

  it("exports the failed rows as a paste for a new batch, guarded against formulas", async () => {
    const { exportFailedItems } = await import("@/server/services/jobs/export-failed-items");
    const tsv = await readText((await exportFailedItems({ jobId, format: "tsv" })).body);
    const lines = tsv.split("\r\n");
    expect(lines[0]).toBe("Product Number\tImage Src\tLine\tReason");
    expect(lines[1]).toBe(`SKU-R1\t${imageHost.url}/status/404\t2\t404 Not Found`);
    expect(lines).toHaveLength(1 + 8 + 1);
    // "-R2" is a formula to a spreadsheet (minus the cell R2): guarded as the manifest guards it
    expect(lines[6]).toBe(
      `'-R2\t${imageHost.url}/status/503\t7\t503 Service Unavailable (after 4 attempts)`,
    );
    // what the New batch page makes of it: the same product numbers and URLs, line for line
    const { analyzeBatchInput } = await import("@/server/batches/input");
    const analysis = analyzeBatchInput(tsv);
    const ok = analysis.rows.filter((row) => row.verdict === "ok");
    // every row, "-R2" included: the guard's apostrophe is a spreadsheet's text mark, dropped
    const exported = lines.slice(1, -1).map((line) => line.split("\t"));
    expect(ok.map((row) => [row.product, row.url])).toEqual(
      exported.map(([product, url]) => [product!.replace(/^'/, ""), url]),
    );
    expect(ok.filter((row) => row.product === "-R2")).toHaveLength(3);
    const csv = await readText((await exportFailedItems({ jobId, format: "csv" })).body);
    expect(csv.split("\r\n")[0]).toBe("Product Number,Image Src,Line,Reason");
    expect(csv.split("\r\n")[7]).toBe(
      `'-R2,${imageHost.url}/truncated/r1,8,connection closed early: got 1234 of 5000 bytes (after 4 attempts)`,
    );
  });

  it("retries only failures that may pass by default, and every failure when asked", async () => {
    const { retryFailedItems } = await import("@/server/services/jobs/job-actions");
    const hitsBefore = new Map([...permanent, ...transient].map((p) => [p, imageHost.hits(p)]));
    expect(await retryFailedItems(jobId)).toEqual({ retriedItems: 3 });
    await finishedJob(jobId);
    for (const p of transient) expect(imageHost.hits(p), p).toBeGreaterThan(hitsBefore.get(p)!);
    for (const p of permanent) expect(imageHost.hits(p), p).toBe(hitsBefore.get(p));

    expect(await retryFailedItems(jobId, "all")).toEqual({ retriedItems: 8 });
    await finishedJob(jobId);
    // the blocked address is refused before any request leaves: it has no hits to count
    for (const p of permanent.filter((p) => p !== "/redirect-private"))
      expect(imageHost.hits(p), p).toBeGreaterThan(hitsBefore.get(p)!);
  }, 90_000);

  it("says why there is nothing to retry when every failure would fail again", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { retryFailedItems } = await import("@/server/services/jobs/job-actions");
    const only404 = await createBatchJob({
      userId: app.userId,
      text: `SKU-N\t${imageHost.url}/status/404?n=1`,
      source: "paste",
    });
    await finishedJob(only404.jobId);
    await expect(retryFailedItems(only404.jobId)).rejects.toThrow(
      "Nothing to retry: the 1 failed image gets the same answer every time (such as 404 Not Found or not an image). Use “Retry all failed” to fetch it anyway.",
    );
  });
});
