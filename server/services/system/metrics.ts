import "server-only";
import { Gauge, Registry } from "prom-client";
import { db } from "@/server/db";
import { processRegistry } from "@/server/metrics/download-metrics";

/**
 * The scrape: what every process did, read from the database at scrape time (jobs, items, the
 * queue, schedules, alerts), so any process answers for the whole app; plus this process's own
 * outside calls per host.
 */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });

  const [jobs, imageItems, reportItems, alerts, schedules] = await Promise.all([
    db.job.groupBy({ by: ["kind", "status"], _count: { _all: true } }),
    db.imageItem.groupBy({ by: ["state"], _count: { _all: true } }),
    db.reportRunItem.groupBy({ by: ["state"], _count: { _all: true } }),
    db.alert.groupBy({ by: ["state"], _count: { _all: true } }),
    db.schedule.findMany({
      where: { isEnabled: true },
      select: { name: true, nextRunAt: true },
    }),
  ]);

  const jobsGauge = gauge("datahaul_jobs", "Jobs by kind and state", ["kind", "state"]);
  for (const row of jobs) jobsGauge.set({ kind: row.kind, state: row.status }, row._count._all);
  const items = gauge("datahaul_items", "Items of jobs by kind and state", ["kind", "state"]);
  for (const row of imageItems) items.set({ kind: "image", state: row.state }, row._count._all);
  for (const row of reportItems) items.set({ kind: "report", state: row.state }, row._count._all);
  const waiting = jobs
    .filter((row) => row.status === "queued")
    .reduce((sum, row) => sum + row._count._all, 0);
  gauge("datahaul_queue_depth", "Jobs waiting for a worker").set(waiting);

  const now = Date.now();
  const lag = gauge(
    "datahaul_schedule_lag_seconds",
    "How long past its due time each enabled schedule's next run is (0 while not yet due)",
    ["schedule"],
  );
  for (const schedule of schedules) {
    const late = schedule.nextRunAt ? (now - schedule.nextRunAt.getTime()) / 1000 : 0;
    lag.set({ schedule: schedule.name }, Math.max(0, late));
  }
  const alertGauge = gauge("datahaul_alerts", "Alerts by delivery state", ["state"]);
  for (const row of alerts) alertGauge.set({ state: row.state }, row._count._all);

  const merged = Registry.merge([registry, processRegistry]);
  return { contentType: merged.contentType, body: await merged.metrics() };
}
