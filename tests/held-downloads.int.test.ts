import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startImageHost } from "@/test-support/fakes/image-host";
import { startTestApp, waitFor } from "./support/test-app";

// Four downloads at once: the job's window of claimed items is 16 (the smallest it gets).
let app: Awaited<ReturnType<typeof startTestApp>>;
let imageHost: Awaited<ReturnType<typeof startImageHost>>;

beforeAll(async () => {
  imageHost = await startImageHost();
  app = await startTestApp({ MAX_GLOBAL_CONCURRENCY: "4" });
});

afterAll(async () => {
  await app?.stop();
  await imageHost?.close();
});

const IMAGES = 80;
const WINDOW = 16;

describe("downloads kept in memory until their results are written", () => {
  it("stop new claims while a slow write holds them, and all land once it goes through", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { runBatchJob } = await import("@/server/services/batches/run-batch-job");
    const paths = Array.from({ length: IMAGES }, (_, i) => `/img/held-${i}.png`);
    const text = paths.map((p, i) => `SKU-${i}\t${imageHost.url}${p}?kb=900`).join("\n");
    const { jobId } = await createBatchJob({ userId: app.userId, text, source: "paste" });

    let releaseWrite!: () => void;
    const writeHeld = new Promise<void>((resolve) => (releaseWrite = resolve));
    let isWriteHeld = false;
    const pass = runBatchJob(jobId, new AbortController().signal, {
      beforeRecording: () => {
        isWriteHeld = true;
        return writeHeld;
      },
      // three 900 KB images: reached long before half the window is free for another claim
      maxHeldBytes: 2 << 20,
    });

    const requested = () => paths.reduce((sum, p) => sum + imageHost.hits(p), 0);
    const claimed = () => app.db.imageItem.count({ where: { jobId, state: { not: "pending" } } });
    // the first write waits, and every claimed image has been asked for: nothing more is in flight
    // (without the limit, claims go on while the write waits, to the last image of the job)
    await waitFor(async () => isWriteHeld && requested() === (await claimed()));
    expect(await claimed()).toBeLessThanOrEqual(WINDOW);
    expect(requested()).toBeLessThan(IMAGES);

    releaseWrite();
    await pass;
    const items = await app.db.imageItem.findMany({ where: { jobId } });
    expect(items.filter((item) => item.state === "downloaded")).toHaveLength(IMAGES);
    expect(new Set(items.map((item) => item.sha256)).size).toBe(IMAGES);
    for (const p of paths) expect(imageHost.hits(p)).toBe(1);
  });
});
