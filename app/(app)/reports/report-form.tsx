"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import {
  defaultFormText,
  FormTextError,
  fromFormText,
  isShown,
  toFormText,
  type TFormText,
} from "@/server/forms/schema-fields";
import type { TReportView } from "@/server/services/reports/reports";
import { FieldProblem, fieldErrorsOf, FormProblem } from "../../_components/form-errors";
import { INPUT, SchemaField } from "../../_components/schema-field";
import { Term } from "../../_components/term";
import { useTRPC } from "../../_components/trpc";
import { Alert, Button } from "../../_components/ui";
import { queryFields } from "../connectors/connector-fields";
import { ReportParameters, ReportPicker } from "./report-picker";
import { ReportPreview } from "./report-preview";

export function ReportForm({ report, onDone }: { report: TReportView | null; onDone: () => void }) {
  const trpc = useTRPC();
  const connectors = useQuery(trpc.connectors.list.queryOptions());
  const [name, setName] = useState(report?.name ?? "");
  const [connectorId, setConnectorId] = useState(report?.connectorId ?? "");
  const [template, setTemplate] = useState(
    report?.fileNameTemplate ?? "{report}_{date:yyyyMMdd_HHmm}.csv",
  );
  const [values, setValues] = useState<TFormText>(() =>
    report
      ? toFormText(queryFields(report.connectorKind), report.query as Record<string, unknown>)
      : {},
  );
  const [jsonProblem, setJsonProblem] = useState<FormTextError | null>(null);
  const save = useMutation(trpc.reports.save.mutationOptions({ onSuccess: onDone }));
  const connector = connectors.data?.find((c) => c.id === connectorId);
  const kind = connector?.kind ?? "";
  const fields = queryFields(kind);
  const shownFields = fields.filter((field) => isShown(field, values));
  const errors = jsonProblem
    ? { [`query.${jsonProblem.field}`]: jsonProblem.message }
    : fieldErrorsOf(save.error);
  const invalid = (path: string) => (errors[path] ? true : undefined);

  function chooseConnector(id: string) {
    setConnectorId(id);
    const next = connectors.data?.find((c) => c.id === id)?.kind ?? "";
    if (next !== kind) setValues(defaultFormText(queryFields(next)));
  }

  /** The report the form names without its parameter values, once it names one; else null. */
  function chosenReport(): Record<string, unknown> | null {
    try {
      const { parameters: _values, formatRows: _format, ...chosen } = fromFormText(fields, values);
      const ids = Object.values(chosen).filter((value) => typeof value === "number");
      return ids.length > 0 && ids.every((id) => Number.isInteger(id) && id > 0) ? chosen : null;
    } catch {
      return null;
    }
  }
  const chosen = connector?.canDescribeParameters ? chosenReport() : null;

  function submit(event: React.FormEvent) {
    event.preventDefault();
    setJsonProblem(null);
    let query: Record<string, unknown>;
    try {
      query = fromFormText(fields, values);
    } catch (error) {
      if (!(error instanceof FormTextError)) throw error;
      setJsonProblem(error);
      return;
    }
    const format = kind === "http" && values.format === "json" ? "json" : "csv";
    save.mutate({ id: report?.id, name, connectorId, query, format, fileNameTemplate: template });
  }

  return (
    <form onSubmit={submit} className="grid gap-4" aria-label="Report">
      <h2 className="text-lg font-semibold">{report ? `Edit ${report.name}` : "New report"}</h2>
      <div className="grid gap-4 md:grid-cols-3">
        <label htmlFor="report-name" className="block text-sm font-medium text-slate-700">
          Name
          <input
            id="report-name"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={invalid("name")}
            className={INPUT}
          />
          <FieldProblem errors={errors} path="name" />
        </label>
        <label htmlFor="report-connector" className="block text-sm font-medium text-slate-700">
          <Term name="connector">Connector</Term>
          <select
            id="report-connector"
            aria-label="Connector"
            required
            value={connectorId}
            onChange={(e) => chooseConnector(e.target.value)}
            className={INPUT}
          >
            <option value="">Choose…</option>
            {connectors.data
              ?.filter((c) => c.isSource)
              .map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} ({c.kindLabel})
                </option>
              ))}
          </select>
          <FieldProblem errors={errors} path="connectorId" />
        </label>
        <label htmlFor="report-template" className="block text-sm font-medium text-slate-700">
          File name
          <input
            id="report-template"
            value={template}
            onChange={(e) => setTemplate(e.target.value)}
            aria-invalid={invalid("fileNameTemplate")}
            className={`${INPUT} font-mono`}
          />
          <span className="mt-1 block text-xs font-normal text-slate-600">
            {"{report}, {date:yyyyMMdd_HHmm}, {run}"}
          </span>
          <FieldProblem errors={errors} path="fileNameTemplate" />
        </label>
      </div>
      {connectors.data?.length === 0 && (
        <Alert tone="info">Add a connector first: a report fetches through one.</Alert>
      )}
      {connector?.canBrowse && (
        <ReportPicker
          key={connectorId}
          connectorId={connectorId}
          connectorName={connector.name}
          onPick={(query, pickedName) => {
            setValues(toFormText(fields, query));
            if (!name.trim()) setName(pickedName);
          }}
        />
      )}
      {chosen && (
        <ReportParameters
          key={`${connectorId}:${JSON.stringify(chosen)}`}
          connectorId={connectorId}
          query={chosen}
          parametersJson={String(values.parameters || "[]")}
          onChange={(parameters) => setValues((current) => ({ ...current, parameters }))}
        />
      )}
      <div className="grid gap-4 md:grid-cols-2">
        {shownFields.map((field) => (
          <SchemaField
            key={field.name}
            field={field}
            idPrefix="query"
            value={values[field.name]}
            onChange={(value) => setValues({ ...values, [field.name]: value })}
            problem={errors[`query.${field.name}`]}
            term={field.name === "formatRows" ? "format_rows" : undefined}
          />
        ))}
      </div>
      {connectorId && (
        <ReportPreview connectorId={connectorId} buildQuery={() => fromFormText(fields, values)} />
      )}
      <FormProblem
        message={jsonProblem?.message ?? save.error?.message}
        errors={errors}
        labels={{
          name: "Name",
          connectorId: "Connector",
          fileNameTemplate: "File name",
          ...Object.fromEntries(shownFields.map((field) => [`query.${field.name}`, field.label])),
        }}
      />
      <div className="flex gap-2">
        <Button type="submit" variant="primary" disabled={save.isPending || !connectorId}>
          {save.isPending ? "Saving…" : "Save report"}
        </Button>
        <Button type="button" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
