"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { TDeliveryStep } from "@/server/services/deliveries/delivery-progress";
import { useTRPC } from "../../../_components/trpc";
import { Card, StatusBadge, formatBytes } from "../../../_components/ui";

/** Each destination a job's files went to: its state, attempts, what arrived where, or why not. */
export function DeliveryStepList({ steps }: { steps: TDeliveryStep[] }) {
  return (
    <ol className="grid gap-3" data-testid="delivery-steps">
      {steps.map((step) => (
        <li
          key={step.id}
          className="rounded-md border border-slate-200 px-3 py-2"
          data-testid="delivery-step"
          data-state={step.state}
        >
          <div className="flex flex-wrap items-center gap-3">
            <span className="text-sm font-medium">
              {step.connectorName}{" "}
              <span className="font-normal text-slate-500">({step.connectorLabel})</span>
            </span>
            <StatusBadge status={step.state} />
            <span className="text-xs text-slate-500">
              {step.attempts} attempt{step.attempts === 1 ? "" : "s"}
              {step.finishedAt ? ` · ${new Date(step.finishedAt).toLocaleString()}` : ""}
            </span>
          </div>
          {step.message && <p className="mt-1 text-sm text-slate-700">{step.message}</p>}
          {step.files.length > 0 && (
            <ul className="mt-1 text-xs text-slate-600" data-testid="delivered-files">
              {step.files.map((file) => (
                <li key={`${file.name}-${file.location}`} className="break-all">
                  {file.deliveredAs} ({formatBytes(file.bytes)}) → {file.location}
                </li>
              ))}
            </ul>
          )}
          {step.error && (
            <p className="mt-1 text-sm text-red-700" role="alert" data-testid="delivery-error">
              {step.error}
            </p>
          )}
        </li>
      ))}
    </ol>
  );
}

/**
 * Where a run's, an export's or a pipeline run's files go, on its own page. It asks again every
 * few seconds until every destination has an outcome: deliveries start once the job ends.
 */
export function DeliveriesOfJob({ jobId }: { jobId: string }) {
  const trpc = useTRPC();
  const deliveries = useQuery({
    ...trpc.destinations.deliveriesOf.queryOptions({ jobId }),
    refetchInterval: (query) => {
      const data = query.state.data;
      if (!data) return 3_000;
      const isSettled =
        data.steps.length > 0
          ? data.steps.every((step) => !["pending", "running"].includes(step.state))
          : data.waiting.every((wait) => wait.reason !== "waits for the files");
      return isSettled ? false : 3_000;
    },
  });
  const data = deliveries.data;
  if (!data || (data.steps.length === 0 && data.waiting.length === 0)) return null;
  return (
    <Card className="mt-4">
      <div className="mb-3 flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="text-base font-semibold">Deliveries</h2>
        {data.deliveryJobId && (
          <Link
            href={`/jobs/${data.deliveryJobId}`}
            className="text-sm text-brand-600 hover:underline"
          >
            Open the delivery (retry, cancel)
          </Link>
        )}
      </div>
      {data.steps.length > 0 ? (
        <DeliveryStepList steps={data.steps} />
      ) : (
        <ul className="grid gap-1 text-sm text-slate-600" data-testid="deliveries-waiting">
          {data.waiting.map((wait) => (
            <li key={wait.name}>
              {wait.name}: {wait.reason}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
