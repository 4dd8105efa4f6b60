"use client";

import { useState } from "react";
import { checkFormText, type TFormField } from "@/server/forms/schema-fields";
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
}: {
  field: TFormField;
  idPrefix: string;
  value: string | boolean | undefined;
  onChange: (value: string | boolean) => void;
  /** what the server said of this field at the last save */
  problem: string | null | undefined;
  /** a note under the field */
  children?: React.ReactNode;
}) {
  const [isLeft, setLeft] = useState(false);
  const id = `${idPrefix}-${field.name}`;
  const errorId = `${id}-problem`;
  if (field.type === "checkbox") {
    return (
      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input
          type="checkbox"
          checked={value === true}
          onChange={(e) => onChange(e.target.checked)}
        />
        {field.label}
      </label>
    );
  }
  const text = typeof value === "string" ? value : "";
  const shownProblem = (isLeft ? checkFormText(field, value) : null) ?? problem;
  const common = {
    id,
    onBlur: () => setLeft(true),
    "aria-invalid": shownProblem ? true : undefined,
    "aria-describedby": shownProblem ? errorId : undefined,
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
      {shownProblem && <FieldError id={errorId}>{shownProblem}</FieldError>}
      {children}
    </label>
  );
}
