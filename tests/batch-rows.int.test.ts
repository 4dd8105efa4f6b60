import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeZip } from "../test-support/zip";
import {
  explainPlan,
  planFor,
  storeLargeJobForPlans,
  underLimit,
  WHOLE_TABLE_OR_SORT,
} from "./support/query-plan";
import { isPostgresRun, startTestApp, waitFor } from "./support/test-app";

// No worker here: the items must stay as they were stored.
let app: Awaited<ReturnType<typeof startTestApp>>;

beforeAll(async () => {
  app = await startTestApp();
});

afterAll(async () => {
  await app?.stop();
});

describe("URLs under several products", () => {
  it("are noticed once per job, from the URL index, so claims of other jobs take one statement", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { hasSharedUrls } = await import("@/server/services/batches/item-rows");
    const own = await createBatchJob({
      userId: app.userId,
      text: "A-1\thttp://127.0.0.1:9/img/a.png\nB-1\thttp://127.0.0.1:9/img/b.png",
      source: "paste",
    });
    const shared = await createBatchJob({
      userId: app.userId,
      text: "A-1\thttp://127.0.0.1:9/img/a.png\nB-1\thttp://127.0.0.1:9/img/a.png",
      source: "paste",
    });
    expect(await hasSharedUrls(own.jobId)).toBe(false);
    expect(await hasSharedUrls(shared.jobId)).toBe(true);
  });
});

