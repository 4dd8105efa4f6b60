import "server-only";
import { db, Prisma } from "@/server/db";
import { likeAnyCase } from "@/server/db-dialect";
import { AppError } from "@/server/errors";
import { z } from "zod";
import {
  JOB_COUNT_CAP,
  JOB_KIND_LABELS,
  JOB_PAGE_SIZE,
  JOB_SORT_LABELS,
  JOB_STATUS_LABELS,
  type TJobListFilters,
} from "./job-list-query";
import { isJobKindName } from "@/server/jobs/job-kind-names";
import type { TEndedItems } from "./job-kind";
import { JOB_KINDS } from "./job-kinds";

type TKeys<T> = [keyof T & string, ...(keyof T & string)[]];
const keysOf = <T extends object>(labels: T) => Object.keys(labels) as TKeys<T>;

export const ZJobListFilters = z.object({
  q: z.string().trim().max(200, "The search is longer than 200 characters.").default(""),
  kind: z.enum(keysOf(JOB_KIND_LABELS)).optional(),
  status: z.enum(keysOf(JOB_STATUS_LABELS)).optional(),
  sort: z.enum(keysOf(JOB_SORT_LABELS)).default("newest"),
});

export const ZJobPageInput = ZJobListFilters.extend({
  cursor: z.string().max(1000).nullish(),
  limit: z.number().int().min(1).max(200).default(JOB_PAGE_SIZE),
});
export type TJobPageInput = z.input<typeof ZJobPageInput>;

export type TJobListEntry = {
  id: string;
  title: string;
  kind: string;
  status: string;
  createdAt: string;
  finishedAt: string | null;
  createdBy: string;
  totalItems: number;
  /** items that reached an outcome (downloaded, duplicate, succeeded, failed); not cancelled ones */
  done: number;
  failed: number;
  cancelled: number;
};

export type TJobPage = {
  jobs: TJobListEntry[];
  /** null on the last page */
  nextCursor: string | null;
  /** jobs that match the filters, counted up to JOB_COUNT_CAP */
  total: number;
  isTotalCapped: boolean;
};

/** The newest jobs, for the dashboard. */
export async function listJobs(args: { limit?: number } = {}): Promise<TJobListEntry[]> {
  const page = await listJobPage({ limit: args.limit ?? 20 }, { withTotal: false });
  return page.jobs;
}

type TJobRow = {
  id: string;
  title: string;
  kind: string;
  status: string;
  createdAt: Date | string;
  finishedAt: Date | string | null;
  totalItems: number | bigint;
  creatorName: string | null;
  creatorEmail: string | null;
  sortKey: string;
};

/**
 * One page of the Jobs list. Pages are keyset pages on (createdAt, id) or (titleSortKey, id): a job created
 * while someone pages through the list moves nothing under their cursor, and no page reads the jobs
 * before it.
 */
export async function listJobPage(
  raw: TJobPageInput,
  options: { withTotal?: boolean } = {},
): Promise<TJobPage> {
  const input = ZJobPageInput.parse(raw);
  const after = input.cursor ? decodeCursor(input.cursor) : null;
  const rows = await db.$queryRaw<TJobRow[]>(jobPageStatement(input, after, input.limit + 1));
  const pageRows = rows.slice(0, input.limit);
  const last = pageRows.at(-1);
  const nextCursor =
    rows.length > input.limit && last ? encodeCursor({ key: last.sortKey, id: last.id }) : null;
  const total =
    options.withTotal === false ? pageRows.length : await countJobs(input, JOB_COUNT_CAP + 1);
  return {
    jobs: await withProgress(pageRows),
    nextCursor,
    total: Math.min(total, JOB_COUNT_CAP),
    isTotalCapped: total > JOB_COUNT_CAP,
  };
}

export type TJobCursor = { key: string; id: string };

function encodeCursor(cursor: TJobCursor): string {
  return Buffer.from(JSON.stringify([cursor.key, cursor.id])).toString("base64url");
}

function decodeCursor(text: string): TJobCursor {
  try {
    const [key, id] = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as unknown[];
    if (typeof key === "string" && typeof id === "string") return { key, id };
  } catch {
    // answered below
  }
  throw new AppError("BAD_REQUEST", "This page of the jobs list is out of date; reload the list.");
}

