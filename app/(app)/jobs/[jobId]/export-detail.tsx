"use client";

import Link from "next/link";
import type { TExportProgress } from "@/server/services/tables/export-progress";
import {
  Alert,
  ButtonLink,
  Card,
  PageTitle,
  StatusBadge,
  formatBytes,
} from "../../../_components/ui";
import { DeliveriesOfJob } from "./delivery-steps";
import { LiveIndicator, isJobFinal } from "./live-indicator";
import { OutcomeBar } from "./outcome-bar";
import { PausedNotice } from "./paused-notice";
import { RunActions } from "./run-actions";
import { useJobState } from "./use-job-state";

const FORMAT_LABELS: Record<string, string> = {
  csv: "CSV",
  xlsx: "Excel (XLSX)",
  parquet: "Parquet",
  json: "JSON",
  ndjson: "NDJSON",
};

/** An export's files: each with its state, rows, size and download, live while it runs. */
export function ExportDetail({ jobId }: { jobId: string }) {
  const { state, isConnected, isDeleted, error, follow } = useJobState<TExportProgress>(jobId);

  if (isDeleted) return <Alert tone="info">This export was deleted.</Alert>;
  if (!state)
    return error ? (
      <Alert>{error}</Alert>
    ) : (
      <p className="text-sm text-slate-500">Loading export…</p>
    );

  const { job, totals, outputs } = state;
  const isFinal = isJobFinal(job.status);
  const unfinished = totals.failed + totals.cancelled;

  return (
    <div>
      <PageTitle
        title={job.title}
        subtitle={`Export · started ${new Date(job.createdAt).toLocaleString()}${job.finishedAt ? ` · finished ${new Date(job.finishedAt).toLocaleString()}` : ""}${job.scheduleId ? " · by a schedule" : ""}`}
        actions={
          <>
            {totals.succeeded > 1 && (
              <ButtonLink href={`/api/exports/${jobId}/archive`} variant="primary" download>
                Download all (ZIP)
              </ButtonLink>
            )}
            {job.transformId && (
              <ButtonLink href={`/tables/transforms/${job.transformId}`}>Open transform</ButtonLink>
            )}
          </>
        }
      />
      <Card>
        <div className="flex flex-wrap items-center gap-3">
          <StatusBadge status={job.status} />
          <span className="text-sm tabular-nums text-slate-600" data-testid="overall-count">
            {totals.succeeded + totals.failed + totals.cancelled} of {totals.total}{" "}
            {totals.total === 1 ? "file" : "files"} done
          </span>
          {job.sourceName && (
            <span className="text-xs text-slate-500">from the table {job.sourceName}</span>
          )}
          {job.afterRunJobId && (
            <Link
              href={`/jobs/${job.afterRunJobId}`}
              className="text-xs text-brand-600 hover:underline"
            >
              after this report run
            </Link>
          )}
          <LiveIndicator isFinal={isFinal} isConnected={isConnected} job={job} />
        </div>
        <div className="mt-3">
          <OutcomeBar
            total={totals.total}
            succeeded={totals.succeeded}
            failed={totals.failed}
            cancelled={totals.cancelled}
            label="Overall progress"
            valueText={`${totals.succeeded} of ${totals.total} files written`}
          />
        </div>
        {state.pause && <PausedNotice pause={state.pause} items="files" />}
        <RunActions
          jobId={jobId}
          isFinal={isFinal}
          isPaused={Boolean(state.pause)}
          unfinished={unfinished}
          items="files"
          noun="export"
          onRetried={follow}
        />
      </Card>
      <DeliveriesOfJob jobId={jobId} />

      <h2 className="mt-6 mb-3 text-lg font-semibold">Files</h2>
      <Card padding="none">
        <ul className="divide-y divide-slate-100" data-testid="export-outputs">
          {outputs.map((output) => (
            <li
              key={output.id}
              className="flex flex-wrap items-center gap-x-4 gap-y-1 px-4 py-3 text-sm"
              data-testid="export-output"
              data-state={output.state}
            >
              <div className="min-w-0 flex-1">
                {output.state === "succeeded" ? (
                  <a
                    href={`/api/exports/${jobId}/files/${output.id}`}
                    download
                    className="font-medium text-brand-600 hover:underline"
                  >
                    {output.fileName}
                  </a>
                ) : (
                  <span className="font-medium">{output.fileName}</span>
                )}
                <span className="ml-2 text-xs text-slate-500">
                  {FORMAT_LABELS[output.format] ?? output.format}
                </span>
                {output.note && <p className="text-xs text-amber-800">{output.note}</p>}
                {output.error && <p className="text-xs text-red-700">{output.error}</p>}
              </div>
              <span className="text-xs tabular-nums text-slate-600">
                {output.rows !== null
                  ? `${output.rows.toLocaleString()} rows`
                  : output.state === "running" && output.rowsDone > 0
                    ? `${output.rowsDone.toLocaleString()} rows read`
                    : ""}
                {output.bytes !== null ? ` · ${formatBytes(output.bytes)}` : ""}
              </span>
              <StatusBadge status={output.state} />
            </li>
          ))}
        </ul>
      </Card>
      <p className="mt-4 text-sm text-slate-500">
        <Link href="/tables" className="text-brand-600 hover:underline">
          Back to tables
        </Link>
      </p>
    </div>
  );
}
