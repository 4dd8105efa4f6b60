"use client";

import {
  Alert,
  ButtonLink,
  Card,
  PageTitle,
  StatusBadge,
  formatBytes,
} from "../../../_components/ui";
import { describeReportOutcome } from "./item-counts";
import { DeliveriesOfJob } from "./delivery-steps";
import { LiveIndicator, isJobFinal } from "./live-indicator";
import { OutcomeBar } from "./outcome-bar";
import { PausedNotice } from "./paused-notice";
import { RunActions } from "./run-actions";
import type { TReportRunProgress } from "@/server/services/reports/report-run-progress";
import { useJobState } from "./use-job-state";

/** "1 + 3 requests": the HTTP requests of each attempt, so a retried sign-in shows. */
function requestCounts(perAttempt: number[]): string {
  if (perAttempt.length === 0) return "";
  const total = perAttempt.reduce((sum, n) => sum + n, 0);
  const noun = total === 1 ? "request" : "requests";
  return perAttempt.length === 1 ? `${total} ${noun}` : `${perAttempt.join(" + ")} ${noun}`;
}

function duration(startedAt: string | null, finishedAt: string | null): string {
  if (!startedAt || !finishedAt) return "";
  const seconds = (new Date(finishedAt).getTime() - new Date(startedAt).getTime()) / 1000;
  return seconds < 60
    ? `${seconds.toFixed(1)} s`
    : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function ReportRunDetail({ jobId }: { jobId: string }) {
  const { state, isConnected, isDeleted, error, follow } = useJobState<TReportRunProgress>(jobId);

  if (isDeleted) return <Alert tone="info">This run was deleted.</Alert>;
  if (!state)
    return error ? <Alert>{error}</Alert> : <p className="text-sm text-slate-500">Loading run…</p>;

  const { job, totals, items } = state;
  const done = totals.succeeded + totals.failed + totals.cancelled;
  const isFinal = isJobFinal(job.status);
  // a ZIP of nothing but the summary is not what a user came for
  const hasFiles = totals.succeeded > 0;

  return (
    <div>
      <PageTitle
        title={job.title}
        subtitle={`Report run · started ${new Date(job.createdAt).toLocaleString()}${job.finishedAt ? ` · finished ${new Date(job.finishedAt).toLocaleString()}` : ""}${job.scheduleId ? " · by a schedule" : ""}`}
        actions={
          <>
            {hasFiles && (
              <ButtonLink href={`/api/runs/${jobId}/archive`} variant="primary" download>
                Download all (ZIP)
              </ButtonLink>
            )}
            <ButtonLink href={`/api/runs/${jobId}/summary?format=csv`} download>
              Summary CSV
            </ButtonLink>
            <ButtonLink href={`/api/runs/${jobId}/summary?format=json`} download>
              Summary JSON
            </ButtonLink>
          </>
        }
      />
      <Card>
        <div className="flex flex-wrap items-center gap-3">
          <StatusBadge status={job.status} />
          <span className="text-sm tabular-nums text-slate-600" data-testid="overall-count">
            {done} of {totals.total} reports done
          </span>
          <span className="text-sm tabular-nums text-slate-600" data-testid="outcome-summary">
            {describeReportOutcome(totals)}
          </span>
          <span className="text-xs text-slate-500">
            {job.options.maxConcurrency} at once · up to {job.options.maxAttempts}{" "}
            {job.options.maxAttempts === 1 ? "attempt" : "attempts"} each
          </span>
          <LiveIndicator isFinal={isFinal} isConnected={isConnected} job={job} />
        </div>
        <div className="mt-3">
          <OutcomeBar
            total={totals.total}
            succeeded={totals.succeeded}
            failed={totals.failed}
            cancelled={totals.cancelled}
            label="Overall progress"
            valueText={describeReportOutcome(totals)}
          />
        </div>
        {state.pause && <PausedNotice pause={state.pause} items="reports" />}
        {!hasFiles && (
          <p className="mt-2 text-sm text-slate-600" data-testid="no-zip-note">
            {isFinal
              ? "No report succeeded, so there is no ZIP to download. The summary says why each one failed."
              : "The ZIP can be downloaded once a report has succeeded."}
          </p>
        )}
        <dl className="mt-4 grid grid-cols-2 gap-3 text-sm sm:grid-cols-6">
          {[
            ["Succeeded", totals.succeeded, "text-emerald-700"],
            ["Failed", totals.failed, "text-red-700"],
            ["Running", totals.running, ""],
            ["Waiting to retry", totals.waiting_retry, "text-amber-700"],
            ["Rows", totals.rows, ""],
          ].map(([label, value, tone]) => (
            <div key={label as string}>
              <dt className="text-xs text-slate-500">{label}</dt>
              {/* a zero is no news: colour only counts that need a look */}
              <dd className={`font-semibold tabular-nums ${(value as number) > 0 ? tone : ""}`}>
                {(value as number).toLocaleString()}
              </dd>
            </div>
          ))}
          <div>
            <dt className="text-xs text-slate-500">Size</dt>
            <dd className="font-semibold tabular-nums">{formatBytes(totals.bytes)}</dd>
          </div>
        </dl>
        <RunActions
          jobId={jobId}
          isFinal={isFinal}
          isPaused={Boolean(state.pause)}
          unfinished={totals.failed + totals.cancelled}
          items="reports"
          noun="run"
          onRetried={follow}
        />
      </Card>
      <DeliveriesOfJob jobId={jobId} />

      <h2 className="mt-6 mb-3 text-lg font-semibold">Summary</h2>
      <Card padding="none">
        {/* a phone gets one block per report instead of a table that scrolls sideways */}
        <ul className="divide-y divide-slate-100 md:hidden">
          {items.map((item) => (
            <li key={item.id} className="space-y-1 px-4 py-3 text-sm">
              <div className="flex items-center justify-between gap-2">
                <span className="font-medium">{item.reportName}</span>
                <StatusBadge status={item.state} />
              </div>
              <p className="text-xs tabular-nums text-slate-500">
                attempt {item.attempts} of {job.options.maxAttempts}
                {item.requestsPerAttempt.length > 0
                  ? ` (${requestCounts(item.requestsPerAttempt)})`
                  : ""}
                {item.rows !== null ? ` · ${item.rows.toLocaleString()} rows` : ""}
                {item.bytes !== null ? ` · ${formatBytes(item.bytes)}` : ""}
                {duration(item.startedAt, item.finishedAt)
                  ? ` · ${duration(item.startedAt, item.finishedAt)}`
                  : ""}
              </p>
              {item.files.map((file) => (
                <a
                  key={file.id}
                  href={`/api/runs/${jobId}/files/${file.id}`}
                  download
                  className="block truncate text-brand-600 hover:underline"
                >
                  {file.fileName}
                </a>
              ))}
              {item.isTruncated && (
                <span className="rounded bg-amber-100 px-1.5 py-0.5 text-xs text-amber-800">
                  truncated
                </span>
              )}
              {item.note && <p className="text-xs text-slate-500">{item.note}</p>}
              {item.error && <p className="text-xs text-red-700">{item.error}</p>}
            </li>
          ))}
        </ul>
        <div className="hidden overflow-x-auto md:block">
          <table className="w-full text-left text-sm" data-testid="run-summary">
            <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500">
              <tr>
                <th className="px-4 py-2 font-medium">Report</th>
                <th className="px-2 py-2 font-medium">Status</th>
                <th className="px-2 py-2 text-right font-medium">Attempts</th>
                <th className="px-2 py-2 text-right font-medium">Rows</th>
                <th className="px-2 py-2 text-right font-medium">Size</th>
                <th className="px-2 py-2 text-right font-medium">Time</th>
                <th className="px-2 py-2 font-medium">File or error</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {items.map((item) => (
                <tr key={item.id} data-testid="run-item" data-state={item.state}>
                  <td className="px-4 py-2 font-medium">{item.reportName}</td>
                  <td className="px-2 py-2">
                    <StatusBadge status={item.state} />
                    {item.state === "waiting_retry" && item.nextAttemptAt && (
                      <span className="ml-1 text-xs text-amber-700">
                        retry at {new Date(item.nextAttemptAt).toLocaleTimeString()}
                      </span>
                    )}
                  </td>
                  <td className="px-2 py-2 text-right tabular-nums">
                    {item.attempts} of {job.options.maxAttempts}
                    {item.requestsPerAttempt.length > 0 && (
                      <span
                        className="block text-xs whitespace-nowrap text-slate-500"
                        title="HTTP requests of each attempt; the JSON summary lists every one"
                        data-testid="request-counts"
                      >
                        {requestCounts(item.requestsPerAttempt)}
                      </span>
                    )}
                  </td>
                  <td className="px-2 py-2 text-right tabular-nums">
                    {item.rows?.toLocaleString() ?? ""}
                  </td>
                  <td className="px-2 py-2 text-right tabular-nums">
                    {item.bytes === null ? "" : formatBytes(item.bytes)}
                  </td>
                  <td className="px-2 py-2 text-right tabular-nums">
                    {duration(item.startedAt, item.finishedAt)}
                  </td>
                  <td className="max-w-md px-2 py-2">
                    {item.files.map((file) => (
                      <a
                        key={file.id}
                        href={`/api/runs/${jobId}/files/${file.id}`}
                        download
                        className="block text-brand-600 hover:underline"
                      >
                        {file.fileName}
                      </a>
                    ))}
                    {item.isTruncated && (
                      <span className="ml-2 rounded bg-amber-100 px-1.5 py-0.5 text-xs text-amber-800">
                        truncated
                      </span>
                    )}
                    {item.note && <p className="text-xs text-slate-500">{item.note}</p>}
                    {item.error && <p className="text-xs text-red-700">{item.error}</p>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </div>
  );
}