function filterConditions(filters: TJobListFilters): Prisma.Sql[] {
  const conditions: Prisma.Sql[] = [
    // a batch still being stored is not a job yet
    filters.status
      ? Prisma.sql`j."status" = ${filters.status}`
      : Prisma.sql`j."status" <> 'creating'`,
  ];
  if (filters.kind) conditions.push(Prisma.sql`j."kind" = ${filters.kind}`);
  if (filters.q) {
    const pattern = `%${filters.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // a product number matches whole, through the (jobId, number) index each batch already has:
    // no index of its own, which every product of every new batch would have to write
    conditions.push(Prisma.sql`(j."title" ${likeAnyCase} ${pattern} ESCAPE '\\' OR EXISTS (
      SELECT 1 FROM "Product" p WHERE p."jobId" = j."id" AND p."number" = ${filters.q}))`);
  }
  return conditions;
}

/**
 * The page query as a statement of its own, so a test can check that SQLite walks an index in
 * list order (one of Job's (…, createdAt, id) or (titleSortKey, id) indexes) instead of sorting the table.
 */
export function jobPageStatement(
  filters: TJobListFilters,
  after: TJobCursor | null,
  limit: number,
): Prisma.Sql {
  const conditions = filterConditions(filters);
  // CAST: the cursor carries the stored text itself, so equal times compare equal
  const [keyColumn, sortKey, direction] =
    filters.sort === "title"
      ? // the lower-cased key, so "apple" comes before "Zebra"; its own index keeps pages in order
        [Prisma.sql`j."titleSortKey"`, Prisma.sql`j."titleSortKey"`, "asc"]
      : [
          Prisma.sql`j."createdAt"`,
          Prisma.sql`CAST(j."createdAt" AS TEXT)`,
          filters.sort === "oldest" ? "asc" : "desc",
        ];
  if (after) {
    conditions.push(
      direction === "asc"
        ? Prisma.sql`(${keyColumn}, j."id") > (${after.key}, ${after.id})`
        : Prisma.sql`(${keyColumn}, j."id") < (${after.key}, ${after.id})`,
    );
  }
  const order =
    direction === "asc"
      ? Prisma.sql`${keyColumn} ASC, j."id" ASC`
      : Prisma.sql`${keyColumn} DESC, j."id" DESC`;
  return Prisma.sql`
    SELECT j."id", j."title", j."kind", j."status", j."createdAt", j."finishedAt", j."totalItems",
      u."name" AS "creatorName", u."email" AS "creatorEmail", ${sortKey} AS "sortKey"
    FROM "Job" j LEFT JOIN "user" u ON u."id" = j."createdById"
    WHERE ${Prisma.join(conditions, " AND ")}
    ORDER BY ${order}
    LIMIT ${limit}`;
}

/** Counts the jobs that match, reading at most `cap` of them. */
export function jobCountStatement(filters: TJobListFilters, cap: number): Prisma.Sql {
  return Prisma.sql`
    SELECT count(*) AS "n" FROM (
      SELECT 1 FROM "Job" j WHERE ${Prisma.join(filterConditions(filters), " AND ")} LIMIT ${cap}
    ) AS "matching"`;
}

async function countJobs(filters: TJobListFilters, cap: number): Promise<number> {
  const [row] = await db.$queryRaw<{ n: number | bigint }[]>(jobCountStatement(filters, cap));
  return Number(row?.n ?? 0);
}

const isoOf = (value: Date | string) => new Date(value).toISOString();

async function withProgress(jobs: TJobRow[]): Promise<TJobListEntry[]> {
  if (jobs.length === 0) return [];
  // each kind counts its own items, once for all its jobs on the page
  const ended = new Map<string, TEndedItems>();
  for (const kind of new Set(jobs.map((job) => job.kind))) {
    const ids = jobs.filter((job) => job.kind === kind).map((job) => job.id);
    if (isJobKindName(kind))
      for (const row of await JOB_KINDS[kind].countEndedItems(ids)) ended.set(row.jobId, row);
  }
  return jobs.map((job) => {
    const counts = ended.get(job.id);
    return {
      id: job.id,
      title: job.title,
      kind: job.kind,
      status: job.status,
      createdAt: isoOf(job.createdAt),
      finishedAt: job.finishedAt === null ? null : isoOf(job.finishedAt),
      createdBy: job.creatorName || job.creatorEmail || "",
      totalItems: Number(job.totalItems),
      done: counts?.done ?? 0,
      failed: counts?.failed ?? 0,
      cancelled: counts?.cancelled ?? 0,
    };
  });
}
