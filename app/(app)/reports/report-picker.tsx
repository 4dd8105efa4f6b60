"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import type { TReportParameter } from "@/server/connectors";
import { useTRPC } from "../../_components/trpc";
import { Alert, Button, Loading } from "../../_components/ui";

const INPUT = "mt-1 w-full rounded-md border border-slate-300 px-3 py-2 text-sm";
/** Wait this long after the last key before asking the connector's system. */
const SEARCH_DELAY_MS = 300;
const MAX_SEARCH = 200;

/**
 * What a connector can reach (Metabase questions and dashboards, Superset charts, Salesforce
 * reports), searchable by name; choosing one hands its query to the form. A dashboard opens to
 * its cards. The server caps each listing and says how many matched in all.
 */
export function ReportPicker({
  connectorId,
  connectorName,
  onPick,
}: {
  connectorId: string;
  connectorName: string;
  onPick: (query: Record<string, unknown>, name: string) => void;
}) {
  const trpc = useTRPC();
  const searchId = useId();
  const [search, setSearch] = useState("");
  const [sent, setSent] = useState("");
  const [parent, setParent] = useState<{ key: string; name: string } | null>(null);
  const [pickedKey, setPickedKey] = useState<string | null>(null);
  useEffect(() => {
    const timer = setTimeout(() => setSent(search.trim()), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search]);
  const listing = useQuery(
    trpc.reports.browse.queryOptions(
      { connectorId, search: sent, parent: parent?.key ?? null },
      { retry: false, staleTime: 30_000 },
    ),
  );
  const page = listing.data;

  return (
    <section
      aria-label="Pick a report"
      className="grid gap-3 rounded-lg border border-slate-200 bg-slate-50 p-3 sm:p-4"
      data-testid="report-picker"
    >
      <div className="flex flex-wrap items-end gap-3">
        <label
          htmlFor={searchId}
          className="block min-w-0 flex-1 text-sm font-medium text-slate-700"
        >
          {parent ? `Search the cards of ${parent.name}` : `Search ${connectorName} by name`}
          <input
            id={searchId}
            type="search"
            value={search}
            maxLength={MAX_SEARCH}
            placeholder="Part of a name"
            onChange={(e) => setSearch(e.target.value)}
            className={`${INPUT} bg-white`}
          />
        </label>
        {parent && (
          <Button
            type="button"
            onClick={() => {
              setParent(null);
              setSearch("");
            }}
          >
            Back to everything
          </Button>
        )}
      </div>
      {listing.isPending && <Loading>Asking {connectorName}…</Loading>}
      {listing.error && <Alert>{listing.error.message}</Alert>}
      {page && page.items.length === 0 && (
        <p role="status" className="text-sm text-slate-600">
          Nothing matches{sent ? ` “${sent}”` : ""}.
        </p>
      )}
      {page && page.items.length > 0 && (
        <>
          <ul className="grid max-h-72 gap-1 overflow-y-auto" aria-label="Found">
            {page.items.map((item) => {
              const isPicked = item.key === pickedKey;
              return (
                <li key={item.key}>
                  <button
                    type="button"
                    aria-pressed={item.query ? isPicked : undefined}
                    onClick={() => {
                      if (!item.query) {
                        setParent({ key: item.key, name: item.name });
                        setSearch("");
                        return;
                      }
                      setPickedKey(item.key);
                      onPick(item.query, item.name);
                    }}
                    className={`flex w-full flex-wrap items-baseline gap-x-2 rounded-md border px-3 py-2 text-left text-sm transition ${
                      isPicked
                        ? "border-brand-600 bg-white ring-2 ring-brand-600"
                        : "border-slate-200 bg-white hover:border-slate-400"
                    }`}
                  >
                    <span className="min-w-0 font-medium [overflow-wrap:anywhere] text-slate-900">
                      {item.name}
                    </span>
                    <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700">
                      {item.type}
                    </span>
                    {item.detail && (
                      <span className="min-w-0 text-xs [overflow-wrap:anywhere] text-slate-600">
                        {item.detail}
                      </span>
                    )}
                    {item.hasChildren && (
                      <span className="ml-auto text-xs text-brand-700">Open its cards ›</span>
                    )}
                  </button>
                </li>
              );
            })}
          </ul>
          <p className="text-xs text-slate-600" role="status">
            {page.total > page.items.length
              ? `Showing ${page.items.length} of ${page.total.toLocaleString("en-US")}: refine the search to find the others.`
              : `${page.total} found.`}
          </p>
        </>
      )}
    </section>
  );
}

/** A parameter's typed text as the value its system takes. */
function toValue(parameter: TReportParameter, text: string): unknown {
  if (parameter.valueType === "number") return Number(text);
  if (parameter.valueType === "boolean") return text === "true";
  // a dashboard's text filters take a list of values
  return parameter.type.startsWith("string/") ? [text] : text;
}

/** Which entry of a parameter list belongs to a parameter: the same target, or the same id. */
function entryFor(parameter: TReportParameter, entries: unknown[]): Record<string, unknown> | null {
  const found = entries.find((entry) => {
    if (!entry || typeof entry !== "object") return false;
    const { id, target } = entry as { id?: unknown; target?: unknown };
    if ("id" in parameter.template) return id === parameter.template.id;
    return JSON.stringify(target) === JSON.stringify(parameter.template.target);
  });
  return (found as Record<string, unknown> | undefined) ?? null;
}

function textOf(value: unknown): string {
  if (value === undefined || value === null) return "";
  return Array.isArray(value) ? value.map(String).join(", ") : String(value);
}

function parseEntries(json: string): unknown[] {
  try {
    const parsed = JSON.parse(json || "[]") as unknown;
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

/**
 * The parameters of the chosen report as form fields (name, type, required, default); what is
 * typed becomes the parameter list the export takes, in the form's JSON box (still editable by
 * hand as an advanced fallback). An empty field sends nothing, so the system's default applies.
 */
export function ReportParameters({
  connectorId,
  query,
  parametersJson,
  onChange,
}: {
  connectorId: string;
  query: Record<string, unknown>;
  parametersJson: string;
  onChange: (parametersJson: string) => void;
}) {
  const trpc = useTRPC();
  const baseId = useId();
  const described = useQuery(
    trpc.reports.parameters.queryOptions({ connectorId, query }, { retry: false }),
  );
  const parameters = described.data ?? [];
  const entries = parseEntries(parametersJson);
  const textFor = (parameter: TReportParameter) => textOf(entryFor(parameter, entries)?.value);

  function change(changed: TReportParameter, text: string) {
    const list = parameters.flatMap((parameter) => {
      const value = parameter === changed ? text : textFor(parameter);
      return value.trim() === ""
        ? []
        : [{ ...parameter.template, value: toValue(parameter, value.trim()) }];
    });
    onChange(JSON.stringify(list));
  }

  if (described.isPending) return <Loading>Reading the report’s parameters…</Loading>;
  if (described.error) return <Alert>{described.error.message}</Alert>;
  if (parameters.length === 0) {
    return (
      <p className="text-sm text-slate-600" data-testid="report-parameters">
        This report takes no parameters.
      </p>
    );
  }
  return (
    <fieldset
      className="grid gap-3 rounded-lg border border-slate-200 p-3 sm:grid-cols-2 sm:p-4"
      data-testid="report-parameters"
    >
      <legend className="px-1 text-sm font-semibold text-slate-800">Parameters</legend>
      {parameters.map((parameter, index) => {
        const id = `${baseId}-${index}`;
        const hintId = `${id}-hint`;
        const text = textFor(parameter);
        const hint = [
          parameter.type,
          parameter.isRequired ? "required" : "optional",
          parameter.defaultValue !== null ? `default ${parameter.defaultValue}` : null,
        ]
          .filter(Boolean)
          .join(" · ");
        const isMissing = parameter.isRequired && text === "" && parameter.defaultValue === null;
        return (
          <label
            key={parameter.name}
            htmlFor={id}
            className="block text-sm font-medium text-slate-700"
          >
            {parameter.displayName}
            {parameter.isRequired && <span className="text-red-700"> *</span>}
            {parameter.valueType === "boolean" ? (
              <select
                id={id}
                value={text}
                aria-describedby={hintId}
                onChange={(e) => change(parameter, e.target.value)}
                className={INPUT}
              >
                <option value="">(not set)</option>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : (
              <input
                id={id}
                type={
                  parameter.valueType === "number"
                    ? "number"
                    : parameter.valueType === "date"
                      ? "date"
                      : "text"
                }
                value={text}
                placeholder={parameter.defaultValue ?? ""}
                aria-describedby={hintId}
                aria-invalid={isMissing || undefined}
                onChange={(e) => change(parameter, e.target.value)}
                className={INPUT}
              />
            )}
            <span id={hintId} className="mt-1 block text-xs font-normal text-slate-600">
              {parameter.name} ({hint})
              {isMissing && <span className="text-red-700"> — the report needs a value</span>}
            </span>
          </label>
        );
      })}
    </fieldset>
  );
}
