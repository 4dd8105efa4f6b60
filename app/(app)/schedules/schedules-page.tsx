"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import Link from "next/link";
import { useState } from "react";
import type { TScheduleView } from "@/server/services/schedules/schedules";
import { RunHistory } from "../../_components/run-history";
import { useFeedback } from "../../_components/feedback";
import { describeBulkOutcome } from "../../_components/bulk-outcome";
import { useTRPC } from "../../_components/trpc";
import { BROWSER_TIME_ZONE, formatIn } from "../../_components/format-time";
import {
  byName,
  byNewest,
  LoadedListControls,
  matchesSearch,
  NoMatches,
  useLoadedList,
} from "../../_components/list-controls";
import { Alert, Button, ButtonLink, Card, PageTitle, StatusBadge } from "../../_components/ui";
import { ScheduleForm } from "./schedule-form";
import { useCan } from "../../_components/role";
import { Authorship } from "../../_components/authorship";

const OUTCOME_WORDS: Record<string, string> = {
  started: "started a run",
  skipped_overlap: "skipped: the previous run was still going",
  skipped_misfire: "skipped: missed while the app was down",
  failed_to_start: "could not start a run",
};

const zoneOf = (schedule: TScheduleView) =>
  schedule.kind === "cron" ? schedule.timing.timeZone : BROWSER_TIME_ZONE;

const TIMING_KINDS: Record<string, string> = { interval: "Every N minutes", cron: "Cron" };
const STATE_FILTERS: Record<string, string> = { enabled: "Active", paused: "Paused" };
const LAST_RUN_FILTERS: Record<string, string> = {
  completed: "Completed",
  completed_with_errors: "Completed with failures",
  failed: "Failed",
  cancelled: "Cancelled",
  active: "Running now",
  never: "Never ran",
};
const SCHEDULE_SORTS: Record<string, string> = {
  name: "Name A–Z",
  next_run: "Next run",
  last_run: "Last run",
  changed: "Last changed",
};
type TScheduleQuery = Record<"q" | "kind" | "status" | "run" | "sort", string>;

function lastRunFilterOf(schedule: TScheduleView): string {
  if (!schedule.lastJob) return "never";
  const { status } = schedule.lastJob;
  return status in LAST_RUN_FILTERS ? status : "active";
}

/** The schedules that match the list's search and filters, in its sort order. */
function shownSchedules(all: TScheduleView[], query: TScheduleQuery) {
  const shown = all.filter(
    (s) =>
      matchesSearch(s.name, query.q) &&
      (!query.kind || s.kind === query.kind) &&
      (!query.status || (query.status === "enabled") === s.isEnabled) &&
      (!query.run || lastRunFilterOf(s) === query.run),
  );
  // a paused schedule has no next run: it goes last
  const nextRun = (s: TScheduleView) =>
    s.isEnabled && s.nextRunAt ? new Date(s.nextRunAt).getTime() : Infinity;
  if (query.sort === "next_run") return shown.sort((a, b) => nextRun(a) - nextRun(b));
  if (query.sort === "last_run")
    return shown.sort((a, b) => byNewest(a.lastJob?.createdAt, b.lastJob?.createdAt));
  if (query.sort === "changed") return shown.sort((a, b) => byNewest(a.updatedAt, b.updatedAt));
  return shown.sort(byName);
}

