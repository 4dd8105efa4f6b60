"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useDeferredValue, useState } from "react";
import type { TScheduleView } from "@/server/services/schedules/schedules";
import { ZAlertRules, type TAlertRules } from "@/server/alerts/alert-rules";
import { AlertRulesFields, CheckList } from "../../_components/alert-rules-fields";
import { useTRPC } from "../../_components/trpc";
import { BROWSER_TIME_ZONE, formatIn } from "../../_components/format-time";
import { FieldProblem, fieldErrorsOf, FormProblem } from "../../_components/form-errors";
import { timeZoneNames, timeZoneProblem } from "../../_components/time-zones";
import { HelpText, Term } from "../../_components/term";
import { Button, FieldError } from "../../_components/ui";
import { RunOptionsInputs } from "../reports/run-options-inputs";

const INPUT = "mt-1 w-full rounded-md border border-slate-300 px-3 py-2 text-sm";
const NUMBER = "mt-1 w-24 rounded-md border border-slate-300 px-2 py-1.5 text-sm";

export function ScheduleForm({
  schedule,
  onDone,
}: {
  schedule: TScheduleView | null;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const reports = useQuery(trpc.reports.list.queryOptions());
  const pipelines = useQuery(trpc.pipelines.list.queryOptions());
  const connectors = useQuery(trpc.connectors.list.queryOptions());
  const fileDestinations = (connectors.data ?? []).filter((c) => c.destination?.takesFiles);
  const alertChannels = (connectors.data ?? []).filter((c) => c.destination?.takesAlerts);
  const [name, setName] = useState(schedule?.name ?? "");
  const [reportIds, setReportIds] = useState<string[]>(schedule?.reports.map((r) => r.id) ?? []);
  // a schedule runs its reports, or one pipeline (report, transform, destination) instead
  const [pipelineId, setPipelineId] = useState<string>(schedule?.pipeline?.id ?? "");
  const [timing, setTiming] = useState({
    kind: schedule?.timing.kind ?? ("interval" as "interval" | "cron"),
    intervalMinutes: schedule?.timing.intervalMinutes ?? 120,
    firstJitterMinMinutes: schedule?.timing.firstJitterMinMinutes ?? 1,
    firstJitterMaxMinutes: schedule?.timing.firstJitterMaxMinutes ?? 5,
    laterJitterMinMinutes: schedule?.timing.laterJitterMinMinutes ?? 1,
    laterJitterMaxMinutes: schedule?.timing.laterJitterMaxMinutes ?? 20,
    cronExpression: schedule?.timing.cronExpression ?? "0 6 * * 1-5",
    timeZone: schedule?.timing.timeZone ?? BROWSER_TIME_ZONE,
  });
  const [misfirePolicy, setMisfirePolicy] = useState(schedule?.misfirePolicy ?? "run_once");
  const [maxConcurrency, setMaxConcurrency] = useState(schedule?.maxConcurrency ?? 4);
  const [maxAttempts, setMaxAttempts] = useState(schedule?.maxAttempts ?? 5);
  const [deliverTo, setDeliverTo] = useState<string[]>(schedule?.deliverTo ?? []);
  const [alertRules, setAlertRules] = useState<TAlertRules>(
    schedule?.alertRules ?? ZAlertRules.parse({}),
  );
  const deferredTiming = useDeferredValue(timing);
  const zoneProblem = timing.kind === "cron" ? timeZoneProblem(timing.timeZone) : null;
  // a zone still being typed is no question for the server: the preview waits for a real one
  const isDeferredZoneValid =
    deferredTiming.kind !== "cron" || timeZoneProblem(deferredTiming.timeZone) === null;
  const preview = useQuery({
    ...trpc.schedules.preview.queryOptions({
      ...deferredTiming,
      intervalMinutes: deferredTiming.intervalMinutes || null,
    }),
    enabled: isDeferredZoneValid,
    placeholderData: (previous) => previous,
  });
  const save = useMutation(trpc.schedules.save.mutationOptions({ onSuccess: onDone }));
  const errors = fieldErrorsOf(save.error);
  const set = (patch: Partial<typeof timing>) => setTiming({ ...timing, ...patch });
  const number = (key: keyof typeof timing, label: string, describedBy?: string) => (
    <label className="text-sm text-slate-700">
      {label}
      <input
        type="number"
        min={0}
        value={timing[key] as number}
        onChange={(e) => set({ [key]: Number(e.target.value) })}
        className={`${NUMBER} block`}
        aria-label={label}
        aria-invalid={errors[key] ? true : undefined}
        aria-describedby={describedBy}
      />
      <FieldProblem errors={errors} path={key} />
    </label>
  );

  return (
    <form
      aria-label="Schedule"
      className="grid gap-5"
      onSubmit={(e) => {
        e.preventDefault();
        if (zoneProblem) return;
        save.mutate({
          id: schedule?.id,
          name,
          reportIds: pipelineId ? [] : reportIds,
          pipelineId: pipelineId || null,
          deliverTo,
          alertRules,
          ...timing,
          intervalMinutes: timing.kind === "interval" ? timing.intervalMinutes : null,
          cronExpression: timing.kind === "cron" ? timing.cronExpression : null,
          overlapPolicy: "skip",
          misfirePolicy: misfirePolicy as "skip" | "run_once",
          maxConcurrency,
          maxAttempts,
          isEnabled: schedule?.isEnabled ?? true,
        });
      }}
    >
      <h2 className="text-lg font-semibold">
        {schedule ? `Edit ${schedule.name}` : "New schedule"}
      </h2>
      <div className="grid gap-5 lg:grid-cols-[minmax(0,1fr)_20rem]">
        <div className="grid gap-4">
          <label htmlFor="schedule-name" className="block text-sm font-medium text-slate-700">
            Name
            <input
              id="schedule-name"
              required
              value={name}
              onChange={(e) => setName(e.target.value)}
              aria-invalid={errors.name ? true : undefined}
              className={INPUT}
            />
            <FieldProblem errors={errors} path="name" />
          </label>
          <div>
            <label htmlFor="schedule-pipeline" className="block text-sm font-medium text-slate-700">
              Runs
              <select
                id="schedule-pipeline"
                value={pipelineId}
                onChange={(e) => setPipelineId(e.target.value)}
                aria-describedby={
                  (pipelines.data ?? []).length > 0 ? "schedule-pipeline-help" : undefined
                }
                className={INPUT}
              >
                <option value="">The reports chosen below</option>
                {(pipelines.data ?? []).map((pipeline) => (
                  <option key={pipeline.id} value={pipeline.id}>
                    The pipeline {pipeline.name}
                  </option>
                ))}
              </select>
            </label>
            {/* outside the label: inside, it would become part of the select's name */}
            {(pipelines.data ?? []).length > 0 && (
              <HelpText id="schedule-pipeline-help" term="pipeline" />
            )}
          </div>
          <CheckList
            legend="Reports"
            isHidden={Boolean(pipelineId)}
            items={(reports.data ?? []).map((r) => ({
              id: r.id,
              name: r.name,
              detail: r.connectorName,
            }))}
            chosen={reportIds}
            onChange={setReportIds}
            empty={reports.data ? "No reports yet." : null}
            problem={<FieldProblem errors={errors} path="reportIds" />}
          />
          <CheckList
            legend="Deliver the files to"
            items={fileDestinations.map((d) => ({ id: d.id, name: d.name, detail: d.kindLabel }))}
            chosen={deliverTo}
            onChange={setDeliverTo}
            empty={
              connectors.data
                ? "No file destinations yet: add a folder, S3 bucket, SFTP server, e-mail or webhook on the Destinations page. Without one, the files wait in DataHaul."
                : null
            }
            problem={<FieldProblem errors={errors} path="deliverTo" />}
          />
          <AlertRulesFields
            channels={alertChannels.map((c) => ({ id: c.id, name: c.name, detail: c.kindLabel }))}
            isLoaded={Boolean(connectors.data)}
            rules={alertRules}
            onChange={setAlertRules}
            problem={<FieldProblem errors={errors} path="alertRules.channels" />}
            canCountRows={!pipelineId}
          />
          <fieldset className="grid gap-3">
            <legend className="text-sm font-medium text-slate-700">When</legend>
            <div className="flex gap-4 text-sm">
              <label className="flex items-center gap-2">
                <input
                  type="radio"
                  name="kind"
                  checked={timing.kind === "interval"}
                  onChange={() => set({ kind: "interval" })}
                />
                Every N minutes, with jitter
              </label>
              <label className="flex items-center gap-2">
                <input
                  type="radio"
                  name="kind"
                  checked={timing.kind === "cron"}
                  onChange={() => set({ kind: "cron" })}
                />
                Cron expression
              </label>
            </div>
            {timing.kind === "interval" ? (
              <div>
                <div className="flex flex-wrap gap-4">
                  {number("intervalMinutes", "Every (minutes)")}
                  {number("firstJitterMinMinutes", "First run after, min", "schedule-jitter-help")}
                  {number("firstJitterMaxMinutes", "…max (minutes)", "schedule-jitter-help")}
                  {number("laterJitterMinMinutes", "Later jitter, min", "schedule-jitter-help")}
                  {number("laterJitterMaxMinutes", "…max (minutes)", "schedule-jitter-help")}
                </div>
                <HelpText id="schedule-jitter-help" term="jitter" />
              </div>
            ) : (
              <div className="grid gap-3 sm:grid-cols-2">
                <label htmlFor="schedule-cron" className="block text-sm text-slate-700">
                  Expression (minute hour day month weekday)
                  <input
                    id="schedule-cron"
                    value={timing.cronExpression}
                    onChange={(e) => set({ cronExpression: e.target.value })}
                    aria-invalid={errors.cronExpression ? true : undefined}
                    className={`${INPUT} font-mono`}
                  />
                  <FieldProblem errors={errors} path="cronExpression" />
                </label>
                <label htmlFor="schedule-tz" className="block text-sm text-slate-700">
                  Time zone
                  <input
                    id="schedule-tz"
                    value={timing.timeZone}
                    onChange={(e) => set({ timeZone: e.target.value })}
                    className={INPUT}
                    list="time-zones"
                    autoComplete="off"
                    spellCheck={false}
                    aria-invalid={zoneProblem ? true : undefined}
                    aria-describedby={zoneProblem ? "schedule-tz-problem" : "schedule-tz-help"}
                  />
                  {/* the browser's own searchable list: typing "berl" offers Europe/Berlin */}
                  <datalist id="time-zones">
                    {timeZoneNames().map((zone) => (
                      <option key={zone} value={zone} />
                    ))}
                  </datalist>
                  {(zoneProblem ?? errors.timeZone) ? (
                    <FieldError id="schedule-tz-problem">
                      {zoneProblem ?? errors.timeZone}
                    </FieldError>
                  ) : (
                    <span id="schedule-tz-help" className="mt-1 block text-xs text-slate-600">
                      Type to search the list, e.g. “berlin” or “new_york”.
                    </span>
                  )}
                </label>
              </div>
            )}
          </fieldset>
          <div className="flex flex-wrap gap-4">
            <label htmlFor="schedule-misfire" className="text-sm text-slate-700">
              After downtime (missed runs)
              <select
                id="schedule-misfire"
                aria-label="After downtime (missed runs)"
                value={misfirePolicy}
                onChange={(e) => setMisfirePolicy(e.target.value)}
                aria-describedby="schedule-misfire-help"
                className={`${INPUT} w-auto`}
              >
                <option value="run_once">run once for all missed times</option>
                <option value="skip">skip them</option>
              </select>
              <HelpText id="schedule-misfire-help" term="misfire" className="max-w-xs" />
            </label>
            {!pipelineId && (
              <RunOptionsInputs
                isStacked
                errors={errors}
                maxConcurrency={maxConcurrency}
                maxAttempts={maxAttempts}
                onChange={(options) => {
                  setMaxConcurrency(options.maxConcurrency);
                  setMaxAttempts(options.maxAttempts);
                }}
              />
            )}
          </div>
          <p className="text-xs text-slate-600">
            <Term name="overlap">Overlap</Term>: a time is skipped while the previous run of this
            schedule is still going (a run that has given no sign of life for 10 minutes no longer
            counts: its <Term name="lease">lease</Term> has run out).
          </p>
        </div>
        <aside
          className="rounded-lg border border-slate-200 bg-slate-50 p-3"
          aria-label="Next runs"
          data-testid="next-runs"
        >
          <h3 className="text-sm font-semibold text-slate-700">Next five runs</h3>
          {zoneProblem ? (
            <p className="mt-2 text-sm text-red-700">
              Cannot show the next runs until the time zone is valid.
            </p>
          ) : preview.data?.ok === false ? (
            <p className="mt-2 text-sm text-red-700">{preview.data.message}</p>
          ) : null}
          {!zoneProblem && preview.data?.ok && (
            <>
              <p className="mt-1 text-xs text-slate-500">{preview.data.description}</p>
              <ol className="mt-2 space-y-1 text-sm tabular-nums">
                {preview.data.runs.map((run) => (
                  <li key={run.at.toISOString()} data-testid="next-run">
                    {run.latest
                      ? `between ${formatIn(run.at, BROWSER_TIME_ZONE)} and ${formatIn(run.latest, BROWSER_TIME_ZONE)}`
                      : formatIn(
                          run.at,
                          timing.kind === "cron" ? timing.timeZone : BROWSER_TIME_ZONE,
                        )}
                  </li>
                ))}
              </ol>
              <p className="mt-2 text-xs text-slate-600">
                Times in {timing.kind === "cron" ? timing.timeZone : BROWSER_TIME_ZONE}
                {timing.kind === "interval" ? ", counted from now" : ""}.
              </p>
            </>
          )}
        </aside>
      </div>
      <FormProblem
        message={save.error?.message}
        errors={errors}
        labels={{
          name: "Name",
          reportIds: "Reports",
          misfirePolicy: "After downtime",
          maxConcurrency: "At once",
          maxAttempts: "Attempts per report",
          deliverTo: "Deliver the files to",
          "alertRules.channels": "Alert",
          "alertRules.rowDropPercent": "Fewer rows than usual",
          ...(timing.kind === "interval"
            ? {
                intervalMinutes: "Every (minutes)",
                firstJitterMinMinutes: "First run after, min",
                firstJitterMaxMinutes: "First run after, max",
                laterJitterMinMinutes: "Later jitter, min",
                laterJitterMaxMinutes: "Later jitter, max",
              }
            : { cronExpression: "Expression", timeZone: "Time zone" }),
        }}
      />
      <div className="flex gap-2">
        <Button
          type="submit"
          variant="primary"
          disabled={save.isPending || (reportIds.length === 0 && !pipelineId)}
        >
          {save.isPending ? "Saving…" : "Save schedule"}
        </Button>
        <Button type="button" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
