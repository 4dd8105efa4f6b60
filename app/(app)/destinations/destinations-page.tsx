"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import { CONNECTOR_SCHEMAS } from "@/server/connectors/kind-schemas";
import type { TConnectorKindName } from "@/server/connectors/types";
import type { TConnectorView } from "@/server/services/connectors/connectors";
import { INPUT } from "../../_components/schema-field";
import { useTRPC } from "../../_components/trpc";
import { Alert, Button, ButtonLink, Card, PageTitle } from "../../_components/ui";
import { ConnectorForm } from "../connectors/connector-form";
import { useCan } from "../../_components/role";
import { Authorship } from "../../_components/authorship";

const DESTINATION_KINDS = (Object.keys(CONNECTOR_SCHEMAS) as TConnectorKindName[]).filter(
  (kind) => CONNECTOR_SCHEMAS[kind].destination,
);

/**
 * Where data goes: Power BI and Google Sheets take rows, Power BI and Looker refresh, and folders,
 * buckets, SFTP, e-mail and webhooks take the files of runs and exports.
 */
export function DestinationsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const connectors = useQuery(trpc.connectors.list.queryOptions());
  const [editing, setEditing] = useState<TConnectorView | "new" | null>(null);
  const [pushing, setPushing] = useState<string | null>(null);
  const invalidate = () =>
    queryClient.invalidateQueries({ queryKey: trpc.connectors.list.queryKey() });
  const test = useMutation(trpc.connectors.test.mutationOptions({ onSettled: invalidate }));
  const canRun = useCan("run");
  const isAdmin = useCan("admin");
  const router = useRouter();
  const refresh = useMutation(
    trpc.destinations.refresh.mutationOptions({
      onSuccess: ({ jobId }) => router.push(`/jobs/${jobId}`),
    }),
  );
  const destinations = (connectors.data ?? []).filter((connector) => connector.destination);
  const testAlert = useMutation(trpc.alerts.sendTest.mutationOptions());

  return (
    <div>
      <PageTitle
        title="Destinations"
        subtitle="Where data goes: rows pushed to Power BI and Google Sheets, refreshes of Power BI datasets and Looker caches, and the files of runs and exports delivered to a folder, S3, SFTP, e-mail or a webhook (choose them on a schedule, or when exporting); and the channels alerts go to: e-mail, a webhook, Slack or Microsoft Teams. Secrets are stored encrypted and never shown again."
        actions={
          <>
            <ButtonLink href="/jobs?kind=push">Recent pushes</ButtonLink>
            {isAdmin && (
              <Button variant="primary" onClick={() => setEditing("new")}>
                Add destination
              </Button>
            )}
          </>
        }
      />
      {editing && (
        <Card className="mb-5">
          <ConnectorForm
            connector={editing === "new" ? null : editing}
            kinds={DESTINATION_KINDS}
            noun="destination"
            onDone={(savedId) => {
              setEditing(null);
              void invalidate();
              if (savedId) test.mutate({ id: savedId });
            }}
          />
        </Card>
      )}
      {testAlert.error && (
        <div className="mb-4">
          <Alert>{testAlert.error.message}</Alert>
        </div>
      )}
      {testAlert.data && (
        <div className="mb-4">
          <Alert tone="success">{testAlert.data.message}</Alert>
        </div>
      )}
      {refresh.error && (
        <div className="mb-3">
          <Alert>{refresh.error.message}</Alert>
        </div>
      )}
      <Card padding="none">
        {connectors.isLoading && <p className="p-6 text-sm text-slate-500">Loading…</p>}
        {connectors.error && <p className="p-6 text-sm text-red-700">{connectors.error.message}</p>}
        {connectors.data && destinations.length === 0 && (
          <p className="p-6 text-sm text-slate-500">
            No destinations yet. Add a Google Sheet or a Power BI dataset to push tables to, a Power
            BI or Looker connection to refresh, or a folder, bucket, SFTP server, e-mail or webhook
            to deliver files to.
          </p>
        )}
        <ul className="divide-y divide-slate-100">
          {destinations.map((destination) => {
            const isTesting = test.isPending && test.variables?.id === destination.id;
            return (
              <li key={destination.id} className="px-4 py-3" data-testid="destination-row">
                <div className="grid gap-3 md:grid-cols-[minmax(0,1fr)_minmax(0,1.3fr)_auto] md:items-center">
                  <div className="min-w-0">
                    <p className="truncate font-medium">{destination.name}</p>
                    <p className="truncate text-xs text-slate-500">
                      {destination.kindLabel} ·{" "}
                      {[
                        destination.destination?.takesRows ? "takes rows" : null,
                        destination.destination?.canRefresh ? "refreshes" : null,
                        destination.destination?.takesFiles ? "takes files" : null,
                      ]
                        .filter(Boolean)
                        .join(", ")}
                    </p>
                    <Authorship of={destination} />
                  </div>
                  <p className="text-sm" data-testid="destination-check">
                    {isTesting ? (
                      <span className="text-slate-500">Testing…</span>
                    ) : destination.lastCheckedAt ? (
                      <span
                        className={destination.lastCheckOk ? "text-emerald-700" : "text-red-700"}
                      >
                        {destination.lastCheckOk ? "✓ " : "✗ "}
                        {destination.lastCheckMessage}
                      </span>
                    ) : (
                      <span className="text-slate-500">not tested yet</span>
                    )}
                  </p>
                  <div className="flex flex-wrap gap-2">
                    {isAdmin && (
                      <>
                        <Button
                          onClick={() => test.mutate({ id: destination.id })}
                          disabled={isTesting}
                        >
                          Test connection
                        </Button>
                        {destination.destination?.takesAlerts && (
                          <Button
                            onClick={() => testAlert.mutate({ connectorId: destination.id })}
                            disabled={testAlert.isPending}
                          >
                            Send a test alert
                          </Button>
                        )}
                      </>
                    )}
                    {canRun && destination.destination?.takesRows && (
                      <Button
                        variant="primary"
                        onClick={() =>
                          setPushing(pushing === destination.id ? null : destination.id)
                        }
                      >
                        Push a table
                      </Button>
                    )}
                    {canRun && destination.destination?.canRefresh && (
                      <Button
                        onClick={() => refresh.mutate({ connectorId: destination.id })}
                        disabled={refresh.isPending}
                      >
                        Refresh
                      </Button>
                    )}
                    {isAdmin && (
                      <>
                        <Button onClick={() => setEditing(destination)}>Edit</Button>
                      </>
                    )}
                  </div>
                </div>
                {pushing === destination.id && (
                  <PushForm destination={destination} onCancel={() => setPushing(null)} />
                )}
              </li>
            );
          })}
        </ul>
      </Card>
    </div>
  );
}

