"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../_components/trpc";
import { FieldProblem, fieldErrorsOf } from "../../_components/form-errors";
import { HelpText, Term } from "../../_components/term";
import { Alert, Button, Card, Loading, PageTitle } from "../../_components/ui";
import { ProcessList } from "./process-list";
import { Can, useCan } from "../../_components/role";
import { JobStorage } from "./job-storage";
import { RecentWarnings } from "./recent-warnings";
import { VersionCard } from "./version-card";

export function SystemCheck() {
  const trpc = useTRPC();
  const check = useQuery(trpc.system.check.queryOptions());
  const settings = useQuery(trpc.system.settings.queryOptions());

  return (
    <div>
      <PageTitle
        title="System check"
        subtitle="Is everything this server needs working?"
        actions={
          <Button onClick={() => check.refetch()} disabled={check.isFetching}>
            {check.isFetching ? "Checking…" : "Check again"}
          </Button>
        }
      />
      <Card padding="none">
        {check.isPending && (
          <div className="px-4 py-3">
            <Loading>Checking the database, the data folder and the job worker…</Loading>
          </div>
        )}
        {check.error && <p className="p-4 text-sm text-red-700">{check.error.message}</p>}
        <ul className="divide-y divide-slate-100" data-testid="system-checks">
          {check.data?.checks.map((c) => (
            <li key={c.name} className="flex items-start gap-3 px-4 py-3">
              <span
                aria-hidden
                className={`mt-0.5 grid h-5 w-5 shrink-0 place-items-center rounded-full text-xs font-bold text-white ${c.isOk ? "bg-emerald-500" : "bg-red-500"}`}
              >
                {c.isOk ? "✓" : "!"}
              </span>
              <div>
                <p className="font-medium">
                  {c.name} <span className="sr-only">{c.isOk ? "ok" : "problem"}</span>
                </p>
                <p className="text-sm text-slate-600">{c.detail}</p>
              </div>
            </li>
          ))}
        </ul>
      </Card>

      <ProcessList />

      <Can level="admin">
        <VersionCard />
      </Can>

      <div className="mt-5 grid gap-5 lg:grid-cols-2">
        {settings.data ? (
          <RetentionForm
            key={settings.data.retentionDays}
            initialDays={settings.data.retentionDays}
          />
        ) : (
          <Card>
            <h2 className="font-semibold">Job retention</h2>
            {settings.isPending && <Loading>Loading the settings…</Loading>}
          </Card>
        )}
        <Card>
          <h2 className="font-semibold">Download limits</h2>
          <p className="mt-1 text-sm text-slate-500">
            Set with environment variables when the server starts.
          </p>
          {settings.isPending && <Loading>Loading the settings…</Loading>}
          {settings.error && <p className="mt-3 text-sm text-red-700">{settings.error.message}</p>}
          {settings.data && (
            <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-2 text-sm">
              <dt className="text-slate-500">
                <Term name="concurrency">Parallel downloads</Term>
              </dt>
              <dd className="tabular-nums">{settings.data.limits.maxGlobalConcurrency}</dd>
              <dt className="text-slate-500">Per host</dt>
              <dd className="tabular-nums">{settings.data.limits.maxPerHostConcurrency}</dd>
              <dt className="text-slate-500">Requests per second per host</dt>
              <dd className="tabular-nums">{settings.data.limits.perHostQps}</dd>
              <dt className="text-slate-500">Largest image</dt>
              <dd className="tabular-nums">
                {Math.round(settings.data.limits.maxBytes / 1024 / 1024)} MB
              </dd>
              <dt className="text-slate-500">
                <Term name="max_attempts">Attempts per image</Term>
              </dt>
              <dd className="tabular-nums">{settings.data.limits.maxAttempts}</dd>
            </dl>
          )}
        </Card>
      </div>

      <Can level="admin">
        <JobStorage />
        <RecentWarnings />
      </Can>
    </div>
  );
}

function RetentionForm({ initialDays }: { initialDays: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [days, setDays] = useState(String(initialDays));
  const save = useMutation(
    trpc.system.setRetentionDays.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.system.settings.queryKey() }),
    }),
  );
  const errors = fieldErrorsOf(save.error);
  const isAdmin = useCan("admin");
  return (
    <Card>
      <h2 className="font-semibold">Job retention</h2>
      <HelpText id="retention-help" term="retention" />
      <form
        className="mt-3 flex items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate({ days: Number(days) });
        }}
      >
        <label className="text-sm">
          <span className="mb-1 block font-medium text-slate-700">Days</span>
          <input
            type="number"
            min={0}
            max={3650}
            value={days}
            onChange={(e) => setDays(e.target.value)}
            readOnly={!isAdmin}
            aria-invalid={errors.days ? true : undefined}
            aria-describedby="retention-help"
            className="w-28 rounded-md border border-slate-300 px-3 py-2 text-sm"
          />
          <FieldProblem errors={errors} path="days" />
        </label>
        {isAdmin && (
          <Button type="submit" variant="primary" disabled={save.isPending}>
            Save
          </Button>
        )}
      </form>
      {save.isSuccess && (
        <div className="mt-3">
          <Alert tone="success">Saved.</Alert>
        </div>
      )}
      {save.error && !errors.days && (
        <div className="mt-3">
          <Alert>{save.error.message}</Alert>
        </div>
      )}
    </Card>
  );
}
