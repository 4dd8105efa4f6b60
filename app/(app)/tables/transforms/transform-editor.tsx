"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import type { TPreview } from "@/server/services/tables/transforms";
import { STEP_LABELS, type TStep, type TStepKind } from "@/server/tables/steps";
import type { TColumn } from "@/server/tables/table-types";
import { OUTPUT_FORMATS, type TOutputSpec } from "@/server/tables/output-spec";
import { useTRPC } from "../../../_components/trpc";
import {
  Alert,
  Button,
  Card,
  LoadProblem,
  Loading,
  PageTitle,
  StatusBadge,
} from "../../../_components/ui";
import { StepEditor, newStep } from "./step-editors";

const FORMAT_LABELS: Record<(typeof OUTPUT_FORMATS)[number], string> = {
  csv: "CSV",
  xlsx: "Excel (XLSX)",
  parquet: "Parquet",
  json: "JSON",
  ndjson: "NDJSON",
};

const DEFAULT_OUTPUT: Omit<TOutputSpec, "format"> = {
  delimiter: ",",
  quote: "minimal",
  bom: false,
  lineEnding: "lf",
};

const PREVIEW_DELAY_MS = 400;

type TDraft = {
  name: string;
  tableId: string;
  steps: TStep[];
  outputs: TOutputSpec[];
  exportAfterReportRun: boolean;
};

/** A transform's page: its steps with a live preview, the files an export writes, save and export. */
export function TransformEditor({
  transformId,
  tableId,
}: {
  transformId?: string;
  tableId?: string;
}) {
  const trpc = useTRPC();
  const saved = useQuery({
    ...trpc.tables.transform.queryOptions({ id: transformId ?? "" }),
    enabled: Boolean(transformId),
  });
  const tables = useQuery(trpc.tables.list.queryOptions());
  if (transformId && saved.isPending) return <Loading>Loading the transform…</Loading>;
  if (saved.isError) return <LoadProblem>{saved.error.message}</LoadProblem>;
  if (tables.isPending) return <Loading>Loading tables…</Loading>;
  if (tables.isError) return <LoadProblem>{tables.error.message}</LoadProblem>;
  if (tables.data.length === 0)
    return (
      <div>
        <PageTitle title="New transform" />
        <Alert tone="info">
          A transform starts from a table, and there is none yet:{" "}
          <Link href="/tables" className="underline">
            upload a file or add a report&apos;s output
          </Link>{" "}
          first.
        </Alert>
      </div>
    );
  const initial: TDraft = saved.data
    ? {
        name: saved.data.name,
        tableId: saved.data.tableId,
        steps: saved.data.steps,
        outputs: saved.data.outputs,
        exportAfterReportRun: saved.data.exportAfterReportRun,
      }
    : {
        name: "",
        tableId: tableId ?? tables.data[0]?.id ?? "",
        steps: [],
        outputs: [{ format: "csv", ...DEFAULT_OUTPUT }],
        exportAfterReportRun: false,
      };
  return (
    <Editor
      key={transformId ?? "new"}
      transformId={transformId}
      initial={initial}
      tables={tables.data}
    />
  );
}

