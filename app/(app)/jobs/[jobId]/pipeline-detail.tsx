"use client";

import Link from "next/link";
import type { TPipelineProgress } from "@/server/services/pipelines/pipeline-progress";
import { Alert, Card, PageTitle, StatusBadge } from "../../../_components/ui";
import { DeliveriesOfJob } from "./delivery-steps";
import { LiveIndicator, isJobFinal } from "./live-indicator";
import { RunActions } from "./run-actions";
import { useJobState } from "./use-job-state";

/** A pipeline run: its stages in order, each with its own job's status, link and error. */
export function PipelineDetail({ jobId }: { jobId: string }) {
  const { state, isConnected, isDeleted, error, follow } = useJobState<TPipelineProgress>(jobId);

  if (isDeleted) return <Alert tone="info">This pipeline run was deleted.</Alert>;
  if (!state)
    return error ? <Alert>{error}</Alert> : <p className="text-sm text-slate-500">Loading…</p>;
  const { job, stages } = state;
  const isFinal = isJobFinal(job.status);

  return (
    <div>
      <PageTitle
        title={job.title}
        subtitle={`Pipeline run · started ${new Date(job.createdAt).toLocaleString()}${job.finishedAt ? ` · finished ${new Date(job.finishedAt).toLocaleString()}` : ""}${job.scheduleId ? " · by a schedule" : ""}`}
      />
      <Card>
        <div className="flex flex-wrap items-center gap-3">
          <StatusBadge status={job.status} />
          <LiveIndicator isFinal={isFinal} isConnected={isConnected} job={job} />
        </div>
        <ol className="mt-4 grid gap-3" data-testid="pipeline-stages">
          {stages.map((stage, index) => (
            <li
              key={stage.label}
              className="flex flex-wrap items-center gap-3 rounded-md border border-slate-200 px-3 py-2"
              data-testid="pipeline-stage"
              data-status={stage.status}
            >
              <span className="text-sm font-medium">
                {index + 1}. {stage.label}
              </span>
              <StatusBadge status={stage.status} />
              {stage.jobId && (
                <Link
                  href={`/jobs/${stage.jobId}`}
                  className="text-sm text-brand-600 hover:underline"
                >
                  Open this stage
                </Link>
              )}
              {stage.error && (
                <p className="w-full text-sm text-red-700" role="alert">
                  {stage.error}
                </p>
              )}
            </li>
          ))}
        </ol>
        <RunActions
          jobId={jobId}
          isFinal={isFinal}
          isPaused={false}
          unfinished={0}
          items="stages"
          noun="pipeline run"
          onRetried={follow}
        />
      </Card>
      <DeliveriesOfJob jobId={jobId} />
      <p className="mt-4 text-sm text-slate-500">
        <Link href="/pipelines" className="text-brand-600 hover:underline">
          Back to pipelines
        </Link>
      </p>
    </div>
  );
}
