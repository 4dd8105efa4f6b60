"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useDeferredValue, useState } from "react";
import { useTRPC } from "../../_components/trpc";
import { Button, ButtonLink, Card, LoadProblem, Loading, PageTitle } from "../../_components/ui";

const INPUT = "mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm";

/** what the action filter offers: the start of an action's name */
const ACTIONS: Record<string, string> = {
  "": "Everything",
  "sign-in": "Sign-ins (and failed ones)",
  "users.": "Users and roles",
  "connectors.": "Connectors and their secrets",
  "tokens.": "API tokens",
  "reports.run": "Report runs started",
  "schedules.": "Schedules",
  "system.": "Settings",
};

/** Who did what, newest first: sign-ins, user and role changes, connectors, runs, deletions. */
export function AuditPage() {
  const trpc = useTRPC();
  const [action, setAction] = useState("");
  const [search, setSearch] = useState("");
  const q = useDeferredValue(search);
  const lines = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(
      { action, q },
      {
        getNextPageParam: (page) => (page.hasMore ? page.lines.at(-1)?.at : undefined),
      },
    ),
  );
  const shown = lines.data?.pages.flatMap((page) => page.lines) ?? [];
  return (
    <div>
      <PageTitle
        title="Audit log"
        subtitle="Sign-ins, user and role changes, connector and secret changes, runs started, data deleted and API tokens, with who and from where. Kept as long as jobs are."
        actions={<ButtonLink href="/users">Users</ButtonLink>}
      />
      <div className="mb-4 grid gap-3 sm:grid-cols-[16rem_minmax(0,1fr)]">
        <label className="text-sm font-medium text-slate-700">
          Show
          <select className={INPUT} value={action} onChange={(e) => setAction(e.target.value)}>
            {Object.entries(ACTIONS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="text-sm font-medium text-slate-700">
          Search who, what or the address
          <input
            className={INPUT}
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            placeholder="ana@example.com, a connector's name, 10.0.0.7"
          />
        </label>
      </div>
      <Card padding="none">
        {lines.isPending ? (
          <div className="p-4">
            <Loading>Loading the audit log…</Loading>
          </div>
        ) : lines.isError ? (
          <div className="p-4">
            <LoadProblem>{lines.error.message}</LoadProblem>
          </div>
        ) : shown.length === 0 ? (
          <p className="p-6 text-sm text-slate-500">Nothing matches.</p>
        ) : (
          <table className="w-full text-left text-sm" data-testid="audit">
            <thead className="border-b border-slate-200 text-xs text-slate-500">
              <tr>
                <th className="px-4 py-2 font-medium">When</th>
                <th className="px-2 py-2 font-medium">Who</th>
                <th className="px-2 py-2 font-medium">What</th>
                <th className="hidden px-2 py-2 font-medium md:table-cell">From</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {shown.map((line) => (
                <tr key={line.id} data-testid="audit-line" className="align-top">
                  <td className="px-4 py-2 whitespace-nowrap text-slate-600 tabular-nums">
                    {new Date(line.at).toLocaleString()}
                  </td>
                  <td className="px-2 py-2 [overflow-wrap:anywhere]">{line.actor}</td>
                  <td className="px-2 py-2 [overflow-wrap:anywhere]">
                    <span
                      className={`font-medium ${line.action === "sign-in failed" ? "text-red-700" : ""}`}
                    >
                      {line.action}
                    </span>
                    {line.target && <span className="text-slate-600"> · {line.target}</span>}
                  </td>
                  <td className="hidden px-2 py-2 text-slate-600 md:table-cell">{line.address}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {lines.hasNextPage && (
        <div className="mt-3">
          <Button onClick={() => void lines.fetchNextPage()} disabled={lines.isFetchingNextPage}>
            {lines.isFetchingNextPage ? "Loading…" : "Older lines"}
          </Button>
        </div>
      )}
    </div>
  );
}
