"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { TConnectorView } from "@/server/services/connectors/connectors";
import {
  byName,
  byNewest,
  LoadedListControls,
  matchesSearch,
  NoMatches,
  useLoadedList,
} from "../../_components/list-controls";
import { useFeedback } from "../../_components/feedback";
import { useTRPC } from "../../_components/trpc";
import { Alert, Button, Card, PageTitle } from "../../_components/ui";
import { ConnectorForm } from "./connector-form";
import { CONNECTOR_KIND_LABELS } from "@/server/connectors/kind-schemas";
import { useCan } from "../../_components/role";
import { Authorship } from "../../_components/authorship";

const CHECK_FILTERS: Record<string, string> = {
  ok: "Connection works",
  failed: "Connection failed",
  untested: "Not tested yet",
};
const CONNECTOR_SORTS: Record<string, string> = {
  name: "Name A–Z",
  changed: "Last changed",
  tested: "Last tested",
};

const checkOf = (c: TConnectorView) =>
  c.lastCheckedAt === null ? "untested" : c.lastCheckOk ? "ok" : "failed";

/** The connectors that match the list's search and filters, in its sort order. */
function shownConnectors(
  all: TConnectorView[],
  query: Record<"q" | "kind" | "status" | "sort", string>,
) {
  const shown = all.filter(
    (c) =>
      matchesSearch(c.name, query.q) &&
      (!query.kind || c.kind === query.kind) &&
      (!query.status || checkOf(c) === query.status),
  );
  if (query.sort === "changed") return shown.sort((a, b) => byNewest(a.updatedAt, b.updatedAt));
  if (query.sort === "tested")
    return shown.sort((a, b) => byNewest(a.lastCheckedAt, b.lastCheckedAt));
  return shown.sort(byName);
}

export function ConnectorsPage() {
  const { confirm } = useFeedback();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const connectors = useQuery(trpc.connectors.list.queryOptions());
  const [editing, setEditing] = useState<TConnectorView | "new" | null>(null);
  const invalidate = () =>
    queryClient.invalidateQueries({ queryKey: trpc.connectors.list.queryKey() });
  const test = useMutation(trpc.connectors.test.mutationOptions({ onSettled: invalidate }));
  const remove = useMutation(trpc.connectors.delete.mutationOptions({ onSettled: invalidate }));
  const isAdmin = useCan("admin");
  const list = useLoadedList(["kind", "status"] as const);
  const all = connectors.data ?? [];
  const shown = shownConnectors(all, list.query);

  return (
    <div>
      <PageTitle
        title="Connectors"
        subtitle={`The systems reports come from and tables go to. Secrets are stored encrypted and never shown again.${isAdmin ? "" : " Only an admin adds or changes them."}`}
        actions={
          isAdmin && (
            <>
              <Button variant="primary" onClick={() => setEditing("new")}>
                Add connector
              </Button>
            </>
          )
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
      {all.length > 0 && (
        <>
          <LoadedListControls
            list={list}
            filters={[
              { key: "kind", label: "Kind", anyLabel: "All kinds", options: CONNECTOR_KIND_LABELS },
              { key: "status", label: "Connection test", anyLabel: "Any", options: CHECK_FILTERS },
            ]}
            sorts={CONNECTOR_SORTS}
            shown={shown.length}
            total={all.length}
            noun={["connector", "connectors"]}
          />
        </>
      )}
      <Card padding="none">
        {connectors.isLoading && <p className="p-6 text-sm text-slate-500">Loading…</p>}
        {connectors.error && <p className="p-6 text-sm text-red-700">{connectors.error.message}</p>}
        {connectors.data?.length === 0 && (
          <p className="p-6 text-sm text-slate-500">
            No connectors yet. Add one for each Metabase, Superset, Salesforce or Looker you fetch
            reports from, for files at plain URLs, or for a Power BI or Google Sheets destination.
          </p>
        )}
        {all.length > 0 && shown.length === 0 && (
          <NoMatches nouns="connectors" onClear={list.clearFilters} />
        )}
        <ul className="divide-y divide-slate-100">
          {shown.map((connector) => {
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
                    {connector.kindLabel}
                    {connector.baseUrl ? ` · ${connector.baseUrl}` : ""} · {connector.reportCount}{" "}
                    report
                    {connector.reportCount === 1 ? "" : "s"}
                  </p>
                  <Authorship of={connector} />
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
                  {isAdmin && (
                    <>
                      <Button
                        onClick={() => test.mutate({ id: connector.id })}
                        disabled={isTesting}
                      >
                        Test connection
                      </Button>
                      <Button onClick={() => setEditing(connector)}>Edit</Button>
                      <Button
                        variant="danger"
                        onClick={() =>
                          void confirm({
                            title: `Delete the connector “${connector.name}”?`,
                            confirmLabel: "Delete connector",
                          }).then((isYes) => isYes && remove.mutate({ id: connector.id }))
                        }
                      >
                        Delete
                      </Button>
                    </>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      </Card>
    </div>
  );
}
