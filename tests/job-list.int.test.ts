import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  explainPlan,
  planFor,
  storeLargeJobForPlans,
  WHOLE_TABLE_OR_SORT,
} from "./support/query-plan";
import { isPostgresRun, startTestApp } from "./support/test-app";
import { jobTitleFields } from "@/server/services/jobs/job-title";

// No worker: the jobs must keep the statuses the tests give them.
let app: Awaited<ReturnType<typeof startTestApp>>;

beforeAll(async () => {
  app = await startTestApp();
});

afterAll(async () => {
  await app?.stop();
});

const BASE = Date.parse("2026-01-01T00:00:00.000Z");

async function createJob(job: {
  title: string;
  kind?: string;
  status?: string;
  createdAt?: Date;
}): Promise<string> {
  const { id } = await app.db.job.create({
    data: {
      ...jobTitleFields(job.title),
      kind: job.kind ?? "image_batch",
      status: job.status ?? "completed",
      totalItems: 0,
      createdById: app.userId,
      createdAt: job.createdAt,
    },
  });
  return id;
}

async function allPages(filters: Record<string, unknown>, limit: number) {
  const { listJobPage } = await import("@/server/services/jobs/list-jobs");
  const pages = [];
  let cursor: string | null = null;
  do {
    const page = await listJobPage({ ...filters, cursor, limit });
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor);
  return pages;
}

describe("the jobs list", () => {
  const ids: string[] = [];

  beforeAll(async () => {
    // 120 jobs, seven to a second: page edges fall between jobs created at the same moment
    for (let i = 0; i < 120; i++) {
      ids.push(
        await createJob({
          title: `Batch ${String(i).padStart(3, "0")}`,
          kind: i % 3 === 0 ? "report_run" : "image_batch",
          status: i % 4 === 0 ? "failed" : "completed",
          createdAt: new Date(BASE + Math.floor(i / 7) * 1000),
        }),
      );
    }
    // a batch still being stored is no job to anyone
    await createJob({ title: "Batch being stored", status: "creating" });
  });

  it("comes in pages of 50 with a total, each job once, newest first, ties broken by id", async () => {
    const pages = await allPages({}, 50);
    expect(pages.map((p) => p.jobs.length)).toEqual([50, 50, 20]);
    expect(pages.map((p) => p.total)).toEqual([120, 120, 120]);
    expect(pages.at(-1)!.nextCursor).toBeNull();
    const listed = pages.flatMap((p) => p.jobs);
    const expected = (await app.db.job.findMany({ where: { status: { not: "creating" } } }))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .map((j) => j.id);
    expect(listed.map((j) => j.id)).toEqual(expected);
    expect(new Set(listed.map((j) => j.id)).size).toBe(120);
  });

  it("keeps its place when a job is created between two pages", async () => {
    const { listJobPage } = await import("@/server/services/jobs/list-jobs");
    const before = (await allPages({}, 50)).flatMap((p) => p.jobs.map((j) => j.id));
    const first = await listJobPage({ limit: 50 });
    const newJob = await createJob({ title: "Batch arriving meanwhile" });
    try {
      const second = await listJobPage({ limit: 50, cursor: first.nextCursor });
      // the page after the cursor is what it was: nothing repeated, nothing skipped
      expect([...first.jobs, ...second.jobs].map((j) => j.id)).toEqual(before.slice(0, 100));
      expect(second.total).toBe(121);
      // the new job is on top of a fresh first page
      expect((await listJobPage({ limit: 50 })).jobs[0]!.id).toBe(newJob);
    } finally {
      await app.db.job.delete({ where: { id: newJob } });
    }
  });

  it("sorts oldest first and by title, paging the same way", async () => {
    const oldest = (await allPages({ sort: "oldest" }, 50)).flatMap((p) => p.jobs);
    expect(oldest.map((j) => j.id)).toEqual(
      (await allPages({}, 50))
        .flatMap((p) => p.jobs)
        .map((j) => j.id)
        .reverse(),
    );
    const byTitle = (await allPages({ sort: "title" }, 50)).flatMap((p) => p.jobs);
    expect(byTitle.map((j) => j.title)).toEqual(
      Array.from({ length: 120 }, (_, i) => `Batch ${String(i).padStart(3, "0")}`),
    );
  });

  it("combines search, kind and status, and pages and counts what matches", async () => {
    // "Batch 0…" titles (not Batch 108), report runs (i % 3 === 0), failed (i % 4 === 0)
    const expected = Array.from({ length: 120 }, (_, i) => i)
      .filter((i) => i % 12 === 0 && i < 100)
      .map((i) => ids[i]);
    expect(expected).toHaveLength(9);
    const pages = await allPages({ q: "batch 0", kind: "report_run", status: "failed" }, 4);
    expect(pages.map((p) => p.jobs.length)).toEqual([4, 4, 1]);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages[0]!.total).toBe(expected.length);
    expect(
      pages
        .flatMap((p) => p.jobs)
        .map((j) => j.id)
        .sort(),
    ).toEqual(expected.sort());
  });

  it("searches titles for the typed text, wildcards included", async () => {
    const { listJobPage } = await import("@/server/services/jobs/list-jobs");
    const literal = await createJob({ title: "Spring sale 50% off_A" });
    await createJob({ title: "Spring sale 500 offXA" });
    const found = await listJobPage({ q: "50% off_" });
    expect(found.jobs.map((j) => j.id)).toEqual([literal]);
    expect((await listJobPage({ q: "spring SALE" })).total).toBe(2);
    const none = await listJobPage({ q: "no such job" });
    expect(none).toMatchObject({ jobs: [], total: 0, nextCursor: null });
  });

  it("finds an image batch by a product number typed in full", async () => {
    const { listJobPage } = await import("@/server/services/jobs/list-jobs");
    const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
    const { jobId } = await createBatchJob({
      userId: app.userId,
      title: "Spring catalogue",
      text: "SKU-FIND-1\thttp://127.0.0.1:9/img/a.png\nSKU-OTHER\thttp://127.0.0.1:9/img/b.png",
      source: "paste",
    });
    expect((await listJobPage({ q: "SKU-FIND-1" })).jobs.map((j) => j.id)).toEqual([jobId]);
    expect((await listJobPage({ q: "SKU-FIND-1", kind: "report_run" })).total).toBe(0);
    // part of a number is no match: only whole numbers come from the index
    expect((await listJobPage({ q: "SKU-FIND" })).total).toBe(0);
  });

  it("refuses a cursor it did not write, in plain words", async () => {
    const { listJobPage } = await import("@/server/services/jobs/list-jobs");
    await expect(listJobPage({ cursor: "not-a-cursor" })).rejects.toThrow(
      "This page of the jobs list is out of date; reload the list.",
    );
  });
});

