import type { z } from "zod";
import type { ConnectorHttp } from "./connector-http";
import type { SessionCache } from "./session-cache";
import type { TColumn } from "@/server/tables/table-types";
import type {
  TAlertMessage,
  TDeliveryContext,
  TDeliveryFile,
  TDeliveryResult,
} from "@/server/deliveries/types";

export const CONNECTOR_KINDS = [
  "metabase",
  "superset",
  "salesforce",
  "http",
  "looker",
  "powerbi",
  "google-sheets",
  "folder",
  "s3",
  "sftp",
  "email",
  "webhook",
  "slack",
  "teams",
] as const;
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
  /**
   * Only the first rows are wanted (a preview): a kind may skip work that only adds rows beyond
   * them, such as Salesforce's full export after the Reports API's first 2,000 rows.
   */
  rowLimit?: number;
  /** for file destinations: the one folder they may write under (DELIVERY_FOLDER_ROOT) */
  folderRoot?: string;
  /**
   * Keeps settings a kind learns on its first use (an SFTP server's host key) in the connector,
   * so later uses check against them.
   */
  rememberSettings?: (patch: Record<string, unknown>) => Promise<void>;
};

/** One thing a connector can reach, as a picker lists it. */
export type TBrowseItem = {
  /** unique in its list; a parent's key opens its children ("dashboard:10") */
  key: string;
  /** what it is, in words: "question", "dashboard", "chart", "report" */
  type: string;
  name: string;
  /** where it lives or what it shows: a collection, a folder, a chart type */
  detail: string | null;
  /** the report query choosing it fills in; null for a parent that only holds other items */
  query: Record<string, unknown> | null;
  /** holds items of its own (a dashboard's cards), listed with `parent: key` */
  hasChildren?: boolean;
};

export type TBrowseRequest = {
  /** the user's search text, as typed (each kind escapes it for its system) */
  search: string;
  /** a parent item's key, or null for the top level */
  parent: string | null;
  /** the most items wanted back */
  limit: number;
};

/** One page of a listing: at most `limit` items, and how many match in all. */
export type TBrowsePage = { items: TBrowseItem[]; total: number };

/** A parameter a report takes (a Metabase template tag or dashboard filter), as a form field. */
export type TReportParameter = {
  /** the name the system knows it by (a template tag's name, a dashboard filter's slug) */
  name: string;
  displayName: string;
  /** the system's type ("category", "number/=", "date/single", "string/=") */
  type: string;
  /** how the browser reads what is typed into the field */
  valueType: "text" | "number" | "date" | "boolean";
  isRequired: boolean;
  /** the value the system uses when none is sent, as text */
  defaultValue: string | null;
  /** the entry of the query's parameter list for this parameter, without its `value` */
  template: Record<string, unknown>;
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
  /** the kind's own settings say where it goes (a host, a bucket): the form shows no address */
  hasNoAddress?: boolean;
  /** the address used when none is given (a public API's one address) */
  defaultAddress?: string;
  /** the settings, in the form's order, except the secrets */
  settingsSchema: z.ZodType<TSettings>;
  /** write-only: stored sealed, never sent back to the browser */
  secretsSchema: z.ZodType<TSecrets>;
  /** settings and secrets together, in the order the connector form shows them */
  formSchema: z.ZodType;
  /** what a report of this kind names; absent for a kind that only receives data */
  querySchema?: z.ZodType<TQuery>;
  /** what the kind does with data it is given, for the form and the destination picker */
  destination?: TDestinationRole;
};

/**
 * A destination either takes a table's rows (Power BI push datasets, Google Sheets) or can only be
 * told to refresh what it reads elsewhere (a Power BI import dataset, Looker's caches).
 */
export type TDestinationRole = {
  takesRows: boolean;
  canRefresh: boolean;
  /** receives a run's or an export's files (a folder, a bucket, SFTP, e-mail, a webhook) */
  takesFiles: boolean;
  /** can be told when a schedule's run fails or recovers (e-mail, a webhook, Slack, Teams) */
  takesAlerts?: boolean;
  /** shown beside the connector form: limits, retirements, what to use instead */
  note: string;
};

/** What every kind does: be tested, and (as a destination) take rows or refresh. */
export interface ConnectorKindBase<
  TSettings = unknown,
  TSecrets = unknown,