function Editor({
  transformId,
  initial,
  tables,
}: {
  transformId?: string;
  initial: TDraft;
  tables: {
    id: string;
    name: string;
    kind: string;
    reportName: string | null;
    columns: TColumn[];
  }[];
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(initial);
  const [shownStep, setShownStep] = useState<number | null>(null);
  const [preview, setPreview] = useState<TPreview | null>(null);
  const previewMutation = useMutation(
    trpc.tables.preview.mutationOptions({ onSuccess: setPreview }),
  );
  const create = useMutation(trpc.tables.createTransform.mutationOptions());
  const update = useMutation(trpc.tables.updateTransform.mutationOptions());
  const startExport = useMutation(trpc.tables.startExport.mutationOptions());
  const connectors = useQuery(trpc.connectors.list.queryOptions());
  const fileDestinations = (connectors.data ?? []).filter((c) => c.destination?.takesFiles);
  const [deliverTo, setDeliverTo] = useState("");
  const [savedNote, setSavedNote] = useState<string | null>(null);

  const { mutate: runPreview } = previewMutation;
  const requestKey = JSON.stringify([draft.tableId, draft.steps, shownStep]);
  useEffect(() => {
    if (!draft.tableId) return;
    const timer = setTimeout(() => {
      runPreview({
        tableId: draft.tableId,
        steps: draft.steps,
        ...(shownStep === null ? {} : { step: shownStep }),
      });
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
    // requestKey stands for the draft's table, steps and the chosen step
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [requestKey, runPreview]);

  // a step the preview has not reached yet (just added, or after a failing one) gets the last columns known
  const columnsBefore = (index: number): TColumn[] =>
    index === 0
      ? (preview?.sourceColumns ?? tables.find((t) => t.id === draft.tableId)?.columns ?? [])
      : (preview?.steps[index - 1]?.columns ?? columnsBefore(index - 1));
  const setSteps = (steps: TStep[]) => {
    setDraft({ ...draft, steps });
    setSavedNote(null);
  };

  async function save(): Promise<string> {
    const input = { ...draft };
    const result = transformId
      ? await update.mutateAsync({ id: transformId, ...input })
      : await create.mutateAsync(input);
    await queryClient.invalidateQueries({ queryKey: trpc.tables.transforms.queryKey() });
    setSavedNote("Saved.");
    if (!transformId) router.replace(`/tables/transforms/${result.id}`);
    return result.id;
  }

  const actionError = create.error ?? update.error ?? startExport.error;
  const source = tables.find((t) => t.id === draft.tableId);
  const failed = preview?.steps.findIndex((s) => s.status === "failed") ?? -1;

  return (
    <div>
      <PageTitle
        title={transformId ? draft.name || "Transform" : "New transform"}
        subtitle="Each step works on the table the step before it gives. The preview shows the first 100 rows after the chosen step."
        actions={
          <>
            <Button
              onClick={() => void save().catch(() => undefined)}
              disabled={create.isPending || update.isPending}
            >
              Save
            </Button>
            {fileDestinations.length > 0 && (
              <select
                aria-label="Deliver the files to"
                value={deliverTo}
                onChange={(e) => setDeliverTo(e.target.value)}
                className="rounded-md border border-slate-300 px-2 py-1.5 text-sm"
              >
                <option value="">Keep the files here</option>
                {fileDestinations.map((destination) => (
                  <option key={destination.id} value={destination.id}>
                    Also deliver to {destination.name}
                  </option>
                ))}
              </select>
            )}
            <Button
              variant="primary"
              disabled={startExport.isPending || failed >= 0}
              onClick={() =>
                void save()
                  .then((id) =>
                    startExport.mutateAsync({
                      transformId: id,
                      deliverTo: deliverTo ? [deliverTo] : [],
                    }),
                  )
                  .then((started) => router.push(`/jobs/${started.jobId}`))
                  .catch(() => undefined)
              }
            >
              Save and export
            </Button>
          </>
        }
      />
      {actionError && (
        <div className="mb-4">
          <Alert>{actionError.message}</Alert>
        </div>
      )}
      {savedNote && !actionError && (
        <div className="mb-4">
          <Alert tone="success">{savedNote}</Alert>
        </div>
      )}
      <div className="grid gap-4 xl:grid-cols-[minmax(0,28rem)_minmax(0,1fr)]">
        <div className="space-y-4">
          <Card>
            <div className="grid gap-3">
              <label className="text-sm font-medium">
                Name
                <input
                  className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm"
                  value={draft.name}
                  onChange={(e) => setDraft({ ...draft, name: e.target.value })}
                />
              </label>
              <label className="text-sm font-medium">
                Starts from the table
                <select
                  className="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm"
                  value={draft.tableId}
                  onChange={(e) => setDraft({ ...draft, tableId: e.target.value })}
                >
                  {!draft.tableId && <option value="">Choose a table…</option>}
                  {tables.map((t) => (
                    <option key={t.id} value={t.id}>
                      {t.name}
                    </option>
                  ))}
                </select>
              </label>
            </div>
          </Card>
          <ol className="space-y-3" data-testid="steps">
            <li>
              <button
                type="button"
                className={`w-full rounded-lg border px-3 py-2 text-left text-sm ${shownStep === -1 ? "border-brand-500 bg-brand-50" : "border-slate-200 bg-white"}`}
                onClick={() => setShownStep(-1)}
              >
                The table as read
              </button>
            </li>
            {draft.steps.map((step, index) => {
              const state = preview?.steps[index];
              const isShown =
                shownStep === index || (shownStep === null && index === draft.steps.length - 1);
              return (
                <li key={index} data-testid="step" data-status={state?.status ?? "pending"}>
                  <Card className={isShown ? "ring-2 ring-brand-500" : ""}>
                    <div className="flex flex-wrap items-center gap-2">
                      <button
                        type="button"
                        className="flex-1 text-left text-sm font-semibold"
                        onClick={() => setShownStep(index)}
                      >
                        {index + 1}. {STEP_LABELS[step.kind]}
                      </button>
                      {state && state.status !== "ok" && (
                        <StatusBadge status={state.status === "failed" ? "failed" : "pending"} />
                      )}
                      <Button
                        aria-label={`Move step ${index + 1} up`}
                        disabled={index === 0}
                        onClick={() => setSteps(swap(draft.steps, index, index - 1))}
                      >
                        ↑
                      </Button>
                      <Button
                        aria-label={`Move step ${index + 1} down`}
                        disabled={index === draft.steps.length - 1}
                        onClick={() => setSteps(swap(draft.steps, index, index + 1))}
                      >
                        ↓
                      </Button>
                      <Button
                        aria-label={`Remove step ${index + 1}`}
                        variant="danger"
                        onClick={() => {
                          setSteps(draft.steps.filter((_, i) => i !== index));
                          setShownStep(null);
                        }}
                      >
                        Remove
                      </Button>
                    </div>
                    {state?.message && (
                      <p
                        className="mt-2 text-sm text-red-700"
                        role="alert"
                        data-testid="step-error"
                      >
                        {state.message}
                      </p>
                    )}
                    <div className="mt-3">
                      <StepEditor
                        step={step}
                        columns={columnsBefore(index)}
                        tables={tables}
                        onChange={(next) =>
                          setSteps(draft.steps.map((s, i) => (i === index ? next : s)))
                        }
                      />
                    </div>
                  </Card>
                </li>
              );
            })}
          </ol>
          <Card>
            <label className="text-sm font-medium">
              Add a step{" "}
              <select
                aria-label="Add a step"
                className="ml-1 rounded-md border border-slate-300 px-2 py-1.5 text-sm"
                value=""
                onChange={(e) => {
                  if (!e.target.value) return;
                  const kind = e.target.value as TStepKind;
                  setSteps([
                    ...draft.steps,
                    newStep(
                      kind,
                      columnsBefore(draft.steps.length),
                      tables.filter((t) => t.id !== draft.tableId),
                    ),
                  ]);
                  setShownStep(null);
                }}
              >
                <option value="">Choose…</option>
                {(Object.keys(STEP_LABELS) as TStepKind[]).map((kind) => (
                  <option key={kind} value={kind}>
                    {STEP_LABELS[kind]}
                  </option>
                ))}
              </select>
            </label>
          </Card>
          <OutputsCard
            outputs={draft.outputs}
            onChange={(outputs) => setDraft({ ...draft, outputs })}
          />
          {source?.kind === "report" && (
            <Card>
              <label className="flex items-start gap-2 text-sm">
                <input
                  type="checkbox"
                  className="mt-1"
                  checked={draft.exportAfterReportRun}
                  onChange={(e) => setDraft({ ...draft, exportAfterReportRun: e.target.checked })}
                />
                <span>
                  Export after each successful run of the report {source.reportName ?? ""}
                  <span className="block text-xs text-slate-500">
                    Runs started by hand and by its schedules: schedule the report to get fresh
                    files every morning.
                  </span>
                </span>
              </label>
            </Card>
          )}
        </div>
        <PreviewPanel
          preview={preview}
          isLoading={previewMutation.isPending}
          error={previewMutation.error?.message ?? null}
        />
      </div>
    </div>
  );
}

function swap<T>(list: T[], a: number, b: number): T[] {
  const next = [...list];
  [next[a], next[b]] = [next[b]!, next[a]!];
  return next;
}

function OutputsCard({
  outputs,
  onChange,
}: {
  outputs: TOutputSpec[];
  onChange: (outputs: TOutputSpec[]) => void;
}) {
  const csv = outputs.find((o) => o.format === "csv");
  const setCsv = (patch: Partial<TOutputSpec>) =>
    onChange(outputs.map((o) => (o.format === "csv" ? { ...o, ...patch } : o)));
  return (
    <Card>
      <fieldset>
        <legend className="text-sm font-semibold">Files an export writes</legend>
        <div className="mt-2 flex flex-wrap gap-x-4 gap-y-1">
          {OUTPUT_FORMATS.map((format) => (
            <label key={format} className="flex items-center gap-1 text-sm">
              <input
                type="checkbox"
                checked={outputs.some((o) => o.format === format)}
                onChange={(e) =>
                  onChange(
                    e.target.checked
                      ? [...outputs, { format, ...DEFAULT_OUTPUT }]
                      : outputs.filter((o) => o.format !== format),
                  )
                }
              />
              {FORMAT_LABELS[format]}
            </label>
          ))}
        </div>
      </fieldset>
      {csv && (
        <div className="mt-3 grid gap-2 text-sm sm:grid-cols-2">
          <label>
            Delimiter{" "}
            <select
              className="rounded-md border border-slate-300 px-2 py-1"
              value={csv.delimiter}
              onChange={(e) => setCsv({ delimiter: e.target.value as TOutputSpec["delimiter"] })}
            >
              <option value=",">comma</option>
              <option value=";">semicolon</option>
              <option value={"\t"}>tab</option>
              <option value="|">pipe</option>
            </select>
          </label>
          <label>
            Quotes{" "}
            <select
              className="rounded-md border border-slate-300 px-2 py-1"
              value={csv.quote}
              onChange={(e) => setCsv({ quote: e.target.value as TOutputSpec["quote"] })}
            >
              <option value="minimal">where needed</option>
              <option value="all">around every value</option>
            </select>
          </label>
          <label>
            Line endings{" "}
            <select
              className="rounded-md border border-slate-300 px-2 py-1"
              value={csv.lineEnding}
              onChange={(e) => setCsv({ lineEnding: e.target.value as TOutputSpec["lineEnding"] })}
            >
              <option value="lf">LF (Unix, Mac)</option>
              <option value="crlf">CRLF (Windows)</option>
            </select>
          </label>
          <label className="flex items-center gap-1">
            <input
              type="checkbox"
              checked={csv.bom}
              onChange={(e) => setCsv({ bom: e.target.checked })}
            />
            Byte order mark (Excel opens UTF-8 right)
          </label>
        </div>
      )}
      {outputs.length === 0 && (
        <p className="mt-2 text-xs text-slate-500">None checked: an export writes one CSV.</p>
      )}
    </Card>
  );
}

const TYPE_SHORT: Record<string, string> = {
  text: "text",
  integer: "integer",
  number: "number",
  boolean: "true/false",
  date: "date",
  timestamp: "date-time",
};

/** 969.6, not 969.5999999999999: the preview shows a number as a spreadsheet would; exports keep every digit. */
function shown(value: unknown): string {
  return typeof value === "number" ? String(Number(value.toPrecision(15))) : String(value);
}

function PreviewPanel({
  preview,
  isLoading,
  error,
}: {
  preview: TPreview | null;
  isLoading: boolean;
  error: string | null;
}) {
  return (
    <Card padding="none" className="min-w-0 self-start">
      <div className="flex flex-wrap items-center gap-3 border-b border-slate-100 px-4 py-3">
        <h2 className="text-base font-semibold">Preview</h2>
        {preview && (
          <span className="text-sm text-slate-600" data-testid="preview-count">
            {preview.shownStep < 0 ? "The table as read" : `After step ${preview.shownStep + 1}`}:{" "}
            {preview.rowCount.toLocaleString()} {preview.rowCount === 1 ? "row" : "rows"}
            {preview.rowCount > preview.rows.length
              ? `, the first ${preview.rows.length} shown`
              : ""}
          </span>
        )}
        {isLoading && (
          <span className="text-xs text-slate-500" role="status">
            Updating…
          </span>
        )}
      </div>
      {error && (
        <div className="p-4">
          <Alert>{error}</Alert>
        </div>
      )}
      {preview?.notes.map((note) => (
        <p key={note} className="px-4 pt-2 text-xs text-amber-800">
          {note}
        </p>
      ))}
      {preview && (
        <div
          className="max-h-[70vh] overflow-auto"
          // the table scrolls on its own: a keyboard must be able to reach and scroll it
          tabIndex={0}
          role="region"
          aria-label="Preview rows"
        >
          <table className="w-full text-left text-xs" data-testid="preview-table">
            <thead className="sticky top-0 bg-slate-50">
              <tr>
                {preview.columns.map((column) => (
                  <th
                    key={column.name}
                    className="border-b border-slate-200 px-2 py-1.5 font-medium whitespace-nowrap"
                  >
                    {column.name}
                    <span className="block font-normal text-slate-500">
                      {TYPE_SHORT[column.type]}
                    </span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {preview.rows.map((row, r) => (
                <tr key={r}>
                  {row.map((value, c) => (
                    <td
                      key={c}
                      className={`max-w-xs truncate px-2 py-1 ${typeof value === "number" ? "text-right tabular-nums" : ""}`}
                    >
                      {value === null ? (
                        <span className="text-slate-500">empty</span>
                      ) : (
                        shown(value)
                      )}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!preview && !error && <Loading>Reading the table…</Loading>}
    </Card>
  );
}
