import { z } from "@/server/forms/zod";
import type { TConnectorSchemas } from "../types";
import { secretHeaderValue, ZHeaderName, ZHeaders } from "../http-header";

// What a CSV-or-JSON-at-a-URL connector and its reports are made of: the server validates with
// these and the browser's forms are generated from them, so this file must stay free of
// server-only imports.

const authBy = (method: string) => ({ showIf: { field: "authMethod", values: [method] } });

const ZFields = z.object({
  authMethod: z
    .enum(["none", "basic", "bearer", "header"])
    .default("none")
    .meta({
      title: "Authentication",
      options: {
        none: "None",
        basic: "Basic (user and password)",
        bearer: "Bearer token",
        header: "A secret header",
      },
    }),
  username: z
    .string()
    .default("")
    .meta({ title: "User", ...authBy("basic") }),
  password: z
    .string()
    .optional()
    .meta({ title: "Password", ...authBy("basic") }),
  token: secretHeaderValue("Token").meta(authBy("bearer")),
  /** for "header": the name of the header that carries the secret, e.g. X-Api-Key */
  headerName: ZHeaderName.meta({
    title: "Header name",
    placeholder: "X-Api-Key",
    ...authBy("header"),
  }),
  headerValue: secretHeaderValue("Header value").meta(authBy("header")),
  /** extra headers that are not secret */
  headers: ZHeaders.meta({
    title: "Other headers (JSON object, not secret)",
    placeholder: '{"Accept": "text/csv"}',
  }),
  /** fetched by "Test connection"; the base URL when empty */
  testUrl: z.string().default("").meta({
    title: "URL to fetch for “Test connection”",
    placeholder: "defaults to the address above",
    isCredentialAddress: true,
  }),
});
const SECRETS = { password: true, token: true, headerValue: true } as const;
export const ZHttpFileSettings = ZFields.omit(SECRETS);
export const ZHttpFileSecrets = ZFields.pick(SECRETS);

export const ZHttpFileQuery = z.object({
  /** absolute, or relative to the connector's base URL */
  url: z
    .string()
    .trim()
    .min(1, "a URL is required")
    .meta({ title: "URL", placeholder: "https://example.com/exports/sales.csv" }),
  format: z
    .enum(["csv", "json"])
    .default("csv")
    .meta({ title: "Format", options: { csv: "CSV", json: "JSON" } }),
  method: z
    .enum(["GET", "POST"])
    .default("GET")
    .meta({ title: "Method", options: { GET: "GET", POST: "POST with a JSON body" } }),
  /** JSON body for POST */
  payload: z
    .unknown()
    .optional()
    .meta({ title: "Body (JSON)", showIf: { field: "method", values: ["POST"] } }),
});

export const httpFileSchemas = {
  kind: "http",
  label: "CSV or JSON at a URL",
  addressHint: "optional: a prefix for relative report URLs",
  isAddressOptional: true,
  settingsSchema: ZHttpFileSettings,
  secretsSchema: ZHttpFileSecrets,
  formSchema: ZFields,
  querySchema: ZHttpFileQuery,
} satisfies TConnectorSchemas;
