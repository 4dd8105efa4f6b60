"use client";

import Link from "next/link";
import type { TDeliveryProgress } from "@/server/services/deliveries/delivery-progress";
import { Alert, Card, PageTitle, StatusBadge, formatBytes } from "../../../_components/ui";
import { DeliveryStepList } from "./delivery-steps";
import { LiveIndicator, isJobFinal } from "./live-indicator";
import { OutcomeBar } from "./outcome-bar";
import { PausedNotice } from "./paused-notice";
import { RunActions } from "./run-actions";
import { useJobState } from "./use-job-state";

/** A delivery: the files of one finished job, and each destination's step. */
export function DeliveryDetail({ jobId }: { jobId: string }) {
  const { state, isConnected, isDeleted, error, follow } = useJobState<TDeliveryProgress>(jobId);

  if (isDeleted) return <Alert tone="info">This delivery was deleted.</Alert>;
  if (!state)
    return error ? <Alert>{error}</Alert> : <p className="text-sm text-slate-500">Loading…</p>;
  const { job, source, files, steps } = state;
  const isFinal = isJobFinal(job.status);
  const count = (wanted: string) => steps.filter((step) => step.state === wanted).length;
  const bytes = files.reduce((sum, file) => sum + file.bytes, 0);

  return (
    <div>
      <PageTitle
        title={job.title}
        subtitle={`Delivery · started ${new Date(job.createdAt).toLocaleString()}${job.finishedAt ? ` · finished ${new Date(job.finishedAt).toLocaleString()}` : ""}${job.scheduleId ? " · by a schedule" : ""}`}
      />
      <Card>
        <div className="flex flex-wrap items-center gap-3">
          <StatusBadge status={job.status} />
          <span className="text-sm text-slate-600">
            {files.length} file{files.length === 1 ? "" : "s"} ({formatBytes(bytes)}) of{" "}
            <Link href={`/jobs/${source.id}`} className="text-brand-600 underline">
              {source.title}
            </Link>
          </span>
          <LiveIndicator isFinal={isFinal} isConnected={isConnected} job={job} />
        </div>
        <div className="mt-3">
          <OutcomeBar
            total={steps.length}
            succeeded={count("succeeded")}
            failed={count("failed")}
            cancelled={count("cancelled")}
            label="Destinations done"
            valueText={`${count("succeeded")} of ${steps.length} destinations took the files`}
          />
        </div>
        <div className="mt-4">
          <DeliveryStepList steps={steps} />
        </div>
        {state.pause && <PausedNotice pause={state.pause} items="deliveries" />}
        <RunActions
          jobId={jobId}
          isFinal={isFinal}
          isPaused={Boolean(state.pause)}
          unfinished={count("failed") + count("cancelled")}
          items="deliveries"
          noun="delivery"
          onRetried={follow}
        />
      </Card>
      <p className="mt-4 text-sm text-slate-500">
        <Link href="/destinations" className="text-brand-600 hover:underline">
          Destinations
        </Link>
      </p>
    </div>
  );
}
