import { z } from "@/server/forms/zod";
import { plainIssueMessage } from "../field-errors";

// Forms are generated from the zod schemas the server validates with: a schema says what a field
// is (text, number, a choice, JSON, yes/no), its metadata says how a person sees it (label, help,
// when it shows). The browser and the server import the same schema, so they cannot disagree.

/** A form field shown only while another field has one of these values. */
export type TShowIf = { field: string; values: string[] };

declare module "zod/v4/core" {
  interface GlobalMeta {
    /** labels of an enum's values, by value */
    options?: Record<string, string>;
    placeholder?: string;
    showIf?: TShowIf;
    /** how a string is typed in: a one-line box (the default), a hidden one, or several lines */
    widget?: "password" | "textarea";
    /** a textarea that can also be filled from a file of these types (an input's `accept`) */
    acceptsFile?: string;
    /** a URL the connector's credentials are sent to, like its address */
    isCredentialAddress?: boolean;
  }
}

export type TFormField = {
  name: string;
  label: string;
  type: "text" | "password" | "textarea" | "number" | "json" | "select" | "checkbox";
  options?: { value: string; label: string }[];
  placeholder?: string;
  help?: string;
  showIf?: TShowIf;
  isAddress?: boolean;
  acceptsFile?: string;
  /** the schema's default, as the form starts with it */
  defaultValue?: unknown;
  /** the field's own schema, to check a value while it is typed */
  schema: z.ZodType;
};

/** The form text of a field: what its box holds (a checkbox holds a boolean). */
export type TFormText = Record<string, string | boolean>;

type TDef = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  defaultValue?: unknown;
  entries?: Record<string, string>;
  values?: unknown[];
  options?: z.ZodType[];
  discriminator?: string;
  shape?: Record<string, z.ZodType>;
};

const defOf = (schema: z.ZodType) => schema.def as unknown as TDef;

/** The schema under optional, default and pipe wrappers, with the metadata of every layer. */
function unwrap(schema: z.ZodType): {
  core: z.ZodType;
  meta: z.core.GlobalMeta;
  defaultValue?: unknown;
} {
  let meta: z.core.GlobalMeta = {};
  let defaultValue: unknown;
  let current = schema;
  for (;;) {
    meta = { ...current.meta(), ...meta };
    const def = defOf(current);
    if (def.type === "default" || def.type === "prefault") {
      defaultValue ??= def.defaultValue;
      current = def.innerType!;
    } else if (def.type === "optional" || def.type === "nullable" || def.type === "readonly") {
      current = def.innerType!;
    } else if (def.type === "pipe") {
      // a preprocess is a pipe from its function: the field is what the function feeds
      current = defOf(def.in!).type === "transform" ? def.out! : def.in!;
    } else return { core: current, meta, defaultValue };
  }
}

function fieldOf(name: string, schema: z.ZodType, isSecret: boolean): TFormField {
  const { core, meta, defaultValue } = unwrap(schema);
  const def = defOf(core);
  const common = {
    name,
    label: meta.title ?? name,
    placeholder: meta.placeholder,
    help: meta.description,
    showIf: meta.showIf,
    isAddress: meta.isCredentialAddress,
    acceptsFile: meta.acceptsFile,
    defaultValue,
    schema,
  };
  switch (def.type) {
    case "enum":
      return {
        ...common,
        type: "select",
        options: Object.values(def.entries!).map((value) => ({
          value,
          label: meta.options?.[value] ?? value,
        })),
      };
    case "boolean":
      return { ...common, type: "checkbox" };
    case "number":
      return { ...common, type: "number" };
    case "string":
      return { ...common, type: meta.widget ?? (isSecret ? "password" : "text") };
    default:
      return { ...common, type: "json" };
  }
}

/**
 * The fields of an object schema in its order, or of a discriminated union: its discriminator as a
 * choice of the options (labelled by their literals' titles), then each option's fields, shown
 * while an option that has them is chosen. `secretNames` are typed into hidden boxes.
 */
