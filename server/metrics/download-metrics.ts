import { Counter, Histogram, Registry } from "prom-client";

/**
 * What this process's outside calls did, per host: prom-client's own types, in a registry of ours
 * (the default one is global, and tests load modules more than once). A process serving /metrics
 * adds these to the figures it reads from the database.
 */
export const processRegistry: Registry =
  ((globalThis as Record<string, unknown>).__datahaulMetrics as Registry | undefined) ??
  ((globalThis as Record<string, unknown>).__datahaulMetrics = new Registry());

function metric<T>(name: string, make: () => T): T {
  return (processRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

const requestSeconds = metric(
  "datahaul_http_request_duration_seconds",
  () =>
    new Histogram({
      name: "datahaul_http_request_duration_seconds",
      help: "Outside HTTP requests (downloads, report APIs, destinations) by host and outcome",
      labelNames: ["host", "outcome"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [processRegistry],
    }),
);

const receivedBytes = metric(
  "datahaul_http_received_bytes_total",
  () =>
    new Counter({
      name: "datahaul_http_received_bytes_total",
      help: "Bytes received from outside hosts (decoded)",
      labelNames: ["host"],
      registers: [processRegistry],
    }),
);

const retries = metric(
  "datahaul_http_retries_total",
  () =>
    new Counter({
      name: "datahaul_http_retries_total",
      help: "Outside HTTP requests tried again, by host and why",
      labelNames: ["host", "reason"],
      registers: [processRegistry],
    }),
);

/** One attempt of an outside call ended: "ok", or the error's kind (http, timeout, …). */
export function observeRequest(host: string, outcome: string, seconds: number, bytes: number) {
  requestSeconds.observe({ host, outcome }, seconds);
  if (bytes > 0) receivedBytes.inc({ host }, bytes);
}

export function countRetry(host: string, reason: string) {
  retries.inc({ host, reason });
}
