"use client";

import { useEffect, useState } from "react";
import type { TReportRunProgress } from "@/server/services/reports/report-run-progress";

/** Follows a report run over server-sent events; every message carries the whole (small) state. */
export function useReportRunEvents(jobId: string) {
  const [state, setState] = useState<TReportRunProgress | null>(null);
  const [isConnected, setConnected] = useState(false);
  const [isDeleted, setDeleted] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const source = new EventSource(`/api/jobs/${jobId}/events`);
    const take = (event: Event) =>
      setState(JSON.parse((event as MessageEvent<string>).data) as TReportRunProgress);
    source.addEventListener("open", () => {
      setConnected(true);
      setError(null);
    });
    source.addEventListener("snapshot", take);
    source.addEventListener("progress", take);
    source.addEventListener("deleted", () => {
      setDeleted(true);
      source.close();
    });
    source.addEventListener("error", () => {
      setConnected(false);
      if (source.readyState === EventSource.CLOSED)
        setError("Lost the connection to the server. Reload the page.");
    });
    return () => source.close();
  }, [jobId]);

  return { state, isConnected, isDeleted, error };
}