export function SchedulesPage() {
  const { confirm, toast } = useFeedback();
  const trpc = useTRPC();
  const canRun = useCan("run");
  const queryClient = useQueryClient();
  const schedules = useQuery({ ...trpc.schedules.list.queryOptions(), refetchInterval: 15_000 });
  const [editing, setEditing] = useState<TScheduleView | "new" | null>(null);
  const [historyOf, setHistoryOf] = useState<string | null>(null);
  const invalidate = () =>
    queryClient.invalidateQueries({ queryKey: trpc.schedules.list.queryKey() });
  const setEnabled = useMutation(
    trpc.schedules.setEnabled.mutationOptions({ onSettled: invalidate }),
  );
  const remove = useMutation(trpc.schedules.delete.mutationOptions({ onSettled: invalidate }));
  const duplicate = useMutation(
    trpc.schedules.duplicate.mutationOptions({
      onSuccess: ({ name }) => toast(`Copied as “${name}”, paused: resume it when it is ready.`),
      onSettled: invalidate,
    }),
  );
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const setEnabledMany = useMutation(
    trpc.schedules.setEnabledMany.mutationOptions({
      onSuccess: (outcome, input) => {
        const { text, isAllDone } = describeBulkOutcome(
          input.isEnabled ? "Resumed" : "Paused",
          "schedule",
          outcome,
        );
        toast(text, isAllDone ? "success" : "error");
        setSelected(new Set());
      },
      onSettled: invalidate,
    }),
  );
  const router = useRouter();
  const runNow = useMutation(
    trpc.schedules.runNow.mutationOptions({
      onSuccess: ({ jobId }) => router.push(`/jobs/${jobId}`),
    }),
  );
  const actionError =
    setEnabled.error ?? remove.error ?? runNow.error ?? duplicate.error ?? setEnabledMany.error;
  const list = useLoadedList(["kind", "status", "run"] as const);
  const all = schedules.data ?? [];
  const shown = shownSchedules(all, list.query);
  const selectedIds = shown.filter((s) => selected.has(s.id)).map((s) => s.id);

  return (
    <div>
      <PageTitle
        title="Schedules"
        subtitle="Report runs and pipelines that start by themselves, with their files delivered where you choose. One app process fires each time, even when several run."
        actions={
          <>
            <ButtonLink href="/alerts">Alerts sent</ButtonLink>
            {canRun && (
              <Button variant="primary" onClick={() => setEditing("new")}>
                Add schedule
              </Button>
            )}
          </>
        }
      />
      {editing && (
        <Card className="mb-5">
          <ScheduleForm
            schedule={editing === "new" ? null : editing}
            onDone={() => {
              setEditing(null);
              void invalidate();
            }}
          />
        </Card>
      )}
      {actionError && (
        <div className="mb-3">
          <Alert>{actionError.message}</Alert>
        </div>
      )}
      {all.length > 0 && (
        <>
          <LoadedListControls
            list={list}
            filters={[
              { key: "kind", label: "Timing", anyLabel: "All", options: TIMING_KINDS },
              { key: "status", label: "State", anyLabel: "Any", options: STATE_FILTERS },
              { key: "run", label: "Last run", anyLabel: "Any", options: LAST_RUN_FILTERS },
            ]}
            sorts={SCHEDULE_SORTS}
            shown={shown.length}
            total={all.length}
            noun={["schedule", "schedules"]}
          />
        </>
      )}
      {canRun && selectedIds.length > 0 && (
        <div
          className="mb-2 flex flex-wrap items-center gap-2 rounded-lg border border-brand-200 bg-brand-50 px-3 py-2 text-sm"
          data-testid="bulk-bar"
        >
          <span className="mr-auto font-medium">
            {selectedIds.length === 1 ? "1 schedule" : `${selectedIds.length} schedules`} selected
          </span>
          <Button
            disabled={setEnabledMany.isPending}
            onClick={() => setEnabledMany.mutate({ ids: selectedIds, isEnabled: false })}
          >
            Pause
          </Button>
          <Button
            disabled={setEnabledMany.isPending}
            onClick={() => setEnabledMany.mutate({ ids: selectedIds, isEnabled: true })}
          >
            Resume
          </Button>
          <Button onClick={() => setSelected(new Set())}>Clear selection</Button>
        </div>
      )}
      <Card padding="none" className="overflow-x-auto">
        {schedules.isLoading && <p className="p-6 text-sm text-slate-500">Loading…</p>}
        {schedules.data?.length === 0 && (
          <p className="p-6 text-sm text-slate-500">
            No schedules yet. A schedule runs a set of{" "}
            <Link href="/reports" className="text-brand-600 hover:underline">
              reports
            </Link>{" "}
            every N minutes or on a cron expression.
          </p>
        )}
        {all.length > 0 && shown.length === 0 && (
          <NoMatches nouns="schedules" onClear={list.clearFilters} />
        )}
        <ul className="divide-y divide-slate-100">
          {shown.map((schedule) => (
            <li
              key={schedule.id}
              className="grid gap-3 px-4 py-3 lg:grid-cols-[minmax(0,1.2fr)_minmax(0,1fr)_minmax(0,1fr)_auto] lg:items-center"
              data-testid="schedule-row"
            >
              <div className="min-w-0">
                <p className="flex items-center gap-2 font-medium">
                  {canRun && (
                    <input
                      type="checkbox"
                      className="h-4 w-4 shrink-0"
                      aria-label={`Select ${schedule.name}`}
                      checked={selected.has(schedule.id)}
                      onChange={() =>
                        setSelected((now) => {
                          const next = new Set(now);
                          if (!next.delete(schedule.id)) next.add(schedule.id);
                          return next;
                        })
                      }
                    />
                  )}
                  <span className="truncate" title={schedule.name}>
                    {schedule.name}
                  </span>
                  {!schedule.isEnabled && (
                    <span className="ml-2 rounded bg-slate-200 px-1.5 py-0.5 text-xs text-slate-700">
                      paused
                    </span>
                  )}
                </p>
                <p className="text-xs text-slate-500">{schedule.description}</p>
                <p
                  className="truncate text-xs text-slate-500"
                  title={schedule.reports.map((r) => r.name).join(", ")}
                >
                  {schedule.pipeline
                    ? `the pipeline ${schedule.pipeline.name}`
                    : `${schedule.reports.length} report${schedule.reports.length === 1 ? "" : "s"}: ${schedule.reports.map((r) => r.name).join(", ")}`}
                </p>
                {schedule.deliverToNames.length > 0 && (
                  <p className="truncate text-xs text-slate-500" data-testid="schedule-delivers-to">
                    files delivered to {schedule.deliverToNames.join(", ")}
                  </p>
                )}
                <Authorship of={schedule} />
              </div>
              <div className="text-sm">
                <p className="text-xs text-slate-500">Next run</p>
                <p className="tabular-nums" data-testid="schedule-next-run">
                  {schedule.isEnabled && schedule.nextRunAt
                    ? `${formatIn(new Date(schedule.nextRunAt), zoneOf(schedule))} (${zoneOf(schedule)})`
                    : "—"}
                </p>
                <p className="text-xs text-slate-500">
                  missed runs: {schedule.misfirePolicy === "skip" ? "skipped" : "run once"} ·
                  overlapping runs: skipped
                </p>
              </div>
              <div className="text-sm">
                <p className="text-xs text-slate-500">Last result</p>
                {schedule.lastJob ? (
                  <Link
                    href={`/jobs/${schedule.lastJob.id}`}
                    className="inline-flex items-center gap-2 hover:underline"
                  >
                    <StatusBadge status={schedule.lastJob.status} />
                    <span className="text-xs text-slate-500">
                      {new Date(schedule.lastJob.createdAt).toLocaleString()}
                    </span>
                  </Link>
                ) : (
                  <p className="text-xs text-slate-500">never ran</p>
                )}
                {schedule.lastOutcome && schedule.lastOutcome !== "started" && (
                  <p className="text-xs text-amber-700">
                    last time: {OUTCOME_WORDS[schedule.lastOutcome] ?? schedule.lastOutcome}
                  </p>
                )}
              </div>
              <div className="flex flex-wrap gap-2">
                <Button
                  aria-expanded={historyOf === schedule.id}
                  onClick={() => setHistoryOf(historyOf === schedule.id ? null : schedule.id)}
                >
                  History
                </Button>
                {canRun && (
                  <>
                    <Button
                      variant="primary"
                      disabled={runNow.isPending}
                      onClick={() => runNow.mutate({ id: schedule.id })}
                    >
                      Run now
                    </Button>
                    <Button
                      onClick={() =>
                        setEnabled.mutate({ id: schedule.id, isEnabled: !schedule.isEnabled })
                      }
                    >
                      {schedule.isEnabled ? "Pause" : "Resume"}
                    </Button>
                    <Button onClick={() => setEditing(schedule)}>Edit</Button>
                    <Button
                      disabled={duplicate.isPending}
                      onClick={() => duplicate.mutate({ id: schedule.id })}
                    >
                      Duplicate
                    </Button>
                    <Button
                      variant="danger"
                      onClick={() =>
                        void confirm({
                          title: `Delete the schedule “${schedule.name}”?`,
                          body: "Its past runs and their files stay.",
                          confirmLabel: "Delete schedule",
                        }).then((isYes) => isYes && remove.mutate({ id: schedule.id }))
                      }
                    >
                      Delete
                    </Button>
                  </>
                )}
              </div>
              {historyOf === schedule.id && (
                <div className="lg:col-span-4">
                  <RunHistory of="schedule" id={schedule.id} />
                </div>
              )}
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}
