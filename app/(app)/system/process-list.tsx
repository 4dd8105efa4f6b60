"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../_components/trpc";
import { Card, Loading } from "../../_components/ui";

const MODE_LABELS = { all: "pages and worker", web: "pages", worker: "worker" } as const;

/** "12 s ago", "4 min ago", "2 h ago": how long since a process last said it is there. */
function sinceLabel(date: Date, now: number): string {
  const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/** Every web and worker process seen within the hour, by its heartbeat. */
export function ProcessList() {
  const trpc = useTRPC();
  const processes = useQuery({
    ...trpc.system.processes.queryOptions(),
    refetchInterval: 15_000,
  });
  // "ago" as of the moment the list was read, so a render stays pure
  const now = processes.dataUpdatedAt;
  return (
    <Card padding="none" className="mt-5 overflow-x-auto">
      <div className="px-4 pt-4 sm:px-5">
        <h2 className="font-semibold">Processes</h2>
        <p className="mt-1 text-sm text-slate-600">
          Every server and worker process seen within the hour, by its heartbeat (every 15 s).
        </p>
      </div>
      {processes.isPending && (
        <div className="px-4 py-3 sm:px-5">
          <Loading>Loading the processes…</Loading>
        </div>
      )}
      {processes.error && (
        <p className="px-4 py-3 text-sm text-red-700 sm:px-5">{processes.error.message}</p>
      )}
      {processes.data && (
        <table className="mt-3 w-full min-w-[40rem] text-left text-sm" data-testid="processes">
          <thead className="bg-slate-50 text-xs text-slate-600">
            <tr>
              <th scope="col" className="px-4 py-2 font-medium sm:px-5">
                Host and process
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Runs
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Version
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Started
              </th>
              <th scope="col" className="px-3 py-2 font-medium">
                Last heartbeat
              </th>
              <th scope="col" className="px-3 py-2 text-right font-medium">
                Downloads in flight
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {processes.data.map((row) => (
              <tr key={row.id}>
                <td className="px-4 py-2 sm:px-5">
                  <span className="font-medium">{row.host}</span>{" "}
                  <span className="text-slate-600">pid {row.pid}</span>
                  {row.isThisProcess && (
                    <span className="ml-2 rounded bg-blue-50 px-1.5 py-0.5 text-xs text-blue-800">
                      answering this page
                    </span>
                  )}
                </td>
                <td className="px-3 py-2">{MODE_LABELS[row.mode] ?? row.mode}</td>
                <td className="px-3 py-2 tabular-nums">{row.version}</td>
                <td className="px-3 py-2">{new Date(row.startedAt).toLocaleString()}</td>
                <td className={`px-3 py-2 ${row.isAnswering ? "" : "font-medium text-amber-800"}`}>
                  {sinceLabel(new Date(row.lastSeenAt), now)}
                  {!row.isAnswering && " (not answering)"}
                </td>
                <td className="px-3 py-2 text-right tabular-nums">
                  {/* a silent process's last count is history: its items go back in line */}
                  {row.isAnswering ? row.itemsInFlight : "—"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
