import "server-only";
import { db } from "@/server/db";

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

export async function listJobs(args: { limit?: number } = {}): Promise<TJobListEntry[]> {
  const jobs = await db.job.findMany({
    // a batch still being stored is not a job yet
    where: { status: { not: "creating" } },
    orderBy: { createdAt: "desc" },
    take: args.limit ?? 200,
    include: { createdBy: { select: { name: true, email: true } } },
  });
  if (jobs.length === 0) return [];
  const counts = await db.imageItem.groupBy({
    by: ["jobId", "state"],
    where: {
      jobId: { in: jobs.map((j) => j.id) },
      state: { in: ["downloaded", "duplicate", "failed", "cancelled"] },
    },
    _count: { _all: true },
  });
  const reportCounts = await db.reportRunItem.groupBy({
    by: ["jobId", "state"],
    where: {
      jobId: { in: jobs.map((j) => j.id) },
      state: { in: ["succeeded", "failed", "cancelled"] },
    },
    _count: { _all: true },
  });
  return jobs.map((job) => {
    const of = (states: string[]) =>
      [...counts, ...reportCounts]
        .filter((c) => c.jobId === job.id && states.includes(c.state))
        .reduce((n, c) => n + c._count._all, 0);
    return {
      id: job.id,
      title: job.title,
      kind: job.kind,
      status: job.status,
      createdAt: job.createdAt.toISOString(),
      finishedAt: job.finishedAt?.toISOString() ?? null,
      createdBy: job.createdBy.name || job.createdBy.email,
      totalItems: job.totalItems,
      done: of(["downloaded", "duplicate", "succeeded", "failed"]),
      failed: of(["failed"]),
      cancelled: of(["cancelled"]),
    };
  });
}