describe("the jobs list at 100,000 jobs", () => {
  beforeAll(async () => {
    // written in one statement; createdAt in the text form Prisma writes, one job a second
    const sample = await app.db.$queryRaw<{ at: string }[]>`
      SELECT CAST("createdAt" AS TEXT) AS "at" FROM "Job" LIMIT 1`;
    expect(sample[0]!.at).toMatch(
      planFor({
        sqlite: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/,
        postgres: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/,
      }),
    );
    if (isPostgresRun) {
      await app.db.$executeRaw`
        INSERT INTO "Job" ("id", "kind", "title", "titleSortKey", "status", "totalItems", "options", "createdById", "createdAt")
        SELECT 'bulk-' || lpad(CAST(i AS TEXT), 6, '0'), CASE WHEN i % 2 = 0 THEN 'image_batch' ELSE 'report_run' END,
          'Bulk job ' || lpad(CAST(i AS TEXT), 6, '0'), 'bulk job ' || lpad(CAST(i AS TEXT), 6, '0'),
          CASE WHEN i % 5 = 0 THEN 'failed' ELSE 'completed' END, 0, '{}',
          ${app.userId}, TIMESTAMP '2025-01-01' + i * INTERVAL '1 second'
        FROM generate_series(1, 100000) AS i`;
      // a large batch too, so that products are many, as the search looks them up
      await storeLargeJobForPlans(app.db, app.userId);
      return;
    }
    await app.db.$executeRaw`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
      INSERT INTO "Job" ("id", "kind", "title", "titleSortKey", "status", "totalItems", "options", "createdById", "createdAt")
      SELECT printf('bulk-%06d', i), CASE WHEN i % 2 = 0 THEN 'image_batch' ELSE 'report_run' END,
        printf('Bulk job %06d', i), printf('bulk job %06d', i), CASE WHEN i % 5 = 0 THEN 'failed' ELSE 'completed' END, 0, '{}',
        ${app.userId}, strftime('%Y-%m-%dT%H:%M:%f+00:00', '2025-01-01', printf('+%d seconds', i))
      FROM n`;
  }, 120_000);

  it("walks an index in list order for every sort and filter, and never sorts the table", async () => {
    const { jobCountStatement, jobPageStatement } =
      await import("@/server/services/jobs/list-jobs");
    /** PostgreSQL: the index, walked in list order (backwards for newest first), its row compared */
    const pg = (index: string) =>
      new RegExp(`Index (Only )?Scan (Backward )?using "${index}" on "Job" j`);
    // with a filter that a fifth or half of the jobs pass, PostgreSQL may walk the plain
    // (createdAt, id) index and filter as it goes: still in list order, and 51 rows are found soon
    const inListOrder = pg("Job_((status|kind)_)?createdAt_id_idx");
    const after = { key: "2025-01-01T12:00:00.000+00:00", id: "bulk-043200" };
    const cases = [
      [
        { sort: "newest" },
        planFor({
          sqlite: /SEARCH j USING INDEX Job_createdAt_id_idx \(\(createdAt,id\)<\(\?,\?\)\)/,
          postgres: pg("Job_createdAt_id_idx"),
        }),
      ],
      [
        { sort: "oldest" },
        planFor({
          sqlite: /SEARCH j USING INDEX Job_createdAt_id_idx \(\(createdAt,id\)>\(\?,\?\)\)/,
          postgres: pg("Job_createdAt_id_idx"),
        }),
      ],
      [
        { sort: "title" },
        planFor({
          sqlite: /SEARCH j USING INDEX Job_titleSortKey_id_idx \(\(titleSortKey,id\)>\(\?,\?\)\)/,
          postgres: pg("Job_titleSortKey_id_idx"),
        }),
      ],
      [
        { sort: "newest", status: "failed" },
        planFor({
          sqlite:
            /SEARCH j USING INDEX Job_status_createdAt_id_idx \(status=\? AND \(createdAt,id\)<\(\?,\?\)\)/,
          postgres: inListOrder,
        }),
      ],
      [
        { sort: "newest", kind: "report_run" },
        planFor({
          sqlite:
            /SEARCH j USING INDEX Job_kind_createdAt_id_idx \(kind=\? AND \(createdAt,id\)<\(\?,\?\)\)/,
          postgres: inListOrder,
        }),
      ],
      [
        { sort: "oldest", kind: "report_run", status: "failed", q: "job" },
        planFor({
          sqlite: /SEARCH j USING INDEX Job_(status|kind)_createdAt_id_idx/,
          postgres: inListOrder,
        }),
      ],
      // a search also asks each job it walks for the product number, from the product index
      [
        { sort: "newest", q: "SKU-1" },
        planFor({
          sqlite:
            /SEARCH j USING INDEX Job_createdAt_id_idx[^\n]*\n[^]*SEARCH p USING COVERING INDEX Product_jobId_number_key \(jobId=\? AND number=\?\)/,
          postgres:
            /using "Job_createdAt_id_idx" on "Job" j[^]*(using "Product_jobId_number_key" on "Product" p|hashed SubPlan)/,
        }),
      ],
    ] as const;
    for (const [filters, index] of cases) {
      const steps = await explainPlan(app.db, jobPageStatement({ q: "", ...filters }, after, 51));
      expect(steps, JSON.stringify(filters)).toMatch(index);
      // PostgreSQL may answer a search's product numbers by reading the products with that
      // number once per query (a hashed subplan) instead of one probe per job walked: it picks
      // the cheaper by its statistics, so only the jobs must never be read whole or sorted
      const searchesProducts = isPostgresRun && "q" in filters;
      expect(steps, JSON.stringify(filters)).not.toMatch(
        searchesProducts ? /Seq Scan on "Job"|(^|->\s+)Sort\s/m : WHOLE_TABLE_OR_SORT,
      );
    }
    const countPlan = await explainPlan(
      app.db,
      jobCountStatement({ q: "", sort: "newest", status: "failed" }, 10_001),
    );
    expect(countPlan).toMatch(
      planFor({
        sqlite: /SEARCH j USING COVERING INDEX Job_status_createdAt_id_idx \(status=\?\)/,
        postgres: /Index Only Scan using "Job_status_createdAt_id_idx" on "Job" j/,
      }),
    );
  });

  it("reads a page deep in the list by its cursor and says there are more than 10,000", async () => {
    const { listJobPage } = await import("@/server/services/jobs/list-jobs");
    let page = await listJobPage({ kind: "report_run" });
    expect(page).toMatchObject({ total: 10_000, isTotalCapped: true });
    // jump near the end through a cursor of our own making: the page is read from there on
    const startedAt = performance.now();
    const cursor = Buffer.from(
      JSON.stringify(["2025-01-01T00:00:21.000+00:00", "bulk-000021"]),
    ).toString("base64url");
    page = await listJobPage({ kind: "report_run", cursor });
    console.log(
      `[measure] a page at the end of 100,000 jobs: ${(performance.now() - startedAt).toFixed(1)} ms`,
    );
    expect(page.jobs.map((j) => j.id)).toEqual(
      [19, 17, 15, 13, 11, 9, 7, 5, 3, 1].map((i) => `bulk-${String(i).padStart(6, "0")}`),
    );
    expect(page.nextCursor).toBeNull();
    // a search no title matches reads every title once, for the page and for the count
    const searchedAt = performance.now();
    expect(await listJobPage({ q: "no such job" })).toMatchObject({ jobs: [], total: 0 });
    console.log(
      `[measure] a search that matches none of 100,000 jobs: ${(performance.now() - searchedAt).toFixed(1)} ms`,
    );
  });
});

describe("the jobs list sorted by title", () => {
  it("sorts regardless of case, and keyset pages through equal keys without losing or repeating a job", async () => {
    const titles = [
      "casecheck Zebra",
      "casecheck apple",
      "casecheck Banana",
      "casecheck APPLE",
      "casecheck mango",
      "casecheck Apple",
    ];
    for (const title of titles) await createJob({ title });
    const pages = await allPages({ q: "casecheck", sort: "title" }, 2);
    expect(pages.map((page) => page.jobs.length)).toEqual([2, 2, 2]);
    const listed = pages.flatMap((page) => page.jobs);
    expect(new Set(listed.map((job) => job.id)).size).toBe(titles.length);
    expect(listed.map((job) => job.title.toLowerCase())).toEqual([
      "casecheck apple",
      "casecheck apple",
      "casecheck apple",
      "casecheck banana",
      "casecheck mango",
      "casecheck zebra",
    ]);
  });
});
