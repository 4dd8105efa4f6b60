"use client";

import { useEffect, useRef, useState } from "react";

/**
 * Follows a job's server-sent events: `snapshot` first, then `progress` messages, `deleted` at the
 * end of a deleted job. EventSource reconnects by itself and the server sends a new snapshot then.
 */
export function useJobStream<T>(
  jobId: string,
  handlers: { onSnapshot: (data: T) => void; onProgress: (data: T) => void },
) {
  const [isConnected, setConnected] = useState(false);
  const [isDeleted, setDeleted] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });

  useEffect(() => {
    const source = new EventSource(`/api/jobs/${jobId}/events`);
    const parse = (event: Event) => JSON.parse((event as MessageEvent<string>).data) as T;
    source.addEventListener("open", () => {
      setConnected(true);
      setError(null);
    });
    source.addEventListener("snapshot", (event) => latest.current.onSnapshot(parse(event)));
    source.addEventListener("progress", (event) => latest.current.onProgress(parse(event)));
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

  return { isConnected, isDeleted, error };
}
