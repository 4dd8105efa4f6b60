import type { z } from "zod";
import type { ConnectorHttp } from "./connector-http";
import type { SessionCache } from "./session-cache";

export const CONNECTOR_KINDS = ["metabase", "superset", "salesforce", "http"] as const;
export type TConnectorKindName = (typeof CONNECTOR_KINDS)[number];

/** A connector as a kind sees it: settings and secrets already parsed and opened. */
export type TConnection<TSettings, TSecrets> = {
  id: string;
  name: string;
  baseUrl: string;
  settings: TSettings;
  secrets: TSecrets;
  /** changes whenever the connector is edited, so cached sessions of old credentials are not reused */
  revision: string;
};

export type TConnectorContext = {
  http: ConnectorHttp;
  sessions: SessionCache;
  /** where a connector may write the files it builds itself (e.g. CSV from a JSON answer) */
  tempDir: string;
  signal?: AbortSignal;
};

/** A raw file of a fetched report, in the temp folder. */
export type TFetchedFile = {
  path: string;
  /** which of several tables it holds ("query_2"); null when the report is one file */
  label: string | null;
};

/** A report as fetched: raw files in the temp folder, still to be checked and normalised. */
export type TFetchedReport = {
  /** one file, or one per table when the system answered several (Superset's ZIP) */
  files: TFetchedFile[];
  format: "csv" | "json";
  /** the character set the system declared for a CSV, if it did */
  charset?: string | null;
  /** the system returned fewer rows than the report has */
  isTruncated?: boolean;
  /** Salesforce's export appends a footer after a blank line */
  hasFooter?: boolean;
  notes?: string[];
};

/** One entry of seed 000's request.json. */
export type TSeedEntry = { request_url: string; payload: unknown };

/**
 * What a kind's connectors and reports are made of, free of server-only code: the server validates
 * with these schemas and the browser generates the connector and report forms from them.
 */
export type TConnectorSchemas<TSettings = unknown, TSecrets = unknown, TQuery = unknown> = {
  kind: TConnectorKindName;
  label: string;
  /** what the address box shows while empty */
  addressHint: string;
  /** a kind that can work from full URLs alone needs no address */
  isAddressOptional?: boolean;
  /** the settings, in the form's order, except the secrets */
  settingsSchema: z.ZodType<TSettings>;
  /** write-only: stored sealed, never sent back to the browser */
  secretsSchema: z.ZodType<TSecrets>;
  /** settings and secrets together, in the order the connector form shows them */
  formSchema: z.ZodType;
  querySchema: z.ZodType<TQuery>;
};

export interface ConnectorKind<
  TSettings = unknown,
  TSecrets = unknown,
  TQuery = unknown,
> extends TConnectorSchemas<TSettings, TSecrets, TQuery> {
  /** "signed in as …" in plain words, or a ConnectorError saying why not */
  testConnection(
    connection: TConnection<TSettings, TSecrets>,
    context: TConnectorContext,
  ): Promise<string>;
  fetchReport(
    connection: TConnection<TSettings, TSecrets>,
    query: TQuery,
    context: TConnectorContext,
  ): Promise<TFetchedReport>;
  describeQuery(query: TQuery): string;
  /** The query for a request.json entry this kind understands, or null. `path` is relative to the connector's base URL. */
  queryFromSeed(entry: { path: string; url: URL | null; payload: unknown }): TQuery | null;
  queryToSeed(connection: { baseUrl: string }, query: TQuery): TSeedEntry;
}
