"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { TPipelineAction, TPipelineView } from "@/server/services/pipelines/pipelines";
import { FieldProblem, fieldErrorsOf, FormProblem } from "../../_components/form-errors";
import { INPUT } from "../../_components/schema-field";
import { useFeedback } from "../../_components/feedback";
import { useTRPC } from "../../_components/trpc";
import { Alert, Button, ButtonLink, Card, PageTitle, StatusBadge } from "../../_components/ui";
import { useCan } from "../../_components/role";
import { AlertRulesFields } from "../../_components/alert-rules-fields";
import { ZAlertRules, type TAlertRules } from "@/server/alerts/alert-rules";

/**
 * Saved chains: run a report, take a transform's result, then push it, refresh a destination, or
 * export it and deliver the files.
 */
export function PipelinesPage() {
  const { confirm } = useFeedback();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const pipelines = useQuery(trpc.pipelines.list.queryOptions());
  const [editing, setEditing] = useState<TPipelineView | "new" | null>(null);
  const invalidate = () =>
    queryClient.invalidateQueries({ queryKey: trpc.pipelines.list.queryKey() });
  const run = useMutation(
    trpc.pipelines.run.mutationOptions({ onSuccess: ({ jobId }) => router.push(`/jobs/${jobId}`) }),
  );
  const remove = useMutation(trpc.pipelines.delete.mutationOptions({ onSettled: invalidate }));
  const canRun = useCan("run");

  return (
    <div>
      <PageTitle
        title="Pipelines"
        subtitle="A report run, a transform and a destination, one after the other: run one by hand, or on a schedule to keep a sheet, a dataset or a folder fresh."
        actions={
          <>
            <ButtonLink href="/schedules">Schedules</ButtonLink>
            {canRun && (
              <>
                <Button variant="primary" onClick={() => setEditing("new")}>
                  New pipeline
                </Button>
              </>
            )}
          </>
        }
      />
      {editing && (
        <Card className="mb-5">
          <PipelineForm
            pipeline={editing === "new" ? null : editing}
            onDone={() => {
              setEditing(null);
              void invalidate();
            }}
          />
        </Card>
      )}
      {(run.error ?? remove.error) && (
        <div className="mb-3">
          <Alert>{(run.error ?? remove.error)!.message}</Alert>
        </div>
      )}
      <Card padding="none">
        {pipelines.isLoading && <p className="p-6 text-sm text-slate-500">Loading…</p>}
        {pipelines.data?.length === 0 && (
          <p className="p-6 text-sm text-slate-500">
            No pipelines yet. A pipeline runs a report, takes a transform of its table and pushes
            the rows to a{" "}
            <Link href="/destinations" className="text-brand-600 hover:underline">
              destination
            </Link>
            , or refreshes one.
          </p>
        )}
        <ul className="divide-y divide-slate-100">
          {pipelines.data?.map((pipeline) => (
            <li
              key={pipeline.id}
              className="grid gap-3 px-4 py-3 md:grid-cols-[minmax(0,1.5fr)_minmax(0,1fr)_auto] md:items-center"
              data-testid="pipeline-row"
            >
              <div className="min-w-0">
                <p className="truncate font-medium">{pipeline.name}</p>
                <p className="text-xs text-slate-500">{pipeline.stages.join(" → ")}</p>
              </div>
              <div className="text-sm">
                {pipeline.lastRun ? (
                  <Link
                    href={`/jobs/${pipeline.lastRun.jobId}`}
                    className="inline-flex items-center gap-2 hover:underline"
                  >
                    <StatusBadge status={pipeline.lastRun.status} />
                    <span className="text-xs text-slate-500">
                      {new Date(pipeline.lastRun.createdAt).toLocaleString()}
                    </span>
                  </Link>
                ) : (
                  <span className="text-xs text-slate-500">never run</span>
                )}
              </div>
              <div className="flex flex-wrap gap-2">
                {canRun && (
                  <>
                    <Button
                      variant="primary"
                      onClick={() => run.mutate({ id: pipeline.id })}
                      disabled={run.isPending}
                    >
                      Run now
                    </Button>
                    <Button onClick={() => setEditing(pipeline)}>Edit</Button>
                    <Button
                      variant="danger"
                      onClick={() =>
                        void confirm({
                          title: `Delete the pipeline “${pipeline.name}”?`,
                          body: "Its schedules are deleted with it; past runs stay.",
                          confirmLabel: "Delete pipeline",
                        }).then((isYes) => isYes && remove.mutate({ id: pipeline.id }))
                      }
                    >
                      Delete
                    </Button>
                  </>
                )}
              </div>
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}

function PipelineForm({
  pipeline,
  onDone,
}: {
  pipeline: TPipelineView | null;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const reports = useQuery(trpc.reports.list.queryOptions());
  const transforms = useQuery(trpc.tables.transforms.queryOptions());
  const tables = useQuery(trpc.tables.list.queryOptions());
  const connectors = useQuery(trpc.connectors.list.queryOptions());
  const destinations = (connectors.data ?? []).filter((c) => c.destination);
  const [name, setName] = useState(pipeline?.name ?? "");
  const [reportId, setReportId] = useState(pipeline?.reportId ?? "");
  const [source, setSource] = useState(
    pipeline?.transformId
      ? `transform:${pipeline.transformId}`
      : pipeline?.tableId
        ? `table:${pipeline.tableId}`
        : "",
  );
  const [connectorId, setConnectorId] = useState(pipeline?.connectorId ?? "");
  const [action, setAction] = useState<TPipelineAction>(pipeline?.action ?? "push");
  const [mode, setMode] = useState<"replace" | "append">(pipeline?.mode ?? "replace");
  const [alertRules, setAlertRules] = useState<TAlertRules>(
    pipeline?.alertRules ?? ZAlertRules.parse({}),
  );
  const alertChannels = (connectors.data ?? []).filter((c) => c.destination?.takesAlerts);
  const save = useMutation(trpc.pipelines.save.mutationOptions({ onSuccess: onDone }));
  const errors = fieldErrorsOf(save.error);
  const destination = destinations.find((d) => d.id === connectorId);
  const actions = [
    destination?.destination?.takesRows ? ("push" as const) : null,
    destination?.destination?.canRefresh ? ("refresh" as const) : null,
    destination?.destination?.takesFiles ? ("deliver" as const) : null,
  ].filter((a): a is TPipelineAction => a !== null);
  const takesRows = chosenActionOf(actions, action) !== "refresh";
  const chosenAction = chosenActionOf(actions, action);

  return (
    <form
      aria-label="Pipeline"
      className="grid gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        const [type, sourceId] = source.split(":");
        save.mutate({
          id: pipeline?.id,
          name,
          reportId: reportId || null,
          transformId: takesRows && type === "transform" ? sourceId : null,
          tableId: takesRows && type === "table" ? sourceId : null,
          connectorId,
          action: chosenAction,
          mode,
          alertRules,
        });
      }}
    >
      <h2 className="text-lg font-semibold">
        {pipeline ? `Edit ${pipeline.name}` : "New pipeline"}
      </h2>
      <div className="grid gap-4 md:grid-cols-2">
        <label htmlFor="pipeline-name" className="block text-sm font-medium text-slate-700">
          Name
          <input
            id="pipeline-name"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
            className={INPUT}
          />
          <FieldProblem errors={errors} path="name" />
        </label>
        <label htmlFor="pipeline-report" className="block text-sm font-medium text-slate-700">
          1. Run a report first
          <select
            id="pipeline-report"
            value={reportId}
            onChange={(e) => setReportId(e.target.value)}
            className={INPUT}
          >
            <option value="">No report run</option>
            {reports.data?.map((report) => (
              <option key={report.id} value={report.id}>
                {report.name}
              </option>
            ))}
          </select>
          <span className="mt-1 block text-xs font-normal text-slate-600">
            So the transform reads the report&rsquo;s fresh rows.
          </span>
        </label>
        <label htmlFor="pipeline-destination" className="block text-sm font-medium text-slate-700">
          Destination
          <select
            id="pipeline-destination"
            required
            value={connectorId}
            onChange={(e) => setConnectorId(e.target.value)}
            className={INPUT}
          >
            <option value="">Choose a destination…</option>
            {destinations.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name} ({d.kindLabel})
              </option>
            ))}
          </select>
          <FieldProblem errors={errors} path="connectorId" />
        </label>
        <label htmlFor="pipeline-action" className="block text-sm font-medium text-slate-700">
          What it does there
          <select
            id="pipeline-action"
            value={chosenAction}
            onChange={(e) => setAction(e.target.value as TPipelineAction)}
            className={INPUT}
            disabled={actions.length < 2}
          >
            {(actions.length > 0 ? actions : (["push"] as const)).map((a) => (
              <option key={a} value={a}>
                {ACTION_LABELS[a]}
              </option>
            ))}
          </select>
        </label>
        {takesRows && (
          <>
            <label htmlFor="pipeline-source" className="block text-sm font-medium text-slate-700">
              2. Rows from
              <select
                id="pipeline-source"
                required
                value={source}
                onChange={(e) => setSource(e.target.value)}
                className={INPUT}
              >
                <option value="">Choose a transform or a table…</option>
                <optgroup label="Transforms">
                  {transforms.data?.map((t) => (
                    <option key={t.id} value={`transform:${t.id}`}>
                      {t.name}
                    </option>
                  ))}
                </optgroup>
                <optgroup label="Tables as they are">
                  {tables.data?.map((t) => (
                    <option key={t.id} value={`table:${t.id}`}>
                      {t.name}
                    </option>
                  ))}
                </optgroup>
              </select>
              <FieldProblem errors={errors} path="transformId" />
            </label>
            {chosenAction === "push" && (
              <label htmlFor="pipeline-mode" className="block text-sm font-medium text-slate-700">
                3. Mode
                <select
                  id="pipeline-mode"
                  value={mode}
                  onChange={(e) => setMode(e.target.value as "replace" | "append")}
                  className={INPUT}
                >
                  <option value="replace">Replace (clear, then write)</option>
                  <option value="append">Append</option>
                </select>
              </label>
            )}
          </>
        )}
      </div>
      <AlertRulesFields
        channels={alertChannels.map((c) => ({ id: c.id, name: c.name, detail: c.kindLabel }))}
        isLoaded={Boolean(connectors.data)}
        rules={alertRules}
        onChange={setAlertRules}
        problem={<FieldProblem errors={errors} path="alertRules.channels" />}
        canCountRows={false}
      />
      <p className="-mt-2 text-xs text-slate-500">
        These alerts follow every run of the pipeline, by hand or on a schedule; a schedule&apos;s
        own alerts come on top (a channel in both hears of a run once).
      </p>
      <FormProblem
        message={save.error?.message}
        errors={errors}
        labels={{
          name: "Name",
          connectorId: "Destination",
          transformId: "Rows from",
          "alertRules.channels": "Alert",
          "alertRules.rowDropPercent": "Fewer rows than usual",
        }}
      />
      <div className="flex gap-2">
        <Button type="submit" variant="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save pipeline"}
        </Button>
        <Button type="button" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

const ACTION_LABELS: Record<TPipelineAction, string> = {
  push: "Push rows",
  refresh: "Refresh",
  deliver: "Export to files and deliver them",
};

/** The action chosen, if the destination can do it; else the first it can. */
function chosenActionOf(actions: TPipelineAction[], wanted: TPipelineAction): TPipelineAction {
  return actions.includes(wanted) ? wanted : (actions[0] ?? "push");
}
