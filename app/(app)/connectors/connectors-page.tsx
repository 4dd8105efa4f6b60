"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { TConnectorView } from "@/server/services/connectors/connectors";
import { useTRPC } from "../../_components/trpc";
import { Alert, Button, Card, PageTitle } from "../../_components/ui";
import { ConnectorForm } from "./connector-form";
import { KIND_LABELS } from "./connector-fields";

export function ConnectorsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const connectors = useQuery(trpc.connectors.list.queryOptions());
  const [editing, setEditing] = useState<TConnectorView | "new" | null>(null);
  const invalidate = () =>
    queryClient.invalidateQueries({ queryKey: trpc.connectors.list.queryKey() });
  const test = useMutation(trpc.connectors.test.mutationOptions({ onSettled: invalidate }));
  const remove = useMutation(trpc.connectors.delete.mutationOptions({ onSettled: invalidate }));

  return (
    <div>
      <PageTitle
        title="Connectors"
        subtitle="The systems reports come from. Secrets are stored encrypted and never shown again."
        actions={
          <Button variant="primary" onClick={() => setEditing("new")}>
            Add connector
          </Button>
        }
      />
      {editing && (
        <Card className="mb-5">
          <ConnectorForm
            connector={editing === "new" ? null : editing}
            onDone={(savedId) => {
              setEditing(null);
              void invalidate();
              // a saved connector is tested at once, so a typo shows before the first run
              if (savedId) test.mutate({ id: savedId });
            }}
          />
        </Card>
      )}
      {remove.error && (
        <div className="mb-3">
          <Alert>{remove.error.message}</Alert>
        </div>
      )}
      <Card className="p-0 sm:p-0">
        {connectors.isLoading && <p className="p-6 text-sm text-slate-500">Loading…</p>}
        {connectors.error && <p className="p-6 text-sm text-red-700">{connectors.error.message}</p>}
        {connectors.data?.length === 0 && (
          <p className="p-6 text-sm text-slate-500">
            No connectors yet. Add one for each Metabase, Superset or Salesforce you fetch reports
            from, or for files at plain URLs.
          </p>
        )}
        <ul className="divide-y divide-slate-100">
          {connectors.data?.map((connector) => {
            const isTesting = test.isPending && test.variables?.id === connector.id;
            return (
              <li
                key={connector.id}
                className="grid gap-3 px-4 py-3 md:grid-cols-[minmax(0,1fr)_minmax(0,1.3fr)_auto] md:items-center"
                data-testid="connector-row"
              >
                <div className="min-w-0">
                  <p className="truncate font-medium">{connector.name}</p>
                  <p className="truncate text-xs text-slate-500">
                    {KIND_LABELS[connector.kind] ?? connector.kind}
                    {connector.baseUrl ? ` · ${connector.baseUrl}` : ""} · {connector.reportCount}{" "}
                    report
                    {connector.reportCount === 1 ? "" : "s"}
                  </p>
                </div>
                <p className="text-sm" data-testid="connector-check">
                  {isTesting ? (
                    <span className="text-slate-500">Testing…</span>
                  ) : connector.lastCheckedAt ? (
                    <span className={connector.lastCheckOk ? "text-emerald-700" : "text-red-700"}>
                      {connector.lastCheckOk ? "✓ " : "✗ "}
                      {connector.lastCheckMessage}
                    </span>
                  ) : (
                    <span className="text-slate-500">not tested yet</span>
                  )}
                </p>
                <div className="flex flex-wrap gap-2">
                  <Button onClick={() => test.mutate({ id: connector.id })} disabled={isTesting}>
                    Test connection
                  </Button>
                  <Button onClick={() => setEditing(connector)}>Edit</Button>
                  <Button
                    variant="danger"
                    onClick={() => {
                      if (window.confirm(`Delete the connector “${connector.name}”?`))
                        remove.mutate({ id: connector.id });
                    }}
                  >
                    Delete
                  </Button>
                </div>
              </li>
            );
          })}
        </ul>
      </Card>
    </div>
  );
}
