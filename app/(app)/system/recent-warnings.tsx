"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../_components/trpc";
import { Button, Card, Loading, LoadProblem } from "../../_components/ui";

const LEVEL_STYLE = {
  warn: "bg-amber-100 text-amber-900",
  error: "bg-red-100 text-red-800",
} as const;

/** The answering process's latest warn and error lines, kept in its memory, newest first. */
export function RecentWarnings() {
  const trpc = useTRPC();
  const log = useQuery(trpc.system.recentWarnings.queryOptions());
  return (
    <Card padding="none" className="mt-5">
      <div className="flex flex-wrap items-start justify-between gap-3 px-4 pt-4 sm:px-5">
        <div>
          <h2 className="font-semibold">Latest warnings and errors</h2>
          {log.data && (
            <p className="mt-1 text-sm text-slate-600">
              The last {log.data.kept} warn and error lines of the process that answered this page (
              {log.data.host} pid {log.data.pid}), kept in its memory since it started.{" "}
              {log.data.isWorkerHere
                ? "It runs the worker too, so the jobs' lines are here."
                : "It serves pages only: each worker process keeps its own lines, which are not here; read them in that worker's log."}
            </p>
          )}
        </div>
        <Button onClick={() => log.refetch()} disabled={log.isFetching}>
          {log.isFetching ? "Reading…" : "Read again"}
        </Button>
      </div>
      <div className="px-4 pb-4 sm:px-5">
        {log.isPending && <Loading>Reading the log…</Loading>}
        {log.error && <LoadProblem>{log.error.message}</LoadProblem>}
        {log.data?.lines.length === 0 && (
          <p className="mt-3 text-sm text-slate-600">
            No warnings or errors since the process started.
          </p>
        )}
      </div>
      {log.data && log.data.lines.length > 0 && (
        <ol
          className="divide-y divide-slate-100 border-t border-slate-100"
          data-testid="recent-warnings"
        >
          {log.data.lines.map((line, index) => (
            <li key={`${line.time}-${index}`} className="px-4 py-2 text-sm sm:px-5">
              <div className="flex flex-wrap items-baseline gap-2">
                <time dateTime={line.time} className="tabular-nums text-slate-500">
                  {new Date(line.time).toLocaleString()}
                </time>
                <span
                  className={`rounded px-1.5 py-0.5 text-xs font-medium ${LEVEL_STYLE[line.level]}`}
                >
                  {line.level}
                </span>
                <span className="[overflow-wrap:anywhere]">{line.message}</span>
              </div>
              {Object.keys(line.fields).length > 0 && (
                <details className="mt-1">
                  <summary className="cursor-pointer text-xs text-slate-500">Fields</summary>
                  <pre className="mt-1 overflow-x-auto rounded bg-slate-50 p-2 text-xs">
                    {JSON.stringify(line.fields, null, 2)}
                  </pre>
                </details>
              )}
            </li>
          ))}
        </ol>
      )}
    </Card>
  );
}
