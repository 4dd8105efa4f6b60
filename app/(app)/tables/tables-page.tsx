"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useRef, useState } from "react";
import type { TTableSummary } from "@/server/services/tables/tables";
import { useFeedback } from "../../_components/feedback";
import { Term } from "../../_components/term";
import { useTRPC } from "../../_components/trpc";
import {
  Alert,
  Button,
  ButtonLink,
  Card,
  LoadProblem,
  Loading,
  PageTitle,
  formatBytes,
} from "../../_components/ui";
import { useCan } from "../../_components/role";

const TYPE_LABELS: Record<string, string> = {
  text: "text",
  integer: "integer",
  number: "number",
  boolean: "true/false",
  date: "date",
  timestamp: "date and time",
};

/** Tables (uploaded files and report outputs) and the transforms that reshape and export them. */
export function TablesPage() {
  const { confirm } = useFeedback();
  const trpc = useTRPC();
  const canRun = useCan("run");
  const router = useRouter();
  const queryClient = useQueryClient();
  const tables = useQuery(trpc.tables.list.queryOptions());
  const transforms = useQuery(trpc.tables.transforms.queryOptions());
  const reports = useQuery(trpc.reports.list.queryOptions());
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.tables.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.tables.transforms.queryKey() });
  };
  const fromReport = useMutation(
    trpc.tables.createFromReport.mutationOptions({ onSuccess: refresh }),
  );
  const removeTable = useMutation(trpc.tables.delete.mutationOptions({ onSuccess: refresh }));
  const removeTransform = useMutation(
    trpc.tables.deleteTransform.mutationOptions({ onSuccess: refresh }),
  );
  const exportNow = useMutation(
    trpc.tables.startExport.mutationOptions({
      onSuccess: ({ jobId }) => router.push(`/jobs/${jobId}`),
    }),
  );
  const [reportId, setReportId] = useState("");
  const [runJobId, setRunJobId] = useState("");
  const runs = useQuery({
    ...trpc.tables.reportRuns.queryOptions({ reportId }),
    enabled: Boolean(reportId),
  });
  const actionError =
    fromReport.error ?? removeTable.error ?? removeTransform.error ?? exportNow.error;

  return (
    <div>
      <PageTitle
        title="Tables"
        subtitle="Upload a file or use a report's output, reshape it with a transform, and export it."
        actions={<ButtonLink href="/api-docs">API and tokens</ButtonLink>}
      />
      {canRun && (
        <div className="grid items-start gap-4 lg:grid-cols-2">
          <UploadCard onUploaded={refresh} />
          <Card>
            <h2 className="text-base font-semibold">From a report</h2>
            <p className="mt-1 text-sm text-slate-600">
              A report&apos;s table reads its latest successful run each time it is used, or the one
              run you choose.
            </p>
            <div className="mt-3 flex flex-wrap gap-2">
              <label className="sr-only" htmlFor="report-table">
                Report
              </label>
              <select
                id="report-table"
                className="min-w-0 flex-1 basis-full rounded-md border border-slate-300 px-2 py-2 text-sm sm:basis-0"
                value={reportId}
                onChange={(event) => {
                  setReportId(event.target.value);
                  setRunJobId("");
                }}
              >
                <option value="">Choose a report…</option>
                {(reports.data ?? []).map((report) => (
                  <option key={report.id} value={report.id}>
                    {report.name}
                  </option>
                ))}
              </select>
              <label className="sr-only" htmlFor="report-run">
                Which run
              </label>
              <select
                id="report-run"
                className="min-w-0 flex-1 basis-full rounded-md border border-slate-300 px-2 py-2 text-sm sm:basis-0"
                value={runJobId}
                disabled={!reportId}
                onChange={(event) => setRunJobId(event.target.value)}
              >
                <option value="">The latest successful run, each time</option>
                {(runs.data ?? []).map((run) => (
                  <option key={run.jobId} value={run.jobId}>
                    Only the run of{" "}
                    {run.finishedAt ? new Date(run.finishedAt).toLocaleString() : "?"}
                    {run.rows !== null ? ` (${run.rows.toLocaleString()} rows)` : ""}
                  </option>
                ))}
              </select>
              <Button
                disabled={!reportId || fromReport.isPending}
                onClick={() => fromReport.mutate({ reportId, ...(runJobId ? { runJobId } : {}) })}
              >
                Add table
              </Button>
            </div>
          </Card>
        </div>
      )}
      {actionError && (
        <div className="mt-4">
          <Alert>{actionError.message}</Alert>
        </div>
      )}

      <h2 className="mt-8 mb-3 text-lg font-semibold">Tables</h2>
      {tables.isPending ? (
        <Loading>Loading tables…</Loading>
      ) : tables.isError ? (
        <LoadProblem>The tables could not be loaded: {tables.error.message}</LoadProblem>
      ) : tables.data.length === 0 ? (
        <Card>
          <p className="text-sm text-slate-600">
            No table yet: upload a file or add a report above.
          </p>
        </Card>
      ) : (
        <Card padding="none">
          <ul className="divide-y divide-slate-100" data-testid="tables-list">
            {tables.data.map((table) => (
              <TableRow
                key={table.id}
                table={table}
                onDelete={() =>
                  void confirm({
                    title: `Delete the table ${table.name}?`,
                    body: "Its transforms are deleted with it.",
                    confirmLabel: "Delete table",
                  }).then((isYes) => isYes && removeTable.mutate({ id: table.id }))
                }
              />
            ))}
          </ul>
        </Card>
      )}

      <div className="mt-8 mb-3 flex items-center justify-between gap-3">
        <h2 className="text-lg font-semibold">
          <Term name="transform">Transforms</Term>
        </h2>
        {canRun && (
          <ButtonLink href="/tables/transforms/new" variant="primary">
            New transform
          </ButtonLink>
        )}
      </div>
      {transforms.isPending ? (
        <Loading>Loading transforms…</Loading>
      ) : transforms.isError ? (
        <LoadProblem>The transforms could not be loaded: {transforms.error.message}</LoadProblem>
      ) : transforms.data.length === 0 ? (
        <Card>
          <p className="text-sm text-slate-600">
            No transform yet. A transform is a saved list of steps (choose columns, filter, compute,
            group, look up) with a live preview, exported by hand, on a schedule or from a script.
          </p>
        </Card>
      ) : (
        <Card padding="none">
          <ul className="divide-y divide-slate-100" data-testid="transforms-list">
            {transforms.data.map((transform) => (
              <li
                key={transform.id}
                className="flex flex-wrap items-center gap-3 px-4 py-3 text-sm"
              >
                <div className="min-w-0 flex-1">
                  <Link
                    href={`/tables/transforms/${transform.id}`}
                    className="font-medium text-brand-600 hover:underline"
                  >
                    {transform.name}
                  </Link>
                  <p className="text-xs text-slate-500">
                    from {transform.tableName} · {transform.steps.length}{" "}
                    {transform.steps.length === 1 ? "step" : "steps"} ·{" "}
                    {(transform.outputs.length ? transform.outputs : [{ format: "csv" }])
                      .map((o) => o.format.toUpperCase())
                      .join(", ")}
                  </p>
                </div>
                {canRun && (
                  <>
                    {" "}
                    <Button
                      variant="primary"
                      disabled={exportNow.isPending}
                      onClick={() => exportNow.mutate({ transformId: transform.id })}
                    >
                      Export now
                    </Button>
                    <Button
                      variant="danger"
                      onClick={() =>
                        void confirm({
                          title: `Delete the transform ${transform.name}?`,
                          confirmLabel: "Delete transform",
                        }).then((isYes) => isYes && removeTransform.mutate({ id: transform.id }))
                      }
                    >
                      Delete
                    </Button>
                  </>
                )}
              </li>
            ))}
          </ul>
        </Card>
      )}
    </div>
  );
}

