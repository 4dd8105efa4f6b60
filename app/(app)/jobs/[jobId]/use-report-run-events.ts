"use client";

import { useState } from "react";
import type { TReportRunProgress } from "@/server/services/reports/report-run-progress";
import { useJobStream } from "./use-job-stream";

/** A report run's live state; every message carries all of it (one row per report). */
export function useReportRunEvents(jobId: string) {
  const [state, setState] = useState<TReportRunProgress | null>(null);
  const stream = useJobStream<TReportRunProgress>(jobId, {
    onSnapshot: setState,
    onProgress: setState,
  });
  return { state, ...stream };
}
