"use client";

import { useState } from "react";
import { checkFormText, type TFormField } from "@/server/forms/schema-fields";
import type { TGlossaryTerm } from "./glossary";
import { HelpText } from "./term";
import { FieldError } from "./ui";

export const INPUT = "mt-1 w-full rounded-md border border-slate-300 px-3 py-2 text-sm";

/**
 * One generated form field: a choice, a yes/no, a number, a line or a block of JSON, with its
 * label, help and the sentence of what is wrong: its own schema's, once the box was left (not
 * while the first characters are typed), else the server's from the last save.
 */
export function SchemaField({
  field,
  idPrefix,
  value,
  onChange,
  problem,
  children,
  term,
}: {
  field: TFormField;
  idPrefix: string;
  value: string | boolean | undefined;
  onChange: (value: string | boolean) => void;
  /** what the server said of this field at the last save */
  problem: string | null | undefined;
  /** a note under the field */
  children?: React.ReactNode;
  /** a word of the trade the field stands for, explained under it from the glossary */
  term?: TGlossaryTerm;
}) {
  const [isLeft, setLeft] = useState(false);
  const id = `${idPrefix}-${field.name}`;
  const errorId = `${id}-problem`;
  const helpId = term ? `${id}-help` : undefined;
  if (field.type === "checkbox") {
    return (
      <div>
        <label className="flex items-center gap-2 text-sm text-slate-700">
          <input
            type="checkbox"
            checked={value === true}
            onChange={(e) => onChange(e.target.checked)}
            aria-describedby={helpId}
          />
          {field.label}
        </label>
        {term && helpId && <HelpText id={helpId} term={term} className="ml-6" />}
      </div>
    );
  }
  const text = typeof value === "string" ? value : "";
  const shownProblem = (isLeft ? checkFormText(field, value) : null) ?? problem;
  const common = {
    id,
    onBlur: () => setLeft(true),
    "aria-invalid": shownProblem ? true : undefined,
    "aria-describedby":
      [shownProblem ? errorId : null, helpId].filter(Boolean).join(" ") || undefined,
    // the help is inside the label: without its own name the control would be named by it too
    "aria-label": term ? field.label : undefined,
  };
  return (
    <label
      htmlFor={id}
      className={`block text-sm font-medium text-slate-700 ${field.type === "json" || field.type === "textarea" ? "md:col-span-2" : ""}`}
    >
      {field.label}
      {field.type === "select" ? (
        <select
          {...common}
          value={text || (field.options?.[0]?.value ?? "")}
          onChange={(e) => onChange(e.target.value)}
          className={INPUT}
        >
          {field.options?.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      ) : field.type === "json" || field.type === "textarea" ? (
        <textarea
          {...common}
          rows={3}
          value={text}
          placeholder={field.placeholder}
          onChange={(e) => onChange(e.target.value)}
          className={`${INPUT} font-mono text-xs`}
        />
      ) : (
        <input
          {...common}
          type={
            field.type === "number" ? "number" : field.type === "password" ? "password" : "text"
          }
          value={text}
          placeholder={field.placeholder}
          onChange={(e) => onChange(e.target.value)}
          className={INPUT}
        />
      )}
      {field.help && (
        <span className="mt-1 block text-xs font-normal text-slate-600">{field.help}</span>
      )}
      {term && helpId && <HelpText id={helpId} term={term} />}
      {shownProblem && <FieldError id={errorId}>{shownProblem}</FieldError>}
      {children}
    </label>
  );
}
