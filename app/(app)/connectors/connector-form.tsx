"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { addressOrigin } from "@/server/connectors/address-origin";
import { CONNECTOR_KIND_LABELS, CONNECTOR_SCHEMAS } from "@/server/connectors/kind-schemas";
import type { TConnectorKindName } from "@/server/connectors/types";
import {
  defaultFormText,
  FormTextError,
  fromFormText,
  inSentence,
  isShown,
  toFormText,
  type TFormText,
} from "@/server/forms/schema-fields";
import type { TConnectorView } from "@/server/services/connectors/connectors";
import { FieldProblem, fieldErrorsOf, FormProblem } from "../../_components/form-errors";
import { INPUT, SchemaField } from "../../_components/schema-field";
import { useTRPC } from "../../_components/trpc";
import { Button } from "../../_components/ui";
import { connectorFields, type TConnectorField } from "./connector-fields";

export function ConnectorForm({
  connector,
  onDone,
  kinds = Object.keys(CONNECTOR_KIND_LABELS) as TConnectorKindName[],
  noun = "connector",
}: {
  connector: TConnectorView | null;
  onDone: (savedId: string | null) => void;
  /** the systems offered for a new connector (the Destinations page offers destinations only) */
  kinds?: TConnectorKindName[];
  /** what the page calls it: "connector", "destination" */
  noun?: string;
}) {
  const trpc = useTRPC();
  const [kind, setKind] = useState(connector?.kind ?? kinds[0]!);
  const schemas = CONNECTOR_SCHEMAS[kind as TConnectorKindName];
  const [name, setName] = useState(connector?.name ?? "");
  const [baseUrl, setBaseUrl] = useState(connector?.baseUrl ?? "");
  const fields = connectorFields(kind);
  const [settings, setSettings] = useState<TFormText>(() =>
    connector ? toFormText(fields, connector.settings) : defaultFormText(fields),
  );
  const [textProblem, setTextProblem] = useState<FormTextError | null>(null);
  // typed secrets only: an empty box keeps the stored value
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const save = useMutation(
    trpc.connectors.save.mutationOptions({ onSuccess: (saved) => onDone(saved.id) }),
  );
  const shown = fields.filter((f) => isShown(f, settings));
  const errors = textProblem
    ? { [`settings.${textProblem.field}`]: textProblem.message }
    : fieldErrorsOf(save.error);
  const pathOf = (field: TConnectorField) =>
    `${field.isSecret ? "secrets" : "settings"}.${field.name}`;
  // Saved secrets go only where they were entered for (the server refuses otherwise): once an
  // address points at another origin, every saved secret must be typed again.
  const isBaseMoved =
    connector !== null && addressOrigin(baseUrl) !== addressOrigin(connector.baseUrl);
  const movedFields = fields.filter(
    (f) =>
      connector !== null &&
      f.isAddress &&
      addressOrigin(baseUrl, String(settings[f.name] ?? "")) !==
        addressOrigin(connector.baseUrl, String(connector.settings[f.name] ?? "")),
  );
  const isMoved = isBaseMoved || movedFields.length > 0;
  const toEnterAgain = isMoved
    ? shown.filter((f) => f.isSecret && connector?.secretsSet[f.name] && !secrets[f.name])
    : [];
  const movedNote =
    toEnterAgain.length > 0 ? (
      <span
        role="note"
        className="mt-1 block rounded-md border border-amber-200 bg-amber-50 px-2 py-1 text-xs font-normal text-amber-900"
      >
        New address: saved secrets are sent only to the address they were entered for. Enter the{" "}
        {toEnterAgain.map((f) => inSentence(f.label)).join(" and the ")} again to save.
      </span>
    ) : null;

  function submit(event: React.FormEvent) {
    event.preventDefault();
    setTextProblem(null);
    let settingValues: Record<string, unknown>;
    try {
      settingValues = fromFormText(
        fields.filter((f) => !f.isSecret),
        settings,
      );
    } catch (error) {
      if (!(error instanceof FormTextError)) throw error;
      setTextProblem(error);
      return;
    }
    save.mutate({
      id: connector?.id,
      kind: kind as TConnectorKindName,
      name,
      baseUrl,
      settings: settingValues,
      secrets: Object.fromEntries(
        Object.entries(secrets).filter(
          ([key, value]) => value !== "" && shown.some((f) => f.name === key),
        ),
      ),
      // secrets of a sign-in method not in use cannot be typed again here: a move drops them
      clearSecrets: isMoved
        ? Object.keys(connector?.secretsSet ?? {}).filter(
            (name) => !shown.some((f) => f.name === name),
          )
        : [],
    });
  }

  const renderField = (field: TConnectorField) => {
    if (!isShown(field, settings)) return null;
    const id = `connector-${field.name}`;
    if (field.isSecret) {
      const isSet = connector?.secretsSet[field.name];
      const mustEnterAgain = toEnterAgain.includes(field);
      const common = {
        id,
        value: secrets[field.name] ?? "",
        autoComplete: "new-password",
        placeholder: mustEnterAgain
          ? "enter again for the new address"
          : isSet
            ? "stored — type to replace"
            : "",
        onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) =>
          setSecrets({ ...secrets, [field.name]: e.target.value }),
        className: `${INPUT} font-mono`,
      };
      return (
        <label key={field.name} htmlFor={id} className="block text-sm font-medium text-slate-700">
          {field.label}{" "}
          <span
            className={`text-xs font-normal ${mustEnterAgain ? "text-amber-700" : isSet ? "text-emerald-700" : "text-slate-600"}`}
          >
            {secrets[field.name]
              ? isSet
                ? "(will replace the stored one)"
                : "(will be saved)"
              : mustEnterAgain
                ? "(enter again: the address changed)"
                : isSet
                  ? "(set)"
                  : "(not set)"}
          </span>
          {field.type === "textarea" ? (
            <textarea
              rows={4}
              {...common}
              aria-invalid={errors[pathOf(field)] ? true : undefined}
            />
          ) : (
            <input
              type="password"
              {...common}
              aria-invalid={errors[pathOf(field)] ? true : undefined}
            />
          )}
          {field.help && (
            <span className="mt-1 block text-xs font-normal text-slate-600">{field.help}</span>
          )}
          <FieldProblem errors={errors} path={pathOf(field)} />
          {field.acceptsFile && (
            <span className="mt-1 block text-xs font-normal text-slate-600">
              or from a file:{" "}
              <input
                type="file"
                accept={field.acceptsFile}
                aria-label={`${field.label} from a file`}
                className="text-xs"
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  if (file)
                    void file
                      .text()
                      .then((text) => setSecrets((now) => ({ ...now, [field.name]: text })));
                }}
              />
            </span>
          )}
        </label>
      );
    }
    return (
      <SchemaField
        key={field.name}
        field={field}
        idPrefix="connector"
        value={settings[field.name]}
        onChange={(value) => setSettings({ ...settings, [field.name]: value })}
        problem={errors[pathOf(field)]}
      >
        {/* an empty address setting follows the address above, which has the note already */}
        {movedFields.includes(field) && settings[field.name] ? movedNote : null}
      </SchemaField>
    );
  };

  return (
    <form onSubmit={submit} className="grid gap-4" aria-label="Connector">
      <h2 className="text-lg font-semibold">
        {connector ? `Edit ${connector.name}` : `New ${noun}`}
      </h2>
      <div className="grid gap-4 md:grid-cols-3">
        <label htmlFor="connector-kind" className="block text-sm font-medium text-slate-700">
          System
          <select
            id="connector-kind"
            aria-label="System"
            value={kind}
            disabled={Boolean(connector)}
            onChange={(e) => {
              setKind(e.target.value);
              setSettings(defaultFormText(connectorFields(e.target.value)));
              setSecrets({});
              setTextProblem(null);
            }}
            className={INPUT}
          >
            {(connector ? [connector.kind as TConnectorKindName] : kinds).map((value) => (
              <option key={value} value={value}>
                {CONNECTOR_KIND_LABELS[value]}
              </option>
            ))}
          </select>
        </label>
        <label htmlFor="connector-name" className="block text-sm font-medium text-slate-700">
          Name
          <input
            id="connector-name"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
            aria-invalid={errors.name ? true : undefined}
            className={INPUT}
          />
          <FieldProblem errors={errors} path="name" />
        </label>
        {!schemas?.hasNoAddress && (
          <label htmlFor="connector-url" className="block text-sm font-medium text-slate-700">
            Address
            <input
              id="connector-url"
              value={baseUrl}
              required={!schemas?.isAddressOptional}
              placeholder={
                schemas?.defaultAddress
                  ? `${schemas.defaultAddress} (the default)`
                  : schemas?.addressHint
              }
              onChange={(e) => setBaseUrl(e.target.value)}
              aria-invalid={errors.baseUrl ? true : undefined}
              className={INPUT}
            />
            <FieldProblem errors={errors} path="baseUrl" />
            {isBaseMoved && movedNote}
          </label>
        )}
      </div>
      {schemas?.destination && (
        <p
          className="rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-700"
          data-testid="destination-note"
        >
          {schemas.destination.note}
        </p>
      )}
      <div className="grid gap-4 md:grid-cols-2">{fields.map(renderField)}</div>
      <FormProblem
        message={textProblem?.message ?? save.error?.message}
        errors={errors}
        labels={{
          name: "Name",
          baseUrl: "Address",
          ...Object.fromEntries(shown.map((field) => [pathOf(field), field.label])),
        }}
      />
      <div className="flex gap-2">
        <Button type="submit" variant="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save and test"}
        </Button>
        <Button type="button" onClick={() => onDone(null)}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
