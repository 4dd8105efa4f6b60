"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../_components/trpc";
import { Card, Loading, LoadProblem } from "../../_components/ui";

const RUN_MODE_LABELS = {
  all: "pages and worker in one process",
  web: "pages only",
  worker: "worker only",
} as const;

/** Which build the process that answered runs, and with what: the first thing a bug report needs. */
export function VersionCard() {
  const trpc = useTRPC();
  const version = useQuery(trpc.system.version.queryOptions());
  return (
    <Card className="mt-5">
      <h2 className="font-semibold">Version and build</h2>
      <p className="mt-1 text-sm text-slate-500">Of the server process that answered this page.</p>
      {version.isPending && <Loading>Loading the version…</Loading>}
      {version.error && <LoadProblem>{version.error.message}</LoadProblem>}
      {version.data && (
        <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-2 text-sm" data-testid="version-info">
          <dt className="text-slate-500">Version</dt>
          <dd className="tabular-nums">{version.data.version}</dd>
          <dt className="text-slate-500">Commit</dt>
          <dd className="font-mono">{version.data.commit}</dd>
          <dt className="text-slate-500">Node.js</dt>
          <dd className="tabular-nums">{version.data.nodeVersion}</dd>
          <dt className="text-slate-500">Runs</dt>
          <dd>{RUN_MODE_LABELS[version.data.runMode]}</dd>
          <dt className="text-slate-500">Queue, storage, database</dt>
          <dd>
            {version.data.queue}, {version.data.storage}, {version.data.database}
          </dd>
          <dt className="text-slate-500">Process</dt>
          <dd>
            {version.data.host} pid {version.data.pid}
          </dd>
          <dt className="text-slate-500">Started</dt>
          <dd>{new Date(version.data.startedAt).toLocaleString()}</dd>
        </dl>
      )}
    </Card>
  );
}
