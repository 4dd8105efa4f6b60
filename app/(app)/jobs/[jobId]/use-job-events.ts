"use client";

import { useState } from "react";
import type { TJobProgress, TProductProgress } from "@/server/services/jobs/job-progress";
import { useJobStream } from "./use-job-stream";

/** `receivedAt`: when the last message came, by the browser's clock (waits count down from it) */
export type TLiveJob = Omit<TJobProgress, "products"> & {
  products: Map<string, TProductProgress>;
  receivedAt: number;
};

/** An image batch's live state: every product in the snapshot, only changed ones afterwards. */
export function useJobEvents(jobId: string) {
  const [state, setState] = useState<TLiveJob | null>(null);
  const stream = useJobStream<TJobProgress>(jobId, {
    onSnapshot: (data) =>
      setState({
        ...data,
        products: new Map(data.products.map((p) => [p.id, p])),
        receivedAt: Date.now(),
      }),
    onProgress: (data) =>
      setState((previous) => {
        const products = new Map(previous?.products);
        for (const p of data.products) products.set(p.id, p);
        return { ...data, products, receivedAt: Date.now() };
      }),
  });
  return { state, ...stream };
}
