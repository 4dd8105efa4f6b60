"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../../_components/trpc";
import { ButtonLink, Card, LoadProblem, Loading, PageTitle } from "../../_components/ui";

const STATE_WORDS: Record<string, { label: string; tone: string }> = {
  pending: { label: "waiting to be sent", tone: "bg-amber-50 text-amber-800" },
  sending: { label: "sending", tone: "bg-blue-50 text-blue-800" },
  sent: { label: "sent", tone: "bg-emerald-50 text-emerald-800" },
  failed: { label: "not sent", tone: "bg-red-50 text-red-800" },
};

/** Every alert made, newest first, with whether it reached its channel. */
export function AlertsPage() {
  const trpc = useTRPC();
  const alerts = useQuery({ ...trpc.alerts.list.queryOptions(), refetchInterval: 15_000 });
  return (
    <div>
      <PageTitle
        title="Alerts"
        subtitle="What DataHaul told people about their schedules' runs, and whether it arrived. An alert that could not be sent is tried again, later each time, five times in all."
        actions={<ButtonLink href="/schedules">Schedules</ButtonLink>}
      />
      <Card padding="none">
        {alerts.isPending ? (
          <div className="p-4">
            <Loading>Loading alerts…</Loading>
          </div>
        ) : alerts.isError ? (
          <div className="p-4">
            <LoadProblem>{alerts.error.message}</LoadProblem>
          </div>
        ) : alerts.data.length === 0 ? (
          <p className="p-6 text-sm text-slate-500">
            No alerts yet. Choose whom to alert in a schedule&apos;s or a pipeline&apos;s form.
          </p>
        ) : (
          <ul className="divide-y divide-slate-100" data-testid="alerts">
            {alerts.data.map((alert) => {
              const state = STATE_WORDS[alert.state] ?? { label: alert.state, tone: "" };
              return (
                <li
                  key={alert.id}
                  className="grid gap-1 px-4 py-3 text-sm"
                  data-testid="alert-row"
                  data-state={alert.state}
                >
                  <div className="flex flex-wrap items-center gap-2">
                    <span className="font-medium [overflow-wrap:anywhere]">{alert.title}</span>
                    <span className={`rounded px-1.5 py-0.5 text-xs ${state.tone}`}>
                      {state.label}
                    </span>
                  </div>
                  <p className="text-xs text-slate-600">
                    to {alert.channel} · {new Date(alert.createdAt).toLocaleString()}
                    {alert.attempts > 1 ? ` · ${alert.attempts} tries` : ""}
                    {alert.nextAttemptAt
                      ? ` · next try ${new Date(alert.nextAttemptAt).toLocaleTimeString()}`
                      : ""}
                    {alert.jobId && (
                      <>
                        {" · "}
                        <Link href={`/jobs/${alert.jobId}`} className="underline">
                          the run
                        </Link>
                      </>
                    )}
                  </p>
                  {alert.result && (
                    <p className="text-xs text-slate-500 [overflow-wrap:anywhere]">
                      {alert.result}
                    </p>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </Card>
    </div>
  );
}
