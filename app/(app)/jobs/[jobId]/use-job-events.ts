"use client";

import { useEffect, useState } from "react";
import type { TJobProgress, TProductProgress } from "@/server/services/jobs/job-progress";

export type TLiveJob = Omit<TJobProgress, "products"> & { products: Map<string, TProductProgress> };

/** Follows a job over server-sent events: a snapshot, then changes; EventSource reconnects by itself. */
export function useJobEvents(jobId: string) {
  const [state, setState] = useState<TLiveJob | null>(null);
  const [isConnected, setConnected] = useState(false);
  const [isDeleted, setDeleted] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const source = new EventSource(`/api/jobs/${jobId}/events`);
    source.addEventListener("open", () => {
      setConnected(true);
      setError(null);
    });
    source.addEventListener("snapshot", (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as TJobProgress;
      setState({ ...data, products: new Map(data.products.map((p) => [p.id, p])) });
    });
    source.addEventListener("progress", (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as TJobProgress;
      setState((previous) => {
        const products = new Map(previous?.products);
        for (const p of data.products) products.set(p.id, p);
        return { ...data, products };
      });
    });
    source.addEventListener("deleted", () => {
      setDeleted(true);
      source.close();
    });
    source.addEventListener("error", () => {
      setConnected(false);
      if (source.readyState === EventSource.CLOSED)
        setError("Lost the connection to the server. Reload the page to follow the job again.");
    });
    return () => source.close();
  }, [jobId]);

  return { state, isConnected, isDeleted, error };
}
