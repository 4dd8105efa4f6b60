"use client";

import { useCallback, useEffect, useRef, useState } from "react";

/**
 * Follows a job's server-sent events: `snapshot` first, then `progress` messages, `end` once the
 * job has finished and `deleted` for a deleted one. EventSource reconnects by itself and the server
 * sends a new snapshot then. `follow()` opens the stream again after `end` (a retry restarts the job).
 */
export function useJobStream<T>(
  jobId: string,
  handlers: { onSnapshot: (data: T) => void; onProgress: (data: T) => void },
) {
  const [isConnected, setConnected] = useState(false);
  const [isDeleted, setDeleted] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
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
    // the job is final: nothing more will come, and a closed stream must not be reconnected
    source.addEventListener("end", () => {
      setConnected(false);
      source.close();
    });
    source.addEventListener("error", () => {
      setConnected(false);
      if (source.readyState === EventSource.CLOSED)
        setError("Lost the connection to the server. Reload the page to follow the job again.");
    });
    return () => source.close();
  }, [jobId, generation]);

  const follow = useCallback(() => setGeneration((n) => n + 1), []);
  return { isConnected, isDeleted, error, follow };
}