describe("storing a batch", () => {
  /** PostgreSQL's plans are checked beside a large job (SQLite's do not depend on sizes here) */
  let largeJobId: string | null = null;
  beforeAll(async () => {
    largeJobId = await storeLargeJobForPlans(app.db, app.userId);
  }, 60_000);

  it("keeps every cell as typed, and claims items in input order straight from an index", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
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
    // a sort here would read every pending item of the job on every claim; both the large job
    // (on PostgreSQL) and this small one are read from the index in line order
    for (const claimedJob of [jobId, largeJobId ?? jobId]) {
      const steps = await explainPlan(app.db, claimStatement(claimedJob, 2, lease));
      expect(steps).toMatch(
        planFor({
          sqlite: /USING INDEX ImageItem_jobId_state_line_bytes_idx/,
          // the rows chosen are locked (LockRows) under the limit, straight from the index
          postgres: /Limit[^]*LockRows[^]*Index Scan using "ImageItem_jobId_state_line_bytes_idx"/,
        }),
      );
      expect(underLimit(steps)).not.toMatch(WHOLE_TABLE_OR_SORT);
    }
    // the same URL under other products comes along, looked up by URL, not by walking the job
    const sameUrlPlan = await explainPlan(
      app.db,
      claimSameUrlStatement(largeJobId ?? jobId, ["http://127.0.0.1:9/img/y.png"], lease),
    );
    expect(sameUrlPlan).toMatch(
      planFor({
        sqlite: /SEARCH ImageItem USING INDEX ImageItem_jobId_url_idx \(jobId=\? AND url=\?\)/,
        postgres: /Index Scan using "ImageItem_jobId_url_idx"/,
      }),
    );
    expect(sameUrlPlan).not.toMatch(WHOLE_TABLE_OR_SORT);
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
    const { archivePageStatement } = await import("@/server/services/jobs/build-job-archive");
    const jobId = largeJobId ?? (await app.db.job.findFirstOrThrow()).id;
    const steps = await explainPlan(
      app.db,
      archivePageStatement(jobId, null, { product: 3, item: 2 }, 500),
    );
    expect(steps).toMatch(
      planFor({
        sqlite: /SEARCH p USING INDEX Product_jobId_position_idx/,
        postgres: /Index Scan using "Product_jobId_position_idx" on "Product" p/,
      }),
    );
    expect(steps).toMatch(
      planFor({
        sqlite: /SEARCH i USING INDEX ImageItem_productId_position_idx/,
        postgres: /Index Scan using "ImageItem_productId_position_idx" on "ImageItem" i/,
      }),
    );
    // sorting within one product is fine (PostgreSQL: an Incremental Sort with the products'
    // order presorted); sorting every item of the job for each page is not
    expect(steps).not.toMatch(
      planFor({ sqlite: /TEMP B-TREE FOR ORDER BY/, postgres: WHOLE_TABLE_OR_SORT }),
    );
  });

  it("counts a job's totals, retryable failures included, from the index alone", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { jobTotalsStatement } = await import("@/server/services/jobs/job-progress");
    // one job among larger ones, as in a database in use (PostgreSQL reads a job that is most of
    // the table in one pass instead, rightly: that is cheaper than the index)
    const text = "T-1\thttp://127.0.0.1:9/t/1.png\nT-2\thttp://127.0.0.1:9/t/2.png";
    const small = await createBatchJob({ userId: app.userId, text, source: "paste" });
    const steps = await explainPlan(app.db, jobTotalsStatement(small.jobId));
    expect(steps).toMatch(
      planFor({
        sqlite: /USING COVERING INDEX ImageItem_jobId_state_line_bytes_idx/,
        postgres: /Index Only Scan using "ImageItem_jobId_state_line_bytes_idx"/,
      }),
    );
    expect(steps).not.toMatch(WHOLE_TABLE_OR_SORT);
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

describe("creating a large batch", () => {
  beforeAll(async () => {
    // as the server's boot sets them: two processes on one file in the second test
    if (isPostgresRun) return;
    await app.db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
    await app.db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
    await app.db.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
  });

  it("answers other requests between chunks of a 100,000-row create, and shows nothing of the batch until it is whole", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { listJobs } = await import("@/server/services/jobs/list-jobs");
    const { getJobProgress } = await import("@/server/services/jobs/job-progress");
    const { generateLargePaste } = await import("@/server/batches/input/generate-large-paste");
    const text = generateLargePaste(100_000);

    let isSettled = false;
    const creating = createBatchJob({ userId: app.userId, text, source: "paste" }).finally(() => {
      isSettled = true;
    });
    // another session's requests, each after a turn of the event loop as an HTTP request would be
    const seen: { items: number; isCreating: boolean; isHidden: boolean }[] = [];
    let longestWaitMs = 0;
    while (!isSettled) {
      const asked = performance.now();
      await new Promise((resolve) => setImmediate(resolve));
      await app.db.user.count();
      longestWaitMs = Math.max(longestWaitMs, performance.now() - asked);
      const unfinished = await app.db.job.findFirst({ where: { status: "creating" } });
      if (!unfinished) continue;
      const items = await app.db.imageItem.count({ where: { jobId: unfinished.id } });
      const isHidden =
        !(await listJobs()).some((job) => job.id === unfinished.id) &&
        (await getJobProgress(unfinished.id)) === null;
      // only what was read while the batch was still being stored counts
      const isCreating =
        (await app.db.job.findUnique({ where: { id: unfinished.id } }))?.status === "creating";
      seen.push({ items, isCreating, isHidden });
    }
    const { jobId } = await creating;
    console.log(
      `[measure] 100,000-row create: ${seen.length} other requests answered while it ran, the longest waited ${longestWaitMs.toFixed(0)} ms`,
    );
    // some requests were answered while part of the rows were stored…
    const between = seen.filter((s) => s.isCreating && s.items > 0 && s.items < 100_000);
    expect(between.length).toBeGreaterThan(1);
    // …and none of them saw the batch in a list or could open it
    expect(seen.filter((s) => s.isCreating).every((s) => s.isHidden)).toBe(true);
    const job = await app.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ status: "queued", totalItems: 100_000, leaseUntil: null });
    expect(await app.db.imageItem.count({ where: { jobId } })).toBe(100_000);
    expect((await listJobs()).map((j) => j.id)).toContain(jobId);
  });

  it("leaves nothing that looks like a job when the process dies midway, and the sweep removes what it left", async () => {
    const { listJobs } = await import("@/server/services/jobs/list-jobs");
    const { getJobProgress } = await import("@/server/services/jobs/job-progress");
    const { removeAbandonedBatchCreations, CREATION_LEASE_MS } =
      await import("@/server/services/batches/create-batch-job");
    const script = path.resolve("tests/support/create-batch-child.ts");
    const child = spawn(
      process.execPath,
      ["--conditions=react-server", "--import", "tsx", script, app.userId, "100000"],
      { env: process.env, stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const partial = await waitFor(async () => {
      const job = await app.db.job.findFirst({ where: { status: "creating" } });
      if (!job) return null;
      const items = await app.db.imageItem.count({ where: { jobId: job.id } });
      return items > 0 ? { job, items } : null;
    }, 60_000);
    child.kill("SIGKILL");
    await exited;
    expect(partial.items).toBeLessThan(100_000);

    // what the dead process left is no job to anyone
    expect((await listJobs()).map((j) => j.id)).not.toContain(partial.job.id);
    expect(await getJobProgress(partial.job.id)).toBeNull();
    // a live creator's lease still holds: the sweep leaves it alone until it lapses
    expect(await removeAbandonedBatchCreations({ now: new Date() })).toEqual({ removedJobs: 0 });
    const later = new Date(Date.now() + CREATION_LEASE_MS + 1_000);
    expect(await removeAbandonedBatchCreations({ now: later })).toEqual({ removedJobs: 1 });
    expect(await app.db.job.findUnique({ where: { id: partial.job.id } })).toBeNull();
    expect(await app.db.imageItem.count({ where: { jobId: partial.job.id } })).toBe(0);
    expect(await app.db.product.count({ where: { jobId: partial.job.id } })).toBe(0);
    expect(await app.db.skippedRow.count({ where: { jobId: partial.job.id } })).toBe(0);
  });
});

describe("creating with an idempotency key", () => {
  const text = "SKU\tURL\nK-1\thttp://127.0.0.1:9/k/1.png\nK-2\thttp://127.0.0.1:9/k/2.png";

  it("returns the job already created for the same key and input, instead of a second job", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const idempotencyKey = crypto.randomUUID();
    const first = await createBatchJob({
      userId: app.userId,
      text,
      source: "paste",
      idempotencyKey,
    });
    const jobsAfterFirst = await app.db.job.count();
    // the client's answer was cut off: it sends the same request again
    const again = await createBatchJob({
      userId: app.userId,
      text,
      source: "paste",
      idempotencyKey,
    });
    expect(again).toEqual(first);
    expect(first).toMatchObject({ images: 2, products: 2, skippedRows: 0 });
    expect(await app.db.job.count()).toBe(jobsAfterFirst);
    const job = await app.db.job.findUniqueOrThrow({ where: { id: first.jobId } });
    expect(job.idempotencyKey).toBe(idempotencyKey);

    // two requests with one key at the same moment still make one job; either may be the one
    // that stores it, and the other gets that job or is asked to come back once it is stored
    const racingKey = crypto.randomUUID();
    const STILL_STORING =
      "This batch is still being stored: ask again in a moment with the same key.";
    const race = () =>
      createBatchJob({ userId: app.userId, text, source: "paste", idempotencyKey: racingKey }).then(
        (created) => created.jobId,
        (error: Error) => error.message,
      );
    const answers = await Promise.all([race(), race()]);
    const stored = await app.db.job.findFirstOrThrow({ where: { idempotencyKey: racingKey } });
    expect(answers).toContain(stored.id);
    for (const answer of answers) expect([stored.id, STILL_STORING]).toContain(answer);
    expect(await app.db.job.count({ where: { idempotencyKey: racingKey } })).toBe(1);
  });

  it("refuses the same key with different input, and keeps keys apart per user", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const idempotencyKey = crypto.randomUUID();
    const first = await createBatchJob({
      userId: app.userId,
      text,
      source: "paste",
      idempotencyKey,
    });
    await expect(
      createBatchJob({
        userId: app.userId,
        text: `${text}\nK-3\thttp://127.0.0.1:9/k/3.png`,
        source: "paste",
        idempotencyKey,
      }),
    ).rejects.toThrow(
      "This idempotency key was already used for a different batch: send new input with a new key.",
    );
    await expect(
      createBatchJob({
        userId: app.userId,
        text,
        source: "paste",
        title: "Other name",
        idempotencyKey,
      }),
    ).rejects.toThrow(/already used for a different batch/);
    const other = await app.db.user.create({
      data: { id: crypto.randomUUID(), name: "Other", email: `other-${Date.now()}@example.com` },
    });
    const theirs = await createBatchJob({
      userId: other.id,
      text,
      source: "paste",
      idempotencyKey,
    });
    expect(theirs.jobId).not.toBe(first.jobId);
  });

  it("lets a refused batch be sent again, corrected, under the same key", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const idempotencyKey = crypto.randomUUID();
    await expect(
      createBatchJob({ userId: app.userId, text: "K-9\tnope", source: "paste", idempotencyKey }),
    ).rejects.toThrow(/No valid rows/);
    expect(await app.db.job.count({ where: { idempotencyKey } })).toBe(0);
  });
});

