"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Fragment, useState } from "react";
import type { TReportView } from "@/server/services/reports/reports";
import {
  byName,
  byNewest,
  LoadedListControls,
  matchesSearch,
  NoMatches,
  useLoadedList,
} from "../../_components/list-controls";
import { RunHistory } from "../../_components/run-history";
import { useCan } from "../../_components/role";
import { useFeedback } from "../../_components/feedback";
import { useTRPC } from "../../_components/trpc";
import { CONNECTOR_KIND_LABELS } from "@/server/connectors/kind-schemas";
import { Alert, Button, ButtonLink, Card, PageTitle, StatusBadge } from "../../_components/ui";
import { ImportPanel } from "./import-panel";
import { ReportForm } from "./report-form";
import { RunOptionsInputs } from "./run-options-inputs";
import { Authorship } from "../../_components/authorship";

const LAST_RUN_FILTERS: Record<string, string> = {
  succeeded: "Last run succeeded",
  failed: "Last run failed",
  cancelled: "Last run cancelled",
  active: "Running now",
  never: "Never run",
};
const REPORT_SORTS: Record<string, string> = {
  name: "Name A–Z",
  changed: "Last changed",
  last_run: "Last run",
};

function lastRunFilterOf(report: TReportView): string {
  if (!report.lastRun) return "never";
  const { state } = report.lastRun;
  return ["succeeded", "failed", "cancelled"].includes(state) ? state : "active";
}

/** The reports that match the list's search and filters, in its sort order. */
function shownReports(all: TReportView[], query: Record<"q" | "kind" | "status" | "sort", string>) {
  const shown = all.filter(
    (r) =>
      matchesSearch(r.name, query.q) &&
      (!query.kind || r.connectorKind === query.kind) &&
      (!query.status || lastRunFilterOf(r) === query.status),
  );
  if (query.sort === "changed") return shown.sort((a, b) => byNewest(a.updatedAt, b.updatedAt));
  if (query.sort === "last_run")
    return shown.sort((a, b) => byNewest(a.lastRun?.startedAt, b.lastRun?.startedAt));
  return shown.sort(byName);
}