export function formFieldsOf(schema: z.ZodType, secretNames: string[] = []): TFormField[] {
  const def = defOf(schema);
  if (def.type === "object") {
    return Object.entries(def.shape!).map(([name, field]) =>
      fieldOf(name, field, secretNames.includes(name)),
    );
  }
  if (def.type === "union" && def.discriminator) {
    const key = def.discriminator;
    const choices = def.options!.map((option) => {
      const literal = unwrap(defOf(option).shape![key]!);
      return {
        value: String(defOf(literal.core).values![0]),
        label: literal.meta.title ?? String(defOf(literal.core).values![0]),
        fields: formFieldsOf(option, secretNames).filter((field) => field.name !== key),
      };
    });
    const fields: TFormField[] = [];
    for (const choice of choices) {
      for (const field of choice.fields) {
        if (fields.some((known) => known.name === field.name)) continue;
        const values = choices
          .filter((other) => other.fields.some((f) => f.name === field.name))
          .map((other) => other.value);
        fields.push(
          values.length === choices.length ? field : { ...field, showIf: { field: key, values } },
        );
      }
    }
    const meta = schema.meta() ?? {};
    return [
      {
        name: key,
        label: meta.title ?? key,
        help: meta.description,
        type: "select",
        options: choices.map(({ value, label }) => ({ value, label })),
        defaultValue: choices[0]!.value,
        schema: z.enum(choices.map((choice) => choice.value) as [string, ...string[]]),
      },
      ...fields,
    ];
  }
  throw new Error(`a form cannot be made from a schema of type ${def.type}`);
}

export function isShown(field: { showIf?: TShowIf }, values: Record<string, unknown>): boolean {
  return !field.showIf || field.showIf.values.includes(String(values[field.showIf.field] ?? ""));
}

/** Values (as stored or defaulted) to the text of the form's boxes. */
export function toFormText(fields: TFormField[], values: Record<string, unknown>): TFormText {
  const text: TFormText = {};
  for (const field of fields) {
    const value = values[field.name] ?? field.defaultValue;
    if (value === undefined || value === null) continue;
    if (field.type === "checkbox") text[field.name] = value === true;
    else if (field.type === "json")
      text[field.name] = isEmptyJson(value) ? "" : JSON.stringify(value);
    else text[field.name] = String(value);
  }
  return text;
}

/** The starting text of a form: every field's default. */
export function defaultFormText(fields: TFormField[]): TFormText {
  return toFormText(fields, {});
}

const isEmptyJson = (value: unknown) =>
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === "object" && value !== null && Object.keys(value).length === 0);

/** A box whose text cannot be sent as it is, with a sentence saying why. */
export class FormTextError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function valueOf(field: TFormField, text: string | boolean | undefined): unknown {
  if (field.type === "checkbox") return text === true;
  if (text === undefined || text === "") return undefined;
  const typed = String(text);
  if (field.type === "number") return Number(typed);
  if (field.type !== "json") return typed;
  try {
    return JSON.parse(typed);
  } catch {
    throw new FormTextError(
      field.name,
      "This is not valid JSON: check the quotes, commas and brackets.",
    );
  }
}

/**
 * The form's text as the values the server validates: shown fields only, empty boxes left out so
 * the schema's default applies. Throws a FormTextError when a JSON box does not parse.
 */
export function fromFormText(fields: TFormField[], text: TFormText): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const field of fields) {
    if (!isShown(field, text)) continue;
    const value = valueOf(field, text[field.name]);
    if (value !== undefined) values[field.name] = value;
  }
  return values;
}

/** What is wrong with a box's text by its field's own schema, in a sentence; null when nothing is. */
export function checkFormText(
  field: TFormField,
  text: string | boolean | undefined,
): string | null {
  if (text === undefined || text === "" || typeof text === "boolean") return null;
  try {
    const parsed = field.schema.safeParse(valueOf(field, text), { error: plainIssueMessage });
    return parsed.success ? null : (parsed.error.issues[0]?.message ?? null);
  } catch (error) {
    if (error instanceof FormTextError) return error.message;
    throw error;
  }
}

/** "Password" → "password", but "API key" stays: a label inside a sentence. */
export function inSentence(label: string): string {
  return /^.[A-Z]/.test(label) ? label : label.charAt(0).toLowerCase() + label.slice(1);
}