describe("what Analyze left out", () => {
  it("is stored with the job in input order, paged for the job page", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { listSkippedRows, skippedRowPages, SKIPPED_ROWS_PER_PAGE } =
      await import("@/server/services/batches/list-skipped-rows");
    const lines = ["SKU\tURL"];
    for (let i = 0; i < 250; i++) lines.push(`S-${i}\thttp://127.0.0.1:9/s/${i}.png`);
    lines.push(
      "bad sku!\thttp://127.0.0.1:9/s/x.png",
      "S-1\thttp://127.0.0.1:9/s/1.png",
      "S-2\tnope",
    );
    for (let i = 0; i < 150; i++) lines.push(`E-${i}\tftp://x/${i}`);
    const created = await createBatchJob({
      userId: app.userId,
      text: lines.join("\n"),
      source: "paste",
    });
    expect(created.skippedRows).toBe(153);

    const first = await listSkippedRows({ jobId: created.jobId, page: 0 });
    expect(first).toMatchObject({ total: 153, page: 0, pageCount: 2 });
    expect(first.rows).toHaveLength(SKIPPED_ROWS_PER_PAGE);
    expect(first.rows.slice(0, 3)).toEqual([
      {
        line: 252,
        product: "bad sku!",
        url: "http://127.0.0.1:9/s/x.png",
        verdict: "error",
        message: "product number contains a space: only letters, digits, - and _ are allowed",
      },
      {
        line: 253,
        product: "S-1",
        url: "http://127.0.0.1:9/s/1.png",
        verdict: "duplicate",
        message: "duplicate of line 3 (same product and URL)",
      },
      {
        line: 254,
        product: "S-2",
        url: "nope",
        verdict: "error",
        message: "not an http or https URL",
      },
    ]);
    const second = await listSkippedRows({ jobId: created.jobId, page: 1 });
    expect(second.rows.map((r) => r.line)).toEqual(Array.from({ length: 53 }, (_, i) => 352 + i));
    const all: number[] = [];
    for await (const page of skippedRowPages(created.jobId, 40))
      all.push(...page.map((r) => r.line));
    expect(all).toEqual([252, 253, 254, ...Array.from({ length: 150 }, (_, i) => 255 + i)]);
  });
});

