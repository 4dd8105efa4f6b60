"use client";

import { useState } from "react";
import { useJobStream } from "./use-job-stream";

/** The live state of a job whose every message carries all of it (a report run, an export). */
export function useJobState<TState>(jobId: string) {
  const [state, setState] = useState<TState | null>(null);
  const stream = useJobStream<TState>(jobId, { onSnapshot: setState, onProgress: setState });
  return { state, ...stream };
}