export function ReportsPage() {
  const { confirm, toast } = useFeedback();
  const trpc = useTRPC();
  const canRun = useCan("run");
  const router = useRouter();
  const queryClient = useQueryClient();
  const reports = useQuery(trpc.reports.list.queryOptions());
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [historyOf, setHistoryOf] = useState<string | null>(null);
  const [editing, setEditing] = useState<TReportView | "new" | null>(null);
  const [isImporting, setImporting] = useState(false);
  const [maxConcurrency, setMaxConcurrency] = useState(4);
  const [maxAttempts, setMaxAttempts] = useState(5);
  const invalidate = () =>
    queryClient.invalidateQueries({ queryKey: trpc.reports.list.queryKey() });
  const run = useMutation(
    trpc.reports.run.mutationOptions({ onSuccess: ({ jobId }) => router.push(`/jobs/${jobId}`) }),
  );
  const remove = useMutation(
    trpc.reports.delete.mutationOptions({
      onSuccess: () => {
        setSelected(new Set());
        void invalidate();
      },
    }),
  );
  const duplicate = useMutation(
    trpc.reports.duplicate.mutationOptions({
      onSuccess: ({ name }) => toast(`Copied as “${name}”.`),
      onError: (error) => toast(error.message, "error"),
      onSettled: invalidate,
    }),
  );
  const all = reports.data ?? [];
  const list = useLoadedList(["kind", "status"] as const);
  const shown = shownReports(all, list.query);
  const isAllSelected = shown.length > 0 && shown.every((r) => selected.has(r.id));

  function toggle(id: string) {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  }

  return (
    <div>
      <PageTitle
        title="Reports"
        subtitle="Saved report definitions. Select some and run them now, or put them on a schedule."
        actions={
          <>
            {canRun && (
              <Button onClick={() => setImporting(!isImporting)}>Import request.json</Button>
            )}
            <ButtonLink
              href={`/api/reports/request-json${selected.size > 0 ? `?ids=${[...selected].join(",")}` : ""}`}
              download
            >
              Export request.json
            </ButtonLink>
            {canRun && (
              <Button variant="primary" onClick={() => setEditing("new")}>
                Add report
              </Button>
            )}
          </>
        }
      />
      {isImporting && (
        <Card className="mb-5">
          <ImportPanel
            onDone={() => {
              setImporting(false);
              void invalidate();
            }}
          />
        </Card>
      )}
      {editing && (
        <Card className="mb-5">
          <ReportForm
            report={editing === "new" ? null : editing}
            onDone={() => {
              setEditing(null);
              void invalidate();
            }}
          />
        </Card>
      )}

      <Card className="mb-5">
        <form
          className="flex flex-wrap items-center gap-4"
          aria-label="Run reports"
          onSubmit={(e) => {
            e.preventDefault();
            run.mutate({
              reportIds: all.filter((r) => selected.has(r.id)).map((r) => r.id),
              maxConcurrency,
              maxAttempts,
            });
          }}
        >
          <p className="text-sm text-slate-600">
            <span className="font-semibold tabular-nums" data-testid="selected-count">
              {selected.size}
            </span>{" "}
            selected
          </p>
          {canRun && (
            <>
              <RunOptionsInputs
                maxConcurrency={maxConcurrency}
                maxAttempts={maxAttempts}
                onChange={(options) => {
                  setMaxConcurrency(options.maxConcurrency);
                  setMaxAttempts(options.maxAttempts);
                }}
              />
              <Button
                type="submit"
                variant="primary"
                disabled={selected.size === 0 || run.isPending}
              >
                {run.isPending ? "Starting…" : "Run now"}
              </Button>
              <Button
                type="button"
                variant="danger"
                className="ml-auto"
                disabled={selected.size === 0 || remove.isPending}
                onClick={() =>
                  void confirm({
                    title: `Delete ${selected.size === 1 ? "1 report" : `${selected.size} reports`}?`,
                    body: "Their past runs and files stay.",
                    confirmLabel: "Delete",
                  }).then((isYes) => isYes && remove.mutate({ ids: [...selected] }))
                }
              >
                Delete selected
              </Button>
            </>
          )}
        </form>
        {(run.error ?? remove.error) && (
          <div className="mt-3">
            <Alert>{(run.error ?? remove.error)!.message}</Alert>
          </div>
        )}
      </Card>

      {all.length > 0 && (
        <>
          <LoadedListControls
            list={list}
            filters={[
              {
                key: "kind",
                label: "Connector kind",
                anyLabel: "All kinds",
                options: CONNECTOR_KIND_LABELS,
              },
              { key: "status", label: "Last run", anyLabel: "Any", options: LAST_RUN_FILTERS },
            ]}
            sorts={REPORT_SORTS}
            shown={shown.length}
            total={all.length}
            noun={["report", "reports"]}
          />
        </>
      )}
      <Card padding="none" className="overflow-x-auto">
        {reports.isLoading && <p className="p-6 text-sm text-slate-500">Loading…</p>}
        {reports.error && <p className="p-6 text-sm text-red-700">{reports.error.message}</p>}
        {all.length === 0 && !reports.isLoading && (
          <p className="p-6 text-sm text-slate-500">
            No reports yet. Add one, or import a request.json. Reports fetch through{" "}
            <Link href="/connectors" className="text-brand-600 hover:underline">
              connectors
            </Link>
            .
          </p>
        )}
        {all.length > 0 && shown.length === 0 && (
          <NoMatches nouns="reports" onClear={list.clearFilters} />
        )}
        {shown.length > 0 && (
          <table className="w-full text-left text-sm">
            <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500">
              <tr>
                <th className="w-10 px-4 py-2">
                  <input
                    type="checkbox"
                    aria-label="Select all reports"
                    checked={isAllSelected}
                    onChange={() =>
                      setSelected(isAllSelected ? new Set() : new Set(shown.map((r) => r.id)))
                    }
                  />
                </th>
                <th className="px-2 py-2 font-medium">Report</th>
                <th className="hidden px-2 py-2 font-medium sm:table-cell">Connector</th>
                <th className="hidden px-2 py-2 font-medium md:table-cell">Query</th>
                <th className="px-2 py-2 font-medium">Last run</th>
                <th className="px-2 py-2" />
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {shown.map((report) => (
                <Fragment key={report.id}>
                  <tr data-testid="report-row">
                    <td className="px-4 py-2">
                      <input
                        type="checkbox"
                        aria-label={`Select ${report.name}`}
                        checked={selected.has(report.id)}
                        onChange={() => toggle(report.id)}
                      />
                    </td>
                    <td className="px-2 py-2">
                      <span className="font-medium">{report.name}</span>
                      <Authorship of={report} />
                    </td>
                    <td className="hidden px-2 py-2 text-slate-600 sm:table-cell">
                      {report.connectorName}
                    </td>
                    <td
                      className="hidden max-w-xs truncate px-2 py-2 font-mono text-xs text-slate-600 md:table-cell"
                      title={report.queryText}
                    >
                      {report.queryText}
                    </td>
                    <td className="px-2 py-2">
                      {report.lastRun ? (
                        <Link href={`/jobs/${report.lastRun.jobId}`} className="hover:underline">
                          <StatusBadge status={report.lastRun.state} />
                        </Link>
                      ) : (
                        <span className="text-xs text-slate-500">never</span>
                      )}
                    </td>
                    <td className="px-2 py-2 text-right whitespace-nowrap">
                      <Button
                        aria-expanded={historyOf === report.id}
                        onClick={() => setHistoryOf(historyOf === report.id ? null : report.id)}
                      >
                        History
                      </Button>{" "}
                      {canRun && (
                        <>
                          <Button onClick={() => setEditing(report)}>Edit</Button>{" "}
                          <Button
                            disabled={duplicate.isPending}
                            onClick={() => duplicate.mutate({ id: report.id })}
                          >
                            Duplicate
                          </Button>
                        </>
                      )}
                    </td>
                  </tr>
                  {historyOf === report.id && (
                    <tr>
                      <td colSpan={6} className="bg-white px-4 py-3">
                        <RunHistory of="report" id={report.id} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
