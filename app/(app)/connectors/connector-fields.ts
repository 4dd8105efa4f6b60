import { ZHeaderName } from "@/server/connectors/http-header";
import type { TShowIf } from "../../_components/field-visibility";

/**
 * The connector form per kind, as data: which settings and which write-only secrets each kind
 * asks for. The server validates again with the kind's own schema.
 */
export type TField = {
  name: string;
  label: string;
  type: "text" | "password" | "textarea" | "select" | "checkbox";
  options?: { value: string; label: string }[];
  placeholder?: string;
  help?: string;
  /** shown only when another setting has one of these values */
  showIf?: TShowIf;
  isSecret?: boolean;
  /** a URL the connector's credentials are sent to, like the address itself */
  isAddress?: boolean;
  /** what is wrong with a value, in words, before the server says so */
  check?: (value: string) => string | null;
};

export const KIND_LABELS: Record<string, string> = {
  metabase: "Metabase",
  superset: "Superset",
  salesforce: "Salesforce",
  http: "CSV or JSON at a URL",
};

export const BASE_URL_HELP: Record<string, string> = {
  metabase: "e.g. https://metabase.example.com",
  superset: "e.g. https://superset.example.com",
  salesforce: "your org's My Domain, e.g. https://acme.my.salesforce.com",
  http: "optional: a prefix for relative report URLs",
};

export const CONNECTOR_FIELDS: Record<string, TField[]> = {
  metabase: [
    {
      name: "authMethod",
      label: "Sign in with",
      type: "select",
      options: [
        { value: "api_key", label: "API key" },
        { value: "session", label: "Email and password" },
      ],
    },
    {
      name: "apiKey",
      label: "API key",
      type: "password",
      isSecret: true,
      showIf: { field: "authMethod", values: ["api_key"] },
    },
    {
      name: "email",
      label: "Email",
      type: "text",
      showIf: { field: "authMethod", values: ["session"] },
    },
    {
      name: "password",
      label: "Password",
      type: "password",
      isSecret: true,
      showIf: { field: "authMethod", values: ["session"] },
    },
  ],
  superset: [
    { name: "username", label: "User name", type: "text" },
    { name: "password", label: "Password", type: "password", isSecret: true },
    {
      name: "provider",
      label: "Account type",
      type: "select",
      options: [
        { value: "db", label: "Superset database user" },
        { value: "ldap", label: "LDAP user" },
      ],
    },
  ],
  salesforce: [
    {
      name: "authMethod",
      label: "Sign in with",
      type: "select",
      options: [
        { value: "client_credentials", label: "OAuth client credentials" },
        { value: "jwt", label: "OAuth JWT bearer (certificate)" },
        { value: "session_id", label: "A pasted session id (fallback)" },
      ],
    },
    {
      name: "loginUrl",
      label: "Login URL",
      type: "text",
      placeholder: "defaults to the address above",
      isAddress: true,
      showIf: { field: "authMethod", values: ["client_credentials", "jwt"] },
      help: "For JWT: https://login.salesforce.com, https://test.salesforce.com or your My Domain.",
    },
    {
      name: "clientId",
      label: "Consumer key",
      type: "text",
      showIf: { field: "authMethod", values: ["client_credentials", "jwt"] },
    },
    {
      name: "clientSecret",
      label: "Consumer secret",
      type: "password",
      isSecret: true,
      showIf: { field: "authMethod", values: ["client_credentials"] },
    },
    {
      name: "username",
      label: "Salesforce user name",
      type: "text",
      showIf: { field: "authMethod", values: ["jwt"] },
    },
    {
      name: "privateKeyPem",
      label: "Private key (PEM)",
      type: "textarea",
      isSecret: true,
      showIf: { field: "authMethod", values: ["jwt"] },
    },
    {
      name: "sessionId",
      label: "Session id (sid)",
      type: "password",
      isSecret: true,
      showIf: { field: "authMethod", values: ["session_id"] },
      help: "Expires with your browser session; paste a new one when runs say so.",
    },
    { name: "apiVersion", label: "API version", type: "text", placeholder: "v62.0" },
    {
      name: "fullExport",
      label: "Fetch reports over 2,000 rows through the report export (no row cap)",
      type: "checkbox",
    },
  ],
  http: [
    {
      name: "authMethod",
      label: "Authentication",
      type: "select",
      options: [
        { value: "none", label: "None" },
        { value: "basic", label: "Basic (user and password)" },
        { value: "bearer", label: "Bearer token" },
        { value: "header", label: "A secret header" },
      ],
    },
    {
      name: "username",
      label: "User",
      type: "text",
      showIf: { field: "authMethod", values: ["basic"] },
    },
    {
      name: "password",
      label: "Password",
      type: "password",
      isSecret: true,
      showIf: { field: "authMethod", values: ["basic"] },
    },
    {
      name: "token",
      label: "Token",
      type: "password",
      isSecret: true,
      showIf: { field: "authMethod", values: ["bearer"] },
    },
    {
      name: "headerName",
      label: "Header name",
      type: "text",
      placeholder: "X-Api-Key",
      showIf: { field: "authMethod", values: ["header"] },
      check: (value) => ZHeaderName.safeParse(value).error?.issues[0]?.message ?? null,
    },
    {
      name: "headerValue",
      label: "Header value",
      type: "password",
      isSecret: true,
      showIf: { field: "authMethod", values: ["header"] },
    },
    {
      name: "testUrl",
      label: "URL to fetch for “Test connection”",
      type: "text",
      placeholder: "defaults to the address above",
      isAddress: true,
    },
  ],
};

export const DEFAULT_SETTINGS: Record<string, Record<string, unknown>> = {
  metabase: { authMethod: "api_key" },
  superset: { provider: "db" },
  salesforce: { authMethod: "client_credentials", apiVersion: "v62.0", fullExport: true },
  http: { authMethod: "none" },
};