/** Push a saved transform's result, or a table as it is, to one destination. */
function PushForm({
  destination,
  onCancel,
}: {
  destination: TConnectorView;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const id = useId();
  const tables = useQuery(trpc.tables.list.queryOptions());
  const transforms = useQuery(trpc.tables.transforms.queryOptions());
  const [source, setSource] = useState("");
  const [mode, setMode] = useState<"replace" | "append">("replace");
  const push = useMutation(
    trpc.destinations.push.mutationOptions({
      onSuccess: ({ jobId }) => router.push(`/jobs/${jobId}`),
    }),
  );

  function start(event: React.FormEvent) {
    event.preventDefault();
    const [type, sourceId] = source.split(":");
    push.mutate({
      connectorId: destination.id,
      mode,
      ...(type === "transform" ? { transformId: sourceId } : { tableId: sourceId }),
    });
  }

  return (
    <form
      onSubmit={start}
      className="mt-3 grid gap-3 rounded-md border border-slate-200 bg-slate-50 p-3 md:grid-cols-[minmax(0,2fr)_minmax(0,1fr)_auto] md:items-end"
      aria-label={`Push to ${destination.name}`}
    >
      <label htmlFor={`${id}-source`} className="block text-sm font-medium text-slate-700">
        What to push
        <select
          id={`${id}-source`}
          required
          value={source}
          onChange={(e) => setSource(e.target.value)}
          className={INPUT}
        >
          <option value="">Choose a transform or a table…</option>
          {(transforms.data ?? []).length > 0 && (
            <optgroup label="Transforms">
              {transforms.data!.map((transform) => (
                <option key={transform.id} value={`transform:${transform.id}`}>
                  {transform.name}
                </option>
              ))}
            </optgroup>
          )}
          {(tables.data ?? []).length > 0 && (
            <optgroup label="Tables as they are">
              {tables.data!.map((table) => (
                <option key={table.id} value={`table:${table.id}`}>
                  {table.name}
                </option>
              ))}
            </optgroup>
          )}
        </select>
      </label>
      <label htmlFor={`${id}-mode`} className="block text-sm font-medium text-slate-700">
        Mode
        <select
          id={`${id}-mode`}
          value={mode}
          onChange={(e) => setMode(e.target.value as "replace" | "append")}
          className={INPUT}
        >
          <option value="replace">Replace (clear, then write)</option>
          <option value="append">Append</option>
        </select>
      </label>
      <div className="flex gap-2">
        <Button type="submit" variant="primary" disabled={push.isPending || !source}>
          {push.isPending ? "Starting…" : "Start push"}
        </Button>
        <Button type="button" onClick={onCancel}>
          Cancel
        </Button>
      </div>
      {push.error && (
        <div className="md:col-span-3">
          <Alert>{push.error.message}</Alert>
        </div>
      )}
    </form>
  );
}
