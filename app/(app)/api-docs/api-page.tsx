"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ACCESS_LEVELS, roleCan, type TTokenScope } from "@/server/auth/access";
import { useRole } from "../../_components/role";
import { useFeedback } from "../../_components/feedback";
import { Term } from "../../_components/term";
import { useTRPC } from "../../_components/trpc";
import { Alert, Button, Card, LoadProblem, Loading, PageTitle } from "../../_components/ui";

const SCOPE_HELP: Record<string, string> = {
  read: "read: list and download",
  run: "run: also upload, create, start and cancel",
  admin: "admin: also users, connectors and settings",
  metrics: "metrics: only /metrics, for Prometheus",
};

/** API tokens (created, shown once, revoked) and the REST API's reference, from its OpenAPI document. */
export function ApiPage() {
  return (
    <div>
      <PageTitle
        title="API"
        subtitle="Scripts use DataHaul through /api/v1 with an API token. The reference below comes from /api/v1/openapi.json."
      />
      <TokensCard />
      <Reference />
    </div>
  );
}

function TokensCard() {
  const { confirm } = useFeedback();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
  const [name, setName] = useState("");
  const role = useRole();
  // a token never does more than its owner, so the form offers no more
  const scopes: TTokenScope[] = ACCESS_LEVELS.filter((level) => roleCan(role, level));
  if (roleCan(role, "admin")) scopes.push("metrics");
  const [scope, setScope] = useState<TTokenScope>(roleCan(role, "run") ? "run" : "read");
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(
    trpc.tokens.create.mutationOptions({
      onSuccess: ({ token }) => {
        setCreated(token);
        setName("");
        void refresh();
      },
    }),
  );
  const revoke = useMutation(
    trpc.tokens.revoke.mutationOptions({ onSuccess: () => void refresh() }),
  );
  const error = create.error ?? revoke.error;
  return (
    <Card>
      <h2 className="text-base font-semibold">API tokens</h2>
      <p className="mt-1 text-sm text-slate-600">
        A token acts as you, within its <Term name="scope">scope</Term>, and never does more than
        your role allows. It is shown once; DataHaul keeps only its hash.
      </p>
      <form
        className="mt-3 flex flex-wrap items-end gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate({ name, scope });
        }}
      >
        <label className="text-sm font-medium">
          Name
          <input
            className="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm"
            placeholder="nightly export script"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label className="text-sm font-medium">
          Scope
          <select
            className="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm"
            value={scope}
            onChange={(e) => setScope(e.target.value as typeof scope)}
          >
            {scopes.map((value) => (
              <option key={value} value={value}>
                {SCOPE_HELP[value]}
              </option>
            ))}
          </select>
        </label>
        <Button variant="primary" type="submit" disabled={create.isPending}>
          Create token
        </Button>
      </form>
      {created && (
        <div className="mt-3 space-y-2" data-testid="new-token">
          <Alert tone="success">
            Copy this token now: it is not shown again.
            <code className="mt-1 block break-all rounded bg-white px-2 py-1 font-mono text-xs text-slate-900">
              {created}
            </code>
          </Alert>
          <pre className="overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">
            {`curl -H "Authorization: Bearer ${created.slice(0, 10)}…" ${typeof window === "undefined" ? "" : window.location.origin}/api/v1/transforms`}
          </pre>
        </div>
      )}
      {error && (
        <div className="mt-3">
          <Alert>{error.message}</Alert>
        </div>
      )}
      {tokens.isPending ? (
        <Loading>Loading tokens…</Loading>
      ) : tokens.isError ? (
        <LoadProblem>{tokens.error.message}</LoadProblem>
      ) : tokens.data.length === 0 ? (
        <p className="mt-3 text-sm text-slate-500">No token yet.</p>
      ) : (
        <ul
          className="mt-4 divide-y divide-slate-100 border-t border-slate-100"
          data-testid="tokens"
        >
          {tokens.data.map((token) => (
            <li key={token.id} className="flex flex-wrap items-center gap-3 py-2 text-sm">
              <div className="min-w-0 flex-1">
                <span className="font-medium">{token.name}</span>{" "}
                <code className="text-xs text-slate-500">{token.prefix}…</code>
                <p className="text-xs text-slate-500">
                  {token.scope} · created {new Date(token.createdAt).toLocaleString()} ·{" "}
                  {token.lastUsedAt
                    ? `last used ${new Date(token.lastUsedAt).toLocaleString()}`
                    : "never used"}
                  {token.revokedAt
                    ? ` · revoked ${new Date(token.revokedAt).toLocaleString()}`
                    : ""}
                </p>
              </div>
              {!token.revokedAt && (
                <Button
                  variant="danger"
                  disabled={revoke.isPending}
                  onClick={() =>
                    void confirm({
                      title: `Revoke ${token.name}?`,
                      body: "Scripts using it stop working at once.",
                      confirmLabel: "Revoke token",
                    }).then((isYes) => isYes && revoke.mutate({ id: token.id }))
                  }
                >
                  Revoke
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

type TOperation = {
  summary: string;
  description?: string;
  tags: string[];
  "x-datahaul-scope"?: string;
  parameters: {
    name: string;
    in: string;
    required: boolean;
    description?: string;
    schema: unknown;
  }[];
  requestBody?: { description?: string; content: Record<string, { schema?: unknown }> };
  responses: Record<string, { description: string }>;
};
type TDocument = { paths: Record<string, Record<string, TOperation>> };

const METHOD_STYLE: Record<string, string> = {
  get: "bg-emerald-100 text-emerald-800",
  post: "bg-blue-100 text-blue-800",
  put: "bg-amber-100 text-amber-800",
  delete: "bg-red-100 text-red-800",
};

function Reference() {
  const document = useQuery({
    queryKey: ["openapi"],
    queryFn: async () => {
      const response = await fetch("/api/v1/openapi.json");
      if (!response.ok)
        throw new Error(`the document could not be loaded (HTTP ${response.status})`);
      return (await response.json()) as TDocument;
    },
  });
  if (document.isPending) return <Loading>Loading the API reference…</Loading>;
  if (document.isError)
    return <LoadProblem>The API reference: {document.error.message}</LoadProblem>;
  const operations = Object.entries(document.data.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
  const tags = [...new Set(operations.map((o) => o.operation.tags[0] ?? "Other"))];
  return (
    <div className="mt-6 space-y-6" data-testid="api-reference">
      <p className="text-sm text-slate-600">
        <a className="text-brand-600 hover:underline" href="/api/v1/openapi.json">
          openapi.json
        </a>{" "}
        loads into any OpenAPI tool (Postman, Insomnia, a client generator).
      </p>
      {tags.map((tag) => (
        <section key={tag}>
          <h2 className="mb-2 text-lg font-semibold">{tag}</h2>
          <Card padding="none">
            <ul className="divide-y divide-slate-100">
              {operations
                .filter((o) => (o.operation.tags[0] ?? "Other") === tag)
                .map(({ path, method, operation }) => (
                  <li key={`${method} ${path}`} className="px-4 py-3">
                    <details>
                      <summary className="flex cursor-pointer flex-wrap items-center gap-2 text-sm">
                        <span
                          className={`rounded px-1.5 py-0.5 font-mono text-xs font-semibold uppercase ${METHOD_STYLE[method] ?? ""}`}
                        >
                          {method}
                        </span>
                        <code className="font-mono text-sm">/api/v1{path}</code>
                        <span className="text-slate-600">{operation.summary}</span>
                        {operation["x-datahaul-scope"] && (
                          <span className="ml-auto text-xs text-slate-500">
                            scope {operation["x-datahaul-scope"]}
                          </span>
                        )}
                      </summary>
                      <div className="mt-2 space-y-2 text-sm">
                        {operation.description && (
                          <p className="text-slate-600">{operation.description}</p>
                        )}
                        {operation.parameters.length > 0 && (
                          <ul className="space-y-0.5 text-xs">
                            {operation.parameters.map((p) => (
                              <li key={`${p.in}-${p.name}`}>
                                <code className="font-mono">{p.name}</code>{" "}
                                <span className="text-slate-500">
                                  ({p.in}
                                  {p.required ? ", required" : ""})
                                </span>
                                {p.description ? ` ${p.description}` : ""}
                              </li>
                            ))}
                          </ul>
                        )}
                        {operation.requestBody && (
                          <div>
                            <p className="text-xs font-medium">Request body</p>
                            {operation.requestBody.description && (
                              <p className="text-xs text-slate-600">
                                {operation.requestBody.description}
                              </p>
                            )}
                            {Object.entries(operation.requestBody.content).map(([type, content]) =>
                              content.schema && type === "application/json" ? (
                                <pre
                                  key={type}
                                  className="mt-1 max-h-80 overflow-auto rounded bg-slate-50 p-2 text-xs"
                                >
                                  {JSON.stringify(content.schema, null, 2)}
                                </pre>
                              ) : null,
                            )}
                          </div>
                        )}
                        <ul className="text-xs text-slate-600">
                          {Object.entries(operation.responses).map(([status, response]) => (
                            <li key={status}>
                              <span className="font-mono">{status}</span> {response.description}
                            </li>
                          ))}
                        </ul>
                      </div>
                    </details>
                  </li>
                ))}
            </ul>
          </Card>
        </section>
      ))}
    </div>
  );
}