describe("a file sent as bytes", () => {
  it("is read as Windows-1252 when it is not UTF-8, as the browser reads it", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { analyzeBatch } = await import("@/server/services/batches/analyze-batch");
    const { WINDOWS_1252_NOTE } = await import("@/server/batches/input");
    // "ÄÖÜ-1;http://127.0.0.1:9/img/café.jpg" as Excel's CSV (Comma delimited) on Windows writes it
    const bytes = Buffer.concat([
      Buffer.from("Product Number;Image Src\r\n"),
      Buffer.from([0xc4, 0xd6, 0xdc]),
      Buffer.from("-1;http://127.0.0.1:9/img/caf"),
      Buffer.from([0xe9]),
      Buffer.from(".jpg\r\n"),
    ]);
    const analysis = await analyzeBatch({ bytes, source: "csv" });
    expect(analysis.notes[0]).toBe(WINDOWS_1252_NOTE);
    expect(analysis.rows).toEqual([
      {
        line: 2,
        product: "ÄÖÜ-1",
        url: "http://127.0.0.1:9/img/café.jpg",
        verdict: "ok",
        message: null,
      },
    ]);
    const { jobId } = await createBatchJob({ userId: app.userId, bytes, source: "csv" });
    const item = await app.db.imageItem.findFirstOrThrow({
      where: { jobId },
      include: { product: true },
    });
    expect([item.product.number, item.url]).toEqual(["ÄÖÜ-1", "http://127.0.0.1:9/img/café.jpg"]);
  });

  it("is refused in one sentence when it is a workbook, and nothing is stored", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { analyzeBatch } = await import("@/server/services/batches/analyze-batch");
    const jobsBefore = await app.db.job.count();
    const xlsx = Buffer.concat([
      Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0x06, 0]),
      Buffer.from("[Content_Types].xml"),
      Buffer.alloc(200),
      Buffer.from("xl/worksheets/sheet1.xml"),
    ]);
    expect(await analyzeBatch({ bytes: xlsx, source: "csv" })).toMatchObject({
      fatal: expect.stringMatching(/^This file is an Excel workbook \(\.xlsx\), not a CSV file\./),
      rows: [],
    });
    await expect(
      createBatchJob({ userId: app.userId, bytes: xlsx, source: "csv" }),
    ).rejects.toThrow(/^This file is an Excel workbook/);
    expect(await app.db.job.count()).toBe(jobsBefore);
  });
});

