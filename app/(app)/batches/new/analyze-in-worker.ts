"use client";

import { useCallback, useEffect, useRef } from "react";
import type { TArchiveChoice } from "@/server/batches/input";
import { toPreviewAnalysis, type TPackedAnalysis, type TPreviewAnalysis } from "./packed-analysis";

export type TAnalyzeRequest = { id: number; source: "paste" | "csv" } & (
  | { text: string; bytes?: undefined; entry?: undefined }
  // `entry`: the spreadsheet of a ZIP to read; without it the image list among them
  | { bytes: ArrayBuffer; text?: undefined; entry?: string }
);

export type TAnalyzeResponse<TAnalysis = TPreviewAnalysis> = {
  id: number;
  analysis: TAnalysis | null;
  /** the text read from an uploaded file's bytes */
  text: string | null;
  /** why an uploaded file was not read (not text, a damaged ZIP…) */
  refusal: string | null;
  /** the spreadsheets of an uploaded ZIP and the one read */
  archive: TArchiveChoice | null;
};

type TAnalyzeInput =
  | { text: string; source: "paste" | "csv" }
  | { bytes: ArrayBuffer; source: "paste" | "csv"; entry?: string };

/**
 * Runs analyses in one Web Worker, started with the page so it is warm by the first paste. A newer
 * request supersedes an older one: the older one's promise never settles, so a slow analysis
 * cannot overwrite the preview of newer input.
 */
export function useAnalyzeInWorker(): (input: TAnalyzeInput) => Promise<TAnalyzeResponse> {
  const worker = useRef<Worker | null>(null);
  const latest = useRef(0);
  const pending = useRef(new Map<number, (response: TAnalyzeResponse) => void>());

  const start = useCallback(() => {
    const started = new Worker(new URL("./analyze.worker.ts", import.meta.url), {
      type: "module",
    });
    started.onmessage = (event: MessageEvent<TAnalyzeResponse<TPackedAnalysis>>) => {
      const { analysis, ...rest } = event.data;
      const response = { ...rest, analysis: analysis ? toPreviewAnalysis(analysis) : null };
      const resolve = pending.current.get(response.id);
      pending.current.delete(response.id);
      if (response.id === latest.current) resolve?.(response);
    };
    worker.current = started;
    return started;
  }, []);

  useEffect(() => {
    start();
    return () => {
      worker.current?.terminate();
      worker.current = null;
    };
  }, [start]);

  return useCallback(
    (input) => {
      const id = ++latest.current;
      pending.current.clear();
      return new Promise<TAnalyzeResponse>((resolve) => {
        pending.current.set(id, resolve);
        const request: TAnalyzeRequest =
          "bytes" in input
            ? { id, source: input.source, bytes: input.bytes, entry: input.entry }
            : { id, source: input.source, text: input.text };
        (worker.current ?? start()).postMessage(request, "bytes" in input ? [input.bytes] : []);
      });
    },
    [start],
  );
}
