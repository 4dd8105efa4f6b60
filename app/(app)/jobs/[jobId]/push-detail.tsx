"use client";

import Link from "next/link";
import type { TPushProgress } from "@/server/services/destinations/push-progress";
import {
  Alert,
  ButtonLink,
  Card,
  PageTitle,
  StatusBadge,
  formatBytes,
} from "../../../_components/ui";
import { LiveIndicator, isJobFinal } from "./live-indicator";
import { OutcomeBar } from "./outcome-bar";
import { PausedNotice } from "./paused-notice";
import { RunActions } from "./run-actions";
import { useJobState } from "./use-job-state";

const MODE_LABELS: Record<string, string> = {
  replace: "replace (clear, then write)",
  append: "append",
};

/** A push or a refresh: where the rows go, batches confirmed of all, and what the destination said. */
export function PushDetail({ jobId }: { jobId: string }) {
  const { state, isConnected, isDeleted, error, follow } = useJobState<TPushProgress>(jobId);

  if (isDeleted) return <Alert tone="info">This job was deleted.</Alert>;
  if (!state)
    return error ? <Alert>{error}</Alert> : <p className="text-sm text-slate-500">Loading…</p>;

  const { job, push } = state;
  const isFinal = isJobFinal(job.status);
  const isPush = push.action === "push";
  const noun = isPush ? "push" : "refresh";
  const fact = (label: string, value: React.ReactNode, testId?: string) => (
    <div>
      <dt className="text-xs text-slate-500">{label}</dt>
      <dd className="text-sm tabular-nums" data-testid={testId}>
        {value}
      </dd>
    </div>
  );

  return (
    <div>
      <PageTitle
        title={job.title}
        subtitle={`${isPush ? "Push" : "Refresh"} · started ${new Date(job.createdAt).toLocaleString()}${job.finishedAt ? ` · finished ${new Date(job.finishedAt).toLocaleString()}` : ""}${job.scheduleId ? " · by a schedule" : ""}`}
        actions={
          job.transformId ? (
            <ButtonLink href={`/tables/transforms/${job.transformId}`}>Open transform</ButtonLink>
          ) : null
        }
      />
      <Card>
        <div className="flex flex-wrap items-center gap-3">
          <StatusBadge status={job.status} />
          <span className="text-sm text-slate-600">
            {isPush ? "to" : "of"} <strong>{push.connectorName}</strong> ({push.connectorLabel})
            {push.mode ? `, ${MODE_LABELS[push.mode] ?? push.mode}` : ""}
          </span>
          {job.sourceName && (
            <span className="text-xs text-slate-500">from the table {job.sourceName}</span>
          )}
          <LiveIndicator isFinal={isFinal} isConnected={isConnected} job={job} />
        </div>
        {isPush && (
          <div className="mt-3">
            <OutcomeBar
              total={Math.max(push.batchesTotal, 1)}
              succeeded={push.batchesConfirmed}
              failed={
                push.state === "failed" ? Math.max(push.batchesTotal - push.batchesConfirmed, 1) : 0
              }
              cancelled={
                push.state === "cancelled"
                  ? Math.max(push.batchesTotal - push.batchesConfirmed, 1)
                  : 0
              }
              label="Batches confirmed"
              valueText={`${push.batchesConfirmed} of ${push.batchesTotal} batches confirmed`}
            />
          </div>
        )}
        <dl className="mt-3 grid grid-cols-2 gap-3 sm:grid-cols-4">
          {isPush &&
            fact(
              "Rows sent",
              `${push.rowsSent.toLocaleString()} of ${push.rowsTotal.toLocaleString()}`,
              "push-rows",
            )}
          {isPush &&
            fact(
              "Batches confirmed",
              push.batchesTotal > 0 ? `${push.batchesConfirmed} of ${push.batchesTotal}` : "—",
              "push-batches",
            )}
          {isPush && fact("Sent", formatBytes(push.bytesSent))}
          {fact("Attempts", push.attempts)}
          {fact("Started", push.startedAt ? new Date(push.startedAt).toLocaleString() : "—")}
          {fact("Finished", push.finishedAt ? new Date(push.finishedAt).toLocaleString() : "—")}
          {fact("State", <StatusBadge status={push.state} />, "push-state")}
        </dl>
        {push.message && (
          <p className="mt-3 text-sm text-slate-700" data-testid="push-message">
            {push.message}
          </p>
        )}
        {push.notes.length > 0 && (
          <ul className="mt-2 list-disc pl-5 text-xs text-slate-600" data-testid="push-notes">
            {push.notes.map((note) => (
              <li key={note}>{note}</li>
            ))}
          </ul>
        )}
        {push.error && (
          <p className="mt-3 text-sm text-red-700" role="alert" data-testid="push-error">
            {push.error}
          </p>
        )}
        {state.pause && <PausedNotice pause={state.pause} items="batches" />}
        <RunActions
          jobId={jobId}
          isFinal={isFinal}
          isPaused={Boolean(state.pause)}
          unfinished={push.state === "failed" || push.state === "cancelled" ? 1 : 0}
          items={isPush ? "batches" : "refresh"}
          noun={noun}
          onRetried={follow}
        />
      </Card>
      <p className="mt-4 text-sm text-slate-500">
        <Link href="/destinations" className="text-brand-600 hover:underline">
          Back to destinations
        </Link>
      </p>
    </div>
  );
}
