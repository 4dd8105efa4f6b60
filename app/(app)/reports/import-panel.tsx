"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../_components/trpc";
import { Alert, Button } from "../../_components/ui";

export function ImportPanel({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const connectors = useQuery(trpc.connectors.list.queryOptions());
  const [text, setText] = useState("");
  const [defaultConnectorId, setDefaultConnectorId] = useState("");
  const [replaceExisting, setReplaceExisting] = useState(false);
  const [connectorForAddress, setConnectorForAddress] = useState<Record<string, string>>({});
  const importJson = useMutation(
    trpc.reports.importRequestJson.mutationOptions({
      // the list below (and the connectors' report counts) show the new reports at once
      onSuccess: (done) => {
        if (done.imported === 0) return;
        // importing the same text again could only fail on "exists already"
        setText("");
        setConnectorForAddress({});
        void queryClient.invalidateQueries({ queryKey: trpc.reports.list.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.connectors.list.queryKey() });
      },
    }),
  );
  const result = importJson.data;
  // choices belong to the text they were asked for: new text asks again
  const changeText = (next: string) => {
    setText(next);
    setConnectorForAddress({});
    importJson.reset();
  };

  return (
    <form
      className="grid grid-cols-1 gap-4"
      aria-label="Import request.json"
      onSubmit={(e) => {
        e.preventDefault();
        importJson.mutate({
          text,
          defaultConnectorId: defaultConnectorId || undefined,
          connectorForAddress: Object.fromEntries(
            Object.entries(connectorForAddress).filter(([, id]) => id),
          ),
          replaceExisting,
        });
      }}
    >
      <div>
        <h2 className="text-lg font-semibold">Import request.json</h2>
        <p className="mt-1 text-sm text-slate-500">
          Each entry (report name → request_url and payload) becomes a report on the connector with
          the same address. Relative URLs go to the connector you choose; when several connectors
          share an address, you are asked which one. If any entry cannot be mapped, nothing is
          imported.
        </p>
      </div>
      <label className="block text-sm font-medium text-slate-700">
        File
        <input
          type="file"
          accept="application/json,.json"
          className="mt-1 block text-sm text-slate-600 file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm file:font-medium file:text-slate-800 hover:file:bg-slate-50"
          onChange={async (e) => {
            const file = e.target.files?.[0];
            if (file) changeText(await file.text());
          }}
        />
      </label>
      <label htmlFor="import-text" className="block text-sm font-medium text-slate-700">
        …or paste it
        <textarea
          id="import-text"
          rows={6}
          value={text}
          onChange={(e) => changeText(e.target.value)}
          className="mt-1 w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs"
          placeholder='{"Sales": {"request_url": "/api/card/1/query/csv", "payload": {}}}'
        />
      </label>
      <div className="flex flex-wrap items-end gap-4">
        {/* min-w-0: a long connector name shortens the select instead of widening the page */}
        <label
          htmlFor="import-connector"
          className="max-w-full min-w-0 text-sm font-medium text-slate-700"
        >
          Connector for relative URLs
          <select
            id="import-connector"
            aria-label="Connector for relative URLs"
            value={defaultConnectorId}
            onChange={(e) => setDefaultConnectorId(e.target.value)}
            className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm"
          >
            <option value="">none</option>
            {connectors.data
              ?.filter((c) => c.isSource)
              .map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} ({c.kindLabel})
                </option>
              ))}
          </select>
        </label>
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <input
            type="checkbox"
            checked={replaceExisting}
            onChange={(e) => setReplaceExisting(e.target.checked)}
          />
          Replace reports with the same name
        </label>
      </div>
      {importJson.error && <Alert>{importJson.error.message}</Alert>}
      {result && result.problems.length > 0 && (
        <Alert>
          <p className="font-medium">
            Nothing was imported: {result.problems.length} entr
            {result.problems.length === 1 ? "y" : "ies"} could not be mapped.
          </p>
          <ul className="mt-1 list-disc pl-5" data-testid="import-problems">
            {result.problems.map((p) => (
              <li key={p.report}>
                <span className="font-medium">{p.report}</span>: {p.problem}
              </li>
            ))}
          </ul>
        </Alert>
      )}
      {result && result.choices.length > 0 && (
        <Alert tone="info">
          <p className="font-medium">
            Several connectors have the same address. Choose the one these reports belong to, then
            import again.
          </p>
          <div className="mt-2 grid gap-3" data-testid="import-choices">
            {result.choices.map((choice) => (
              <label key={choice.address} className="block">
                <span className="font-mono text-xs break-all">
                  {choice.address ||
                    "addresses no connector has (HTTP file connectors without one)"}
                </span>
                <span className="block text-xs text-blue-700">for {choice.reports.join(", ")}</span>
                <select
                  aria-label={`Connector for ${choice.address || "other addresses"}`}
                  value={connectorForAddress[choice.address] ?? ""}
                  onChange={(e) =>
                    setConnectorForAddress((chosen) => ({
                      ...chosen,
                      [choice.address]: e.target.value,
                    }))
                  }
                  className="mt-1 block rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-800"
                >
                  <option value="">choose…</option>
                  {choice.connectors.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                    </option>
                  ))}
                </select>
              </label>
            ))}
          </div>
        </Alert>
      )}
      {result && result.problems.length === 0 && result.choices.length === 0 && (
        <Alert tone="success">
          Imported {result.imported} report{result.imported === 1 ? "" : "s"}.
        </Alert>
      )}
      <div className="flex gap-2">
        <Button type="submit" variant="primary" disabled={!text.trim() || importJson.isPending}>
          Import
        </Button>
        <Button type="button" onClick={onDone}>
          {result?.imported ? "Done" : "Close"}
        </Button>
      </div>
    </form>
  );
}