function TableRow({ table, onDelete }: { table: TTableSummary; onDelete: () => void }) {
  const [isOpen, setOpen] = useState(false);
  const canRun = useCan("run");
  return (
    <li className="px-4 py-3 text-sm" data-testid="table-row">
      <div className="flex flex-wrap items-center gap-3">
        <div className="min-w-0 flex-1">
          <span className="font-medium">{table.name}</span>
          <p className="text-xs text-slate-500">
            {table.kind === "upload"
              ? `uploaded ${table.fileName ?? ""}${table.bytes !== null ? ` (${formatBytes(table.bytes)})` : ""}`
              : `output of the report ${table.reportName ?? "(deleted)"}${table.runJobId ? ", one run" : ", its latest run"}`}
            {table.rows !== null ? ` · ${table.rows.toLocaleString()} rows` : ""}
            {table.columns.length > 0 ? ` · ${table.columns.length} columns` : ""}
          </p>
        </div>
        {table.columns.length > 0 && (
          <Button onClick={() => setOpen(!isOpen)} aria-expanded={isOpen}>
            {isOpen ? "Hide columns" : "Columns"}
          </Button>
        )}
        {canRun && (
          <>
            <ButtonLink href={`/tables/transforms/new?table=${table.id}`}>Transform</ButtonLink>
            <Button variant="danger" onClick={onDelete}>
              Delete
            </Button>
          </>
        )}
      </div>
      {table.notes.map((note) => (
        <p key={note} className="mt-1 text-xs text-amber-800">
          {note}
        </p>
      ))}
      {isOpen && (
        <ul className="mt-2 flex flex-wrap gap-1.5">
          {table.columns.map((column) => (
            <li key={column.name} className="rounded bg-slate-100 px-2 py-0.5 text-xs">
              {column.name} <span className="text-slate-600">{TYPE_LABELS[column.type]}</span>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

/** Sends the file as the request's body: no size limit of a form or a JSON procedure applies. */
function UploadCard({ onUploaded }: { onUploaded: () => void }) {
  const inputId = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const [name, setName] = useState("");
  const [sheet, setSheet] = useState("");
  const [entry, setEntry] = useState("");
  const [isSending, setSending] = useState(false);
  const [message, setMessage] = useState<{ tone: "error" | "success"; text: string } | null>(null);

  async function send() {
    const file = fileInput.current?.files?.[0];
    if (!file) {
      setMessage({ tone: "error", text: "Choose a file first." });
      return;
    }
    setSending(true);
    setMessage(null);
    const query = new URLSearchParams({ fileName: file.name });
    if (name.trim()) query.set("name", name.trim());
    if (sheet.trim()) query.set("sheet", sheet.trim());
    if (entry.trim()) query.set("entry", entry.trim());
    try {
      const response = await fetch(`/api/tables?${query}`, { method: "POST", body: file });
      if (!response.ok) {
        setMessage({ tone: "error", text: (await response.text()) || response.statusText });
        return;
      }
      const table = (await response.json()) as TTableSummary;
      setMessage({
        tone: "success",
        text: `${table.name}: ${table.rows?.toLocaleString() ?? 0} rows, ${table.columns.length} columns.`,
      });
      setName("");
      if (fileInput.current) fileInput.current.value = "";
      onUploaded();
    } catch (error) {
      setMessage({
        tone: "error",
        text: `The upload did not reach the server: ${(error as Error).message}`,
      });
    } finally {
      setSending(false);
    }
  }

  return (
    <Card>
      <h2 className="text-base font-semibold">Upload a file</h2>
      <p className="mt-1 text-sm text-slate-600">
        CSV or TSV (any delimiter, UTF-8, UTF-16 or Windows-1252), JSON (an array, or one object per
        line), XLSX, or a ZIP holding one of those.
      </p>
      <div className="mt-3 grid gap-3 sm:grid-cols-2">
        <label className="text-sm font-medium sm:col-span-2" htmlFor={inputId}>
          File
          <input
            id={inputId}
            ref={fileInput}
            type="file"
            accept=".csv,.tsv,.txt,.json,.ndjson,.jsonl,.xlsx,.zip"
            className="mt-1 block w-full text-sm"
          />
        </label>
        <label className="text-sm font-medium">
          Name <span className="font-normal text-slate-500">(optional)</span>
          <input
            value={name}
            onChange={(event) => setName(event.target.value)}
            className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm"
          />
        </label>
        <label className="text-sm font-medium">
          Sheet <span className="font-normal text-slate-500">(XLSX; the first by default)</span>
          <input
            value={sheet}
            onChange={(event) => setSheet(event.target.value)}
            className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm"
          />
        </label>
        <label className="text-sm font-medium sm:col-span-2">
          File inside a ZIP{" "}
          <span className="font-normal text-slate-500">(the first table by default)</span>
          <input
            value={entry}
            onChange={(event) => setEntry(event.target.value)}
            className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm"
          />
        </label>
      </div>
      <div className="mt-3 flex items-center gap-3">
        <Button variant="primary" onClick={() => void send()} disabled={isSending}>
          {isSending ? "Reading the file…" : "Upload"}
        </Button>
      </div>
      {message && (
        <div className="mt-3">
          <Alert tone={message.tone}>{message.text}</Alert>
        </div>
      )}
    </Card>
  );
}
