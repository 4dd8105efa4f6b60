"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { BROWSER_TIME_ZONE, formatIn } from "../_components/format-time";
import { useTRPC } from "../_components/trpc";
import {
  ButtonLink,
  Card,
  LoadProblem,
  Loading,
  PageTitle,
  ProgressBar,
  StatusBadge,
} from "../_components/ui";
import { JOB_KIND_NOUNS, isJobKindName } from "@/server/jobs/job-kind-names";
import { useCan } from "../_components/role";
import { GettingStarted } from "./getting-started";

/** The first page: what failed lately, what runs next, what ran last. */
export function Dashboard() {
  const trpc = useTRPC();
  const canRun = useCan("run");
  const failed = useQuery({ ...trpc.schedules.failedRuns.queryOptions(), refetchInterval: 30_000 });
  const schedules = useQuery({ ...trpc.schedules.list.queryOptions(), refetchInterval: 30_000 });
  const jobs = useQuery({ ...trpc.jobs.list.queryOptions(), refetchInterval: 10_000 });
  const upcoming = (schedules.data ?? [])
    .filter((s) => s.isEnabled && s.nextRunAt)
    .sort((a, b) => new Date(a.nextRunAt!).getTime() - new Date(b.nextRunAt!).getTime())
    .slice(0, 5);

  return (
    <div>
      <PageTitle
        title="Dashboard"
        actions={
          <>
            {canRun && (
              <>
                <ButtonLink href="/batches/new">New image batch</ButtonLink>
                <ButtonLink href="/reports" variant="primary">
                  Run reports
                </ButtonLink>
              </>
            )}
          </>
        }
      />
      {failed.data && failed.data.length > 0 && (
        <section
          className="mb-5 rounded-xl border border-red-200 bg-red-50 p-4"
          role="alert"
          data-testid="failed-scheduled-runs"
        >
          <h2 className="font-semibold text-red-800">
            {failed.data.length} scheduled run{failed.data.length === 1 ? "" : "s"} failed in the
            last 7 days
          </h2>
          <ul className="mt-2 space-y-1 text-sm">
            {failed.data.slice(0, 5).map((run) => (
              <li key={run.jobId}>
                <Link href={`/jobs/${run.jobId}`} className="text-red-800 underline">
                  {run.scheduleName}
                  {run.exportTitle ? `: the export ${run.exportTitle}` : ""}
                </Link>{" "}
                <span className="text-red-700">
                  {run.status.replaceAll("_", " ")} · {new Date(run.createdAt).toLocaleString()}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
      <GettingStarted />
      <div className="grid gap-5 lg:grid-cols-2">
        <Card>
          <div className="flex items-center justify-between">
            <h2 className="font-semibold">Next scheduled runs</h2>
            <Link href="/schedules" className="text-sm text-brand-600 hover:underline">
              Schedules
            </Link>
          </div>
          {/* "nothing scheduled" only once the list is in: while loading it would be a false claim */}
          {schedules.isPending ? (
            <Loading>Loading the schedules…</Loading>
          ) : schedules.isError ? (
            <LoadProblem>Could not load the schedules: {schedules.error.message}</LoadProblem>
          ) : upcoming.length === 0 ? (
            <p className="mt-3 text-sm text-slate-600">Nothing scheduled.</p>
          ) : (
            <ul className="mt-3 divide-y divide-slate-100 text-sm">
              {upcoming.map((s) => (
                <li key={s.id} className="flex flex-wrap justify-between gap-x-3 gap-y-0.5 py-2">
                  <span className="min-w-0 [overflow-wrap:anywhere]">{s.name}</span>
                  <span className="tabular-nums text-slate-600">
                    {formatIn(
                      new Date(s.nextRunAt!),
                      s.kind === "cron" ? s.timing.timeZone : BROWSER_TIME_ZONE,
                    )}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card>
          <div className="flex items-center justify-between">
            <h2 className="font-semibold">Recent jobs</h2>
            <Link href="/jobs" className="text-sm text-brand-600 hover:underline">
              All jobs
            </Link>
          </div>
          {jobs.isPending && <Loading>Loading the jobs…</Loading>}
          {jobs.isError && <LoadProblem>Could not load the jobs: {jobs.error.message}</LoadProblem>}
          {jobs.data?.length === 0 && <p className="mt-3 text-sm text-slate-600">No jobs yet.</p>}
          <ul className="mt-3 divide-y divide-slate-100 text-sm">
            {jobs.data?.slice(0, 6).map((job) => (
              // on a phone the title has a line of its own, the status and progress go under it
              <li
                key={job.id}
                className="grid grid-cols-[auto_minmax(0,1fr)] items-center gap-x-3 gap-y-1.5 py-2 sm:grid-cols-[minmax(0,1fr)_10rem_6rem]"
                data-testid="recent-job"
              >
                <Link
                  href={`/jobs/${job.id}`}
                  className="col-span-2 [overflow-wrap:anywhere] hover:underline sm:col-span-1"
                >
                  {isJobKindName(job.kind) ? `${JOB_KIND_NOUNS[job.kind]}: ` : ""}
                  {job.title}
                </Link>
                <StatusBadge status={job.status} />
                <ProgressBar
                  value={job.done}
                  total={job.totalItems}
                  label={`Progress of ${job.title}`}
                />
              </li>
            ))}
          </ul>
        </Card>
      </div>
    </div>
  );
}
