"use client";

import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import Link from "next/link";
import {
  JOB_COUNT_CAP,
  JOB_KIND_LABELS,
  JOB_PAGE_SIZE,
  JOB_SORT_LABELS,
  JOB_STATUS_LABELS,
  jobFiltersFromQuery,
} from "@/server/services/jobs/job-list-query";
import {
  ListToolbar,
  NoMatches,
  SearchBox,
  SelectFilter,
  useListQuery,
} from "../../_components/list-controls";
import { useTRPC } from "../../_components/trpc";
import {
  Button,
  ButtonLink,
  Card,
  PageTitle,
  ProgressBar,
  StatusBadge,
} from "../../_components/ui";
import { isJobKindName } from "@/server/jobs/job-kind-names";
import { useCan } from "../../_components/role";
import { useFeedback } from "../../_components/feedback";
import { describeBulkOutcome } from "../../_components/bulk-outcome";

const LIST_KEYS = ["q", "kind", "status", "sort"] as const;
const MOVING = ["queued", "running", "paused"];

export function JobsList() {
  const trpc = useTRPC();
  const canRun = useCan("run");
  const [query, setQuery] = useListQuery(LIST_KEYS);
  const filters = jobFiltersFromQuery({ get: (key) => query[key as keyof typeof query] ?? null });
  const isFiltered = Boolean(filters.q || filters.kind || filters.status);
  const clearFilters = () => setQuery({ q: "", kind: "", status: "" });
  const jobs = useInfiniteQuery({
    ...trpc.jobs.page.infiniteQueryOptions(filters, {
      getNextPageParam: (page) => page.nextCursor,
    }),
    // only poll while something shown is moving; every loaded page is read again by its cursor
    refetchInterval: (q) =>
      q.state.data?.pages.some((page) => page.jobs.some((j) => MOVING.includes(j.status)))
        ? 2000
        : 15000,
  });
  const pages = jobs.data?.pages ?? [];
  const shown = pages.flatMap((page) => page.jobs);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const shownSelected = shown.filter((job) => selected.has(job.id));
  const toggle = (id: string) =>
    setSelected((now) => {
      const next = new Set(now);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const first = pages[0];
  const totalText = first
    ? first.isTotalCapped
      ? `more than ${JOB_COUNT_CAP.toLocaleString()}`
      : first.total.toLocaleString()
    : "";

  return (
    <div>
      <PageTitle
        title="Jobs"
        subtitle="Every image batch and report run."
        actions={
          canRun && (
            <>
              <ButtonLink href="/batches/new" variant="primary">
                New batch
              </ButtonLink>
            </>
          )
        }
      />
      <ListToolbar>
        <SearchBox
          label="Search"
          placeholder="Part of a title, or a whole product number"
          value={filters.q}
          onSearch={(q) => setQuery({ q })}
        />
        <SelectFilter
          label="Kind"
          anyLabel="All kinds"
          value={filters.kind ?? ""}
          options={JOB_KIND_LABELS}
          onChange={(kind) => setQuery({ kind })}
        />
        <SelectFilter
          label="Status"
          anyLabel="Any status"
          value={filters.status ?? ""}
          options={JOB_STATUS_LABELS}
          onChange={(status) => setQuery({ status })}
        />
        <SelectFilter
          label="Sort"
          value={filters.sort}
          options={JOB_SORT_LABELS}
          onChange={(sort) => setQuery({ sort: sort === "newest" ? "" : sort })}
        />
      </ListToolbar>
      {first && (first.total > 0 || !isFiltered) && (
        <p
          className="mb-2 flex flex-wrap items-center gap-x-3 text-sm text-slate-600"
          aria-live="polite"
        >
          <span data-testid="list-count">
            {first.total === 0
              ? "No jobs yet."
              : `Showing ${shown.length.toLocaleString()} of ${totalText} ${isFiltered ? "matching jobs" : "jobs"}`}
          </span>
          {isFiltered && (
            <button type="button" onClick={clearFilters} className="text-brand-600 hover:underline">
              Clear filters
            </button>
          )}
        </p>
      )}
      {canRun && shownSelected.length > 0 && (
        <BulkBar
          ids={shownSelected.map((job) => job.id)}
          onDone={(remaining) => setSelected(new Set(remaining))}
        />
      )}
      <Card padding="none">
        {jobs.isLoading && <p className="p-6 text-sm text-slate-500">Loading…</p>}
        {jobs.error && <p className="p-6 text-sm text-red-700">{jobs.error.message}</p>}
        {first?.total === 0 &&
          (isFiltered ? (
            <NoMatches nouns="jobs" onClear={clearFilters} />
          ) : (
            <p className="p-6 text-sm text-slate-500">
              No jobs yet.
              {canRun && (
                <>
                  {" "}
                  <Link href="/batches/new" className="text-brand-600 hover:underline">
                    Start a batch
                  </Link>
                  .
                </>
              )}
            </p>
          ))}
        <ul className="divide-y divide-slate-100">
          {shown.map((job) => (
            <li key={job.id} data-testid="job-row" className="flex items-stretch">
              {canRun && (
                <label className="flex shrink-0 cursor-pointer items-center pl-4">
                  <input
                    type="checkbox"
                    checked={selected.has(job.id)}
                    onChange={() => toggle(job.id)}
                    aria-label={`Select ${job.title}`}
                    className="h-4 w-4"
                  />
                </label>
              )}
              <Link
                href={`/jobs/${job.id}`}
                className="grid min-w-0 flex-1 gap-2 px-4 py-3 hover:bg-slate-50 sm:grid-cols-[minmax(0,1fr)_10rem_14rem] sm:items-center"
              >
                <div className="min-w-0">
                  <p className="truncate font-medium">{job.title}</p>
                  <p className="text-xs text-slate-500">
                    {isJobKindName(job.kind) ? JOB_KIND_LABELS[job.kind] : job.kind} ·{" "}
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
        {jobs.hasNextPage && (
          <div className="flex justify-center border-t border-slate-100 p-3">
            <Button onClick={() => void jobs.fetchNextPage()} disabled={jobs.isFetchingNextPage}>
              {jobs.isFetchingNextPage
                ? "Loading…"
                : `Load ${first && !first.isTotalCapped ? Math.max(1, Math.min(JOB_PAGE_SIZE, first.total - shown.length)) : JOB_PAGE_SIZE} more`}
            </Button>
          </div>
        )}
      </Card>
    </div>
  );
}

/** What can be done to the selected jobs at once; each refusal is told, the rest is done. */
function BulkBar({ ids, onDone }: { ids: string[]; onDone: (remaining: string[]) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { confirm, toast } = useFeedback();
  const settle = (verb: string) => ({
    onSuccess: (outcome: { done: number; refused: Array<{ id: string; reason: string }> }) => {
      const { text, isAllDone } = describeBulkOutcome(verb, "job", outcome);
      toast(text, isAllDone ? "success" : "error");
      onDone(outcome.refused.map((r) => r.id));
    },
    onError: (error: { message: string }) => toast(error.message, "error"),
    onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.jobs.page.pathKey() }),
  });
  const retry = useMutation(trpc.jobs.retryMany.mutationOptions(settle("Retried")));
  const remove = useMutation(trpc.jobs.deleteMany.mutationOptions(settle("Deleted")));
  const count = ids.length === 1 ? "1 job" : `${ids.length} jobs`;
  return (
    <div
      className="sticky top-16 z-10 mb-2 flex flex-wrap items-center gap-2 rounded-lg border border-brand-200 bg-brand-50 px-3 py-2 text-sm"
      data-testid="bulk-bar"
    >
      <span className="mr-auto font-medium">{count} selected</span>
      <Button
        disabled={retry.isPending}
        onClick={() => retry.mutate({ ids })}
        title="Put each job's failed images or reports back in line (not the permanent failures)"
      >
        Retry failed
      </Button>
      <Button
        variant="danger"
        disabled={remove.isPending}
        onClick={() =>
          void confirm({
            title: `Delete ${count} and their files?`,
            body: "Running jobs are stopped first. Files another job also uses are kept.",
            confirmLabel: `Delete ${count}`,
          }).then((isYes) => isYes && remove.mutate({ ids }))
        }
      >
        Delete
      </Button>
      <Button onClick={() => onDone([])}>Clear selection</Button>
    </div>
  );
}