> extends TConnectorSchemas<TSettings, TSecrets, unknown> {
  /** "signed in as …" in plain words, or a ConnectorError saying why not */
  testConnection(
    connection: TConnection<TSettings, TSecrets>,
    context: TConnectorContext,
  ): Promise<string>;
  /** A destination that takes rows: the target a push writes through. */
  openPushTarget?(
    connection: TConnection<TSettings, TSecrets>,
    context: TConnectorContext,
  ): TPushTarget;
  /** A destination that takes files: delivers them all, or throws a DeliveryError. */
  deliverFiles?(
    connection: TConnection<TSettings, TSecrets>,
    files: TDeliveryFile[],
    context: TConnectorContext & { delivery: TDeliveryContext },
  ): Promise<TDeliveryResult>;
  /** An alert channel: sends one message, says where it went, or throws a DeliveryError. */
  sendAlert?(
    connection: TConnection<TSettings, TSecrets>,
    message: TAlertMessage,
    context: TConnectorContext,
  ): Promise<string>;
  /** A destination that refreshes: starts a refresh and follows it to its end. */
  refresh?(
    connection: TConnection<TSettings, TSecrets>,
    context: TConnectorContext & { onProgress?: (message: string) => void },
  ): Promise<string>;
}

export type TPushMode = "replace" | "append";

/** A table's column as a destination is told of it. */
export type TPushColumn = TColumn;

/**
 * Where a push writes, as the push job drives it. The job keeps what `prepare` answers and the
 * batches confirmed, so a push that stopped (a crash, a retry) goes on from the first batch not
 * confirmed with the same plan, and never sends a confirmed batch twice.
 */
export type TPushTarget = {
  /**
   * Checks the destination before anything is written (it exists, its schema matches, the result
   * fits its limits) and creates what is missing. Throws a ConnectorError listing every problem.
   */
  prepare(args: { columns: TPushColumn[]; rows: number; mode: TPushMode }): Promise<TPushPlan>;
  /** Replace: empties the target. Safe to call again. */
  clear(plan: TPushPlan): Promise<void>;
  /**
   * Sends rows `firstRow`.. of the table (0-based, after the header); resolves once the service
   * confirmed them. `isRepeat`: this batch may have reached the service before (the process
   * stopped while sending it).
   */
  sendBatch(
    plan: TPushPlan,
    batch: { firstRow: number; rows: unknown[][]; isRepeat: boolean },
  ): Promise<void>;
};

export type TPushPlan = {
  /** the most rows one request carries, and the most bytes of JSON */
  maxRowsPerBatch: number;
  maxBytesPerBatch: number;
  /**
   * Whether sending a batch twice leaves the target as sending it once (a write to fixed cells),
   * so a batch that may have been sent can be sent again; otherwise the push starts the replace
   * over, or stops an append with a plain message.
   */
  isBatchIdempotent: boolean;
  /** what the kind needs again for the batches (a dataset id, the row an append starts at) */
  state: Record<string, unknown>;
  /** said on the job page: "dataset Sales created", "appending after row 1,204" */
  notes: string[];
};

export interface ConnectorKind<
  TSettings = unknown,
  TSecrets = unknown,
  TQuery = unknown,
> extends ConnectorKindBase<TSettings, TSecrets> {
  querySchema: z.ZodType<TQuery>;
  fetchReport(
    connection: TConnection<TSettings, TSecrets>,
    query: TQuery,
    context: TConnectorContext,
  ): Promise<TFetchedReport>;
  describeQuery(query: TQuery): string;
  /** The query for a request.json entry this kind understands, or null. `path` is relative to the connector's base URL. */
  queryFromSeed(entry: { path: string; url: URL | null; payload: unknown }): TQuery | null;
  queryToSeed(connection: { baseUrl: string }, query: TQuery): TSeedEntry;
  /** Optional: what the connector can reach, searchable by name. A kind without it has no picker. */
  browse?(
    connection: TConnection<TSettings, TSecrets>,
    request: TBrowseRequest,
    context: TConnectorContext,
  ): Promise<TBrowsePage>;
  /** Optional: the parameters the report a query names takes, for the form to ask for. */
  describeParameters?(
    connection: TConnection<TSettings, TSecrets>,
    query: TQuery,
    context: TConnectorContext,
  ): Promise<TReportParameter[]>;
}
