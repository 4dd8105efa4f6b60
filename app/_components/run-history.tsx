"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { TRunHistoryPoint } from "@/server/services/reports/run-history";
import { useTRPC } from "./trpc";
import { formatBytes } from "./ui";

const BAR = 10;
/** a chart keeps room for this many runs, so a few runs stay narrow bars at the right */
const SLOTS = 30;
const HEIGHT = 40;

const formatDuration = (ms: number) =>
  ms < 1000
    ? `${ms} ms`
    : ms < 120_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms / 60_000)} min`;

const lastRuns = (n: number) => (n === 1 ? "the last run" : `the last ${n} runs`);

const isFailure = (status: string) => status === "failed";
const isPartial = (status: string) => status === "completed_with_errors";

/** One measure of the runs as bars, oldest on the left; failures as full red bars. */
function Bars({
  label,
  points,
  valueOf,
  format,
}: {
  label: string;
  points: TRunHistoryPoint[];
  valueOf: (point: TRunHistoryPoint) => number | null;
  format: (value: number) => string;
}) {
  const values = points.map(valueOf);
  const max = Math.max(1, ...values.filter((v): v is number => v !== null));
  const latest = [...points].reverse().find((point) => valueOf(point) !== null);
  const failures = points.filter((point) => isFailure(point.status)).length;
  const summary = `${label} of ${lastRuns(points.length)}${failures ? `, ${failures} failed` : ""}${latest ? `; latest ${format(valueOf(latest)!)}` : ""}`;
  return (
    <figure className="min-w-0">
      <figcaption className="text-xs text-slate-600">
        {label}
        {latest ? `: latest ${format(valueOf(latest)!)}` : ""}
      </figcaption>
      <svg
        viewBox={`0 0 ${Math.max(points.length, SLOTS) * BAR} ${HEIGHT}`}
        preserveAspectRatio="none"
        className="mt-1 h-12 w-full rounded bg-slate-50"
        role="group"
        aria-label={summary}
      >
        {points.map((point, i) => {
          const value = values[i] ?? null;
          const failed = isFailure(point.status);
          const height = failed ? HEIGHT : value === null ? 0 : Math.max(1, (value / max) * HEIGHT);
          const fill = failed
            ? "#f87171"
            : point.isTruncated || isPartial(point.status)
              ? "#fbbf24"
              : point.status === "cancelled"
                ? "#cbd5e1"
                : "#3b82f6";
          const when = new Date(point.at).toLocaleString();
          const said = failed
            ? `failed${point.error ? `: ${point.error}` : ""}`
            : value === null
              ? point.status
              : format(value);
          return (
            <Link
              key={point.jobId}
              href={`/jobs/${point.jobId}`}
              aria-label={`${when}: ${said}`}
              data-testid="history-bar"
              data-status={point.status}
            >
              <rect
                x={(Math.max(SLOTS - points.length, 0) + i) * BAR + 1}
                y={HEIGHT - height}
                width={BAR - 2}
                height={height}
                fill={fill}
              >
                <title>{`${when}: ${said}`}</title>
              </rect>
            </Link>
          );
        })}
      </svg>
    </figure>
  );
}

/** Rows, bytes and time of a report's or a schedule's latest runs, so drift shows at a glance. */
export function RunHistory({ of, id }: { of: "report" | "schedule"; id: string }) {
  const trpc = useTRPC();
  const history = useQuery(
    of === "report"
      ? trpc.reports.history.queryOptions({ id })
      : trpc.schedules.history.queryOptions({ id }),
  );
  if (history.isLoading) return <p className="text-sm text-slate-500">Loading the history…</p>;
  if (history.error) return <p className="text-sm text-red-700">{history.error.message}</p>;
  const points = history.data?.points ?? [];
  if (points.length === 0) return <p className="text-sm text-slate-500">No finished runs yet.</p>;
  return (
    <div data-testid="run-history">
      <div className="grid gap-3 sm:grid-cols-3">
        <Bars
          label="Rows"
          points={points}
          valueOf={(p) => p.rows}
          format={(v) => v.toLocaleString()}
        />
        <Bars label="Size" points={points} valueOf={(p) => p.bytes} format={formatBytes} />
        <Bars
          label="Duration"
          points={points}
          valueOf={(p) => p.durationMs}
          format={formatDuration}
        />
      </div>
      <p className="mt-1 text-xs text-slate-500">
        {lastRuns(points.length).replace("the", "The")}, oldest on the left. Red: failed; amber: cut
        short or partly failed. Each bar opens its run.
      </p>
    </div>
  );
}