describe("a ZIP sent as bytes", () => {
  it("stores the image list inside it, or the spreadsheet the request names", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { analyzeBatch } = await import("@/server/services/batches/analyze-batch");
    const zip = makeZip({
      "export/readme.txt": "Spring catalogue.\n",
      "export/images.csv": "SKU,Image\nZ-1,http://127.0.0.1:9/img/z1.png\n",
      "export/more.csv": "Z-2,http://127.0.0.1:9/img/z2.png\nZ-3,http://127.0.0.1:9/img/z3.png\n",
      "__MACOSX/export/._images.csv": "fork",
    });
    const analysis = await analyzeBatch({ bytes: zip, source: "csv" });
    expect(analysis.fatal).toBeNull();
    expect(analysis.notes[0]).toMatch(
      /^Read “export\/images\.csv” of the 3 spreadsheets in the ZIP/,
    );
    const { jobId } = await createBatchJob({ userId: app.userId, bytes: zip, source: "csv" });
    const items = await app.db.imageItem.findMany({ where: { jobId }, orderBy: { line: "asc" } });
    expect(items.map((item) => item.url)).toEqual(["http://127.0.0.1:9/img/z1.png"]);

    const named = await createBatchJob({
      userId: app.userId,
      bytes: zip,
      source: "csv",
      entry: "export/more.csv",
    });
    const namedItems = await app.db.imageItem.findMany({
      where: { jobId: named.jobId },
      orderBy: { line: "asc" },
    });
    expect(namedItems.map((item) => item.url)).toEqual([
      "http://127.0.0.1:9/img/z2.png",
      "http://127.0.0.1:9/img/z3.png",
    ]);
  });

  it("is refused in one sentence when it is a bomb, damaged or locked, and nothing is stored", async () => {
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { analyzeBatch } = await import("@/server/services/batches/analyze-batch");
    const list = "SKU,Image\nZ-1,http://127.0.0.1:9/img/z1.png\n";
    const good = makeZip({ "images.csv": list });
    const cases: [Buffer, RegExp][] = [
      [
        makeZip({ "images.csv": "0".repeat(80 << 20) }),
        /^The spreadsheets in the ZIP unpack to more than 64 MB/,
      ],
      [good.subarray(0, good.length - 10), /^The ZIP file is damaged and cannot be read/],
      [makeZip({ "images.csv": list }, ["-P", "secret"]), /^The ZIP is password-protected/],
      [makeZip({ "a.png": "x" }), /^The ZIP holds no spreadsheet/],
    ];
    const jobsBefore = await app.db.job.count();
    for (const [bytes, refusal] of cases) {
      expect((await analyzeBatch({ bytes, source: "csv" })).fatal).toMatch(refusal);
      await expect(
        createBatchJob({
          userId: app.userId,
          bytes,
          source: "csv",
          idempotencyKey: "zip-refused-1",
        }),
      ).rejects.toThrow(refusal);
    }
    expect(await app.db.job.count()).toBe(jobsBefore);
  });
});
