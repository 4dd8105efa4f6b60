import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp } from "./support/test-app";

// No worker here: the items must stay as they were stored.
let app: Awaited<ReturnType<typeof startTestApp>>;

beforeAll(async () => {
  app = await startTestApp({ RUN_WORKER: "false" });
});

afterAll(async () => {
  await app?.stop();
});

describe("storing a batch", () => {
  it("keeps every cell as typed, and claims items in input order straight from an index", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { Prisma } = await import("@/server/db");
    const { claimPendingItems, claimSameUrlStatement, claimStatement } =
      await import("@/server/services/batches/item-rows");
    // leading zeros, a quote, a non-ASCII path and two URLs in one cell must survive the JSON rows
    const text = [
      `007\thttp://127.0.0.1:9/img/x.png?q="a" | http://127.0.0.1:9/img/größe.png`,
      `1e3\thttp://127.0.0.1:9/img/y.png`,
    ].join("\n");
    const { jobId } = await createBatchJob({ userId: app.userId, text, source: "paste" });
    const products = await app.db.product.findMany({
      where: { jobId },
      orderBy: { position: "asc" },
    });
    expect(products.map((p) => [p.number, p.position])).toEqual([
      ["007", 1],
      ["1e3", 2],
    ]);
    const items = await app.db.imageItem.findMany({
      where: { jobId },
      orderBy: [{ line: "asc" }, { position: "asc" }],
    });
    expect(items.map((i) => [i.productId, i.position, i.line, i.url, i.state])).toEqual([
      [products[0]!.id, 1, 1, `http://127.0.0.1:9/img/x.png?q="a"`, "pending"],
      [products[0]!.id, 2, 1, `http://127.0.0.1:9/img/größe.png`, "pending"],
      [products[1]!.id, 1, 2, `http://127.0.0.1:9/img/y.png`, "pending"],
    ]);

    const lease = new Date(Date.now() + 60_000);
    const plan = await app.db.$queryRaw<{ detail: string }[]>(
      Prisma.sql`EXPLAIN QUERY PLAN ${claimStatement(jobId, 2, lease)}`,
    );
    const steps = plan.map((step) => step.detail).join("\n");
    // a sort here would read every pending item of the job on every claim
    expect(steps).toMatch(/USING INDEX ImageItem_jobId_state_line_bytes_idx/);
    expect(steps).not.toMatch(/TEMP B-TREE/);
    // the same URL under other products comes along, looked up by URL, not by walking the job
    const sameUrlPlan = await app.db.$queryRaw<{ detail: string }[]>(
      Prisma.sql`EXPLAIN QUERY PLAN ${claimSameUrlStatement(jobId, ["http://127.0.0.1:9/img/y.png"], lease)}`,
    );
    expect(sameUrlPlan.map((step) => step.detail).join("\n")).toMatch(
      /SEARCH ImageItem USING INDEX ImageItem_jobId_url_idx \(jobId=\? AND url=\?\)/,
    );
    const claimed = await claimPendingItems(jobId, 2, lease);
    expect(claimed.map((c) => c.url).sort()).toEqual(
      items
        .slice(0, 2)
        .map((i) => i.url)
        .sort(),
    );
  });

  it("puts thousands of claimed items back in line at once", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { claimPendingItems, releaseClaims } =
      await import("@/server/services/batches/item-rows");
    const text = Array.from({ length: 1500 }, (_, i) => `R${i}\thttp://127.0.0.1:9/r/${i}.png`);
    const { jobId } = await createBatchJob({
      userId: app.userId,
      text: text.join("\n"),
      source: "paste",
    });
    const claimed = await claimPendingItems(jobId, 1500, new Date(Date.now() + 60_000));
    expect(claimed).toHaveLength(1500);
    await releaseClaims(claimed.map((c) => c.id));
    const states = await app.db.imageItem.groupBy({
      by: ["state"],
      where: { jobId },
      _count: { _all: true },
    });
    expect(states.map((s) => [s.state, s._count._all])).toEqual([["pending", 1500]]);
  });

  it("reads archive pages product by product through indexes, never sorting the whole job", async () => {
    const { Prisma } = await import("@/server/db");
    const { archivePageStatement } = await import("@/server/services/jobs/build-job-archive");
    const job = await app.db.job.findFirstOrThrow();
    const plan = await app.db.$queryRaw<{ detail: string }[]>(
      Prisma.sql`EXPLAIN QUERY PLAN ${archivePageStatement(job.id, null, { product: 3, item: 2 }, 500)}`,
    );
    const steps = plan.map((step) => step.detail).join("\n");
    expect(steps).toMatch(/SEARCH p USING INDEX Product_jobId_position_idx/);
    expect(steps).toMatch(/SEARCH i USING INDEX ImageItem_productId_position_idx/);
    // sorting within one product is fine; sorting every item of the job for each page is not
    expect(steps).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
  });

  it("numbers products by first appearance and images within each product, as the preview lists them", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const [a, b, c] = ["a", "b", "c"].map((name) => `http://127.0.0.1:9/order/${name}.png`);
    // P2 first appears on an error row; P3 has only errors and is not stored
    const text = `SKU\tURL\nP2\tnope\nP1\t${a}\nP2\t${b}\nP3\tnope\nP1\t${a}\nP1\t${c}\nP2\t${a}`;
    const created = await createBatchJob({ userId: app.userId, text, source: "paste" });
    expect(created).toMatchObject({ images: 4, products: 2, skippedRows: 3 });
    const items = await app.db.imageItem.findMany({
      where: { jobId: created.jobId },
      include: { product: true },
      orderBy: [{ product: { position: "asc" } }, { position: "asc" }],
    });
    expect(items.map((i) => [i.product.number, i.position, i.line, i.url])).toEqual([
      ["P2", 1, 4, b],
      ["P2", 2, 8, a],
      ["P1", 1, 3, a],
      ["P1", 2, 7, c],
    ]);
    const job = await app.db.job.findUniqueOrThrow({ where: { id: created.jobId } });
    expect(job.totalItems).toBe(4);
    expect(job.title).toMatch(/^4 images of 2 products/);
  });

  it("refuses more than 100,000 images after storing them as they came, and leaves nothing behind", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const jobsBefore = await app.db.job.count();
    const itemsBefore = await app.db.imageItem.count();
    const urls = Array.from({ length: 100_001 }, (_, i) => `http://127.0.0.1:9/many/${i}.png`);
    await expect(
      createBatchJob({ userId: app.userId, text: `P1\t${urls.join(" ")}`, source: "paste" }),
    ).rejects.toThrow("too many images: 100,001 (the limit is 100,000 per batch)");
    expect(await app.db.job.count()).toBe(jobsBefore);
    expect(await app.db.imageItem.count()).toBe(itemsBefore);
  });
});
