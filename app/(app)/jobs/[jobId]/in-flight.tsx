"use client";

import { useEffect, useState } from "react";
import type { TJobActivityView, TProductProgress } from "@/server/services/jobs/job-progress";
import { Card } from "../../../_components/ui";

function describeSeconds(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 120 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** The browser's clock, once a second: waits and running times count on between updates. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/**
 * The downloads a running job is waiting for, with their attempt and the wait before the next try:
 * a job that sits at 96 % for minutes shows what it is doing.
 */
export function InFlight({
  activity,
  receivedAt,
  products,
}: {
  activity: TJobActivityView;
  /** when the browser got `activity`, by its own clock */
  receivedAt: number;
  products: Map<string, TProductProgress>;
}) {
  const now = useNow();
  if (activity.inFlightCount === 0) return null;
  // the server's clock now: its times compare with it, whatever the browser's clock says
  const serverNow = activity.readAt + Math.max(0, now - receivedAt);
  return (
    <Card className="mt-5">
      <h2 className="text-sm font-semibold text-slate-700">
        Downloading now ({activity.inFlightCount.toLocaleString()})
      </h2>
      {activity.inFlight.length < activity.inFlightCount && (
        <p className="mt-1 text-xs text-slate-500">
          Showing {activity.inFlight.length}: those waiting to try again and those running longest
          first.
        </p>
      )}
      <ul className="mt-2 divide-y divide-slate-100 text-sm" data-testid="in-flight">
        {activity.inFlight.map((download) => (
          <li
            key={`${download.productId} ${download.url}`}
            className="grid gap-1 py-2 sm:grid-cols-[8rem_minmax(0,1fr)_minmax(0,1fr)]"
          >
            <span className="font-mono text-xs break-all">
              {products.get(download.productId)?.number ?? ""}
            </span>
            <span className="truncate text-xs text-slate-500" title={download.url}>
              {download.url}
            </span>
            <span className="text-xs text-slate-700">
              {download.retryAt !== null
                ? `attempt ${download.attempt} of ${activity.maxAttempts} failed (${download.lastError ?? "no answer"}); next try in ${describeSeconds(download.retryAt - serverNow)}`
                : `attempt ${download.attempt} of ${activity.maxAttempts}, ${describeSeconds(serverNow - download.attemptStartedAt)} so far`}
            </span>
          </li>
        ))}
      </ul>
    </Card>
  );
}
