"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../../_components/trpc";
import { ButtonLink, Card, PageTitle, ProgressBar, StatusBadge } from "../../_components/ui";

export function JobsList() {
  const trpc = useTRPC();
  const jobs = useQuery({
    ...trpc.jobs.list.queryOptions(),
    // only poll while something is moving
    refetchInterval: (query) =>
      query.state.data?.some((j) => ["queued", "running", "paused"].includes(j.status))
        ? 2000
        : 15000,
  });

  return (
    <div>
      <PageTitle
        title="Jobs"
        subtitle="Every image batch and report run, newest first."
        actions={
          <ButtonLink href="/batches/new" variant="primary">
            New batch
          </ButtonLink>
        }
      />
      <Card className="p-0 sm:p-0">
        {jobs.isLoading && <p className="p-6 text-sm text-slate-500">Loading…</p>}
        {jobs.error && <p className="p-6 text-sm text-red-700">{jobs.error.message}</p>}
        {jobs.data?.length === 0 && (
          <p className="p-6 text-sm text-slate-500">
            No jobs yet.{" "}
            <Link href="/batches/new" className="text-brand-600 hover:underline">
              Start a batch
            </Link>
            .
          </p>
        )}
        <ul className="divide-y divide-slate-100">
          {jobs.data?.map((job) => (
            <li key={job.id}>
              <Link
                href={`/jobs/${job.id}`}
                className="grid gap-2 px-4 py-3 hover:bg-slate-50 sm:grid-cols-[minmax(0,1fr)_10rem_14rem] sm:items-center"
              >
                <div className="min-w-0">
                  <p className="truncate font-medium">{job.title}</p>
                  <p className="text-xs text-slate-500">
                    {new Date(job.createdAt).toLocaleString()} · {job.createdBy}
                  </p>
                </div>
                <div>
                  <StatusBadge status={job.status} />
                </div>
                <div>
                  <ProgressBar
                    value={job.done}
                    total={job.totalItems}
                    label={`Progress of ${job.title}`}
                  />
                  <p className="mt-1 text-xs tabular-nums text-slate-500">
                    {job.done.toLocaleString()} / {job.totalItems.toLocaleString()} done
                    {job.failed > 0 && (
                      <span className="text-red-700"> · {job.failed.toLocaleString()} failed</span>
                    )}
                    {job.cancelled > 0 && ` · ${job.cancelled.toLocaleString()} cancelled`}
                  </p>
                </div>
              </Link>
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}
