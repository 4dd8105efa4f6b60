import { isShown, type TShowIf } from "../../_components/field-visibility";

/**
 * The report query form per connector kind, as data, and its conversion to the query the server
 * validates with the kind's schema. JSON fields are parsed here only to give an early message.
 */
export type TQueryField = {
  name: string;
  label: string;
  type: "text" | "number" | "json" | "checkbox" | "select";
  options?: { value: string; label: string }[];
  placeholder?: string;
  showIf?: TShowIf;
};

export const QUERY_FIELDS: Record<string, TQueryField[]> = {
  metabase: [
    {
      name: "target",
      label: "Export",
      type: "select",
      options: [
        { value: "card", label: "A saved question (card)" },
        { value: "dashcard", label: "A card on a dashboard" },
      ],
    },
    {
      name: "dashboardId",
      label: "Dashboard id",
      type: "number",
      showIf: { field: "target", values: ["dashcard"] },
    },
    {
      name: "dashcardId",
      label: "Dashboard card id",
      type: "number",
      showIf: { field: "target", values: ["dashcard"] },
    },
    { name: "cardId", label: "Card id", type: "number" },
    {
      name: "parameters",
      label: "Parameters (JSON array)",
      type: "json",
      placeholder:
        '[{"type":"category","target":["variable",["template-tag","region"]],"value":"EU"}]',
    },
    { name: "formatRows", label: "Values as shown in Metabase (format_rows)", type: "checkbox" },
  ],
  superset: [
    {
      name: "target",
      label: "Fetch",
      type: "select",
      options: [
        { value: "chart", label: "A saved chart" },
        { value: "payload", label: "A chart-data request (JSON payload)" },
      ],
    },
    {
      name: "chartId",
      label: "Chart id",
      type: "number",
      showIf: { field: "target", values: ["chart"] },
    },
    {
      name: "payload",
      label: "Payload (JSON)",
      type: "json",
      showIf: { field: "target", values: ["payload"] },
      placeholder:
        '{"datasource":{"id":7,"type":"table"},"queries":[{"columns":["region"],"metrics":["count"],"row_limit":10000}]}',
    },
  ],
  salesforce: [
    { name: "reportId", label: "Report id", type: "text", placeholder: "00O5e000008abcdEAA" },
  ],
  http: [
    {
      name: "url",
      label: "URL",
      type: "text",
      placeholder: "https://example.com/exports/sales.csv",
    },
    {
      name: "format",
      label: "Format",
      type: "select",
      options: [
        { value: "csv", label: "CSV" },
        { value: "json", label: "JSON" },
      ],
    },
    {
      name: "method",
      label: "Method",
      type: "select",
      options: [
        { value: "GET", label: "GET" },
        { value: "POST", label: "POST with a JSON body" },
      ],
    },
    {
      name: "payload",
      label: "Body (JSON)",
      type: "json",
      showIf: { field: "method", values: ["POST"] },
    },
  ],
};

export const DEFAULT_QUERY: Record<string, Record<string, unknown>> = {
  metabase: { target: "card", parameters: [], formatRows: false },
  superset: { target: "chart" },
  salesforce: {},
  http: { format: "csv", method: "GET" },
};

/** A box of the query form whose text cannot be sent as it is, with a sentence saying why. */
export class QueryFieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Form text to query values; throws a QueryFieldError when a JSON box does not parse. */
export function toQuery(
  kind: string,
  text: Record<string, string | boolean>,
): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  for (const field of QUERY_FIELDS[kind] ?? []) {
    if (!isShown(field, text)) continue;
    const value = text[field.name];
    if (field.type === "checkbox") query[field.name] = value === true;
    else if (value === undefined || value === "") continue;
    else if (field.type === "number") query[field.name] = Number(value);
    else if (field.type === "json") {
      try {
        query[field.name] = JSON.parse(String(value));
      } catch {
        throw new QueryFieldError(
          field.name,
          `This is not valid JSON: check the quotes, commas and brackets.`,
        );
      }
    } else query[field.name] = value;
  }
  return query;
}

/** Query values to form text, for editing. */
export function fromQuery(
  kind: string,
  query: Record<string, unknown>,
): Record<string, string | boolean> {
  const text: Record<string, string | boolean> = {};
  for (const field of QUERY_FIELDS[kind] ?? []) {
    const value = query[field.name];
    if (value === undefined) continue;
    text[field.name] =
      field.type === "checkbox"
        ? value === true
        : field.type === "json"
          ? JSON.stringify(value)
          : String(value);
  }
  return text;
}
