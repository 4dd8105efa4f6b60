// Fake Microsoft identity platform (client credentials) and Power BI REST API (push datasets and
// refresh), on one HTTPS server: msal-node refuses an authority that is not https, so the token
// endpoint needs TLS, and the API shares it so a client trusts one certificate.
// Contract and sources: the upstream wire contract (upstream-contracts.md) §4 and §8 ("Power BI fake"). Where
// those mark a detail UNVERIFIED, the choice made here says so next to the code.
import { generateKeyPairSync, randomUUID, type KeyPairKeyObjectResult } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  bearerToken,
  isRecord,
  listenFake,
  mediaType,
  parseJson,
  readBody,
  sendJson,
} from "../../test-support/fakes/fake-http";
import { nowSeconds, signJwt } from "../../test-support/fakes/jwt";
import { createLocalhostCertificate } from "../../test-support/self-signed-cert";

export type FakePowerBiOptions = {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  tokenLifetimeSeconds?: number;
  /** POST rows requests per minute per dataset (per hour once the table holds 250,000 rows). */
  postsPerMinute?: number;
  rowsPerHour?: number;
  /** Default: a fresh createLocalhostCertificate(). */
  tls?: { key: string; cert: string };
  port?: number;
  /**
   * "shared" (default): 8 refreshes per dataset per 24 hours and no enhanced refresh.
   * "premium": enhanced refresh allowed and no daily count.
   */
  capacity?: "shared" | "premium";
};

export type FakePowerBiColumn = { name: string; dataType: string };
export type FakePowerBiTableInput = { name: string; columns: FakePowerBiColumn[] };
export type FakePowerBiDatasetView = {
  id: string;
  name: string;
  mode: "push" | "import";
  tables: { name: string; columns: FakePowerBiColumn[]; rows: Record<string, unknown>[] }[];
};
export type FakePowerBiRequest = {
  method: string;
  path: string;
  at: number;
  /** 0 while the request is still open. */
  status: number;
  /** POST rows: how many rows the body held (also when the request was refused). */
  rows?: number;
};
export type FakeRefreshOutcome = { status: "Completed" } | { status: "Failed"; message: string };

export type FakePowerBi = {
  /** https://localhost:PORT: the API base (`/v1.0/myorg/...`) and the authority's host. */
  url: string;
  /** PEM of the certificate the server presents, for clients to trust. */
  cert: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** The one workspace, made at start. */
  groupId: string;
  /** A dataset as if made earlier, without a request; `retention` defaults to None. */
  addDataset(d: {
    name: string;
    mode: "push" | "import";
    tables?: FakePowerBiTableInput[];
    retention?: RetentionPolicy;
  }): string;
  /** Copies (rowsOf too): changing them changes nothing in the fake. */
  datasets(): FakePowerBiDatasetView[];
  rowsOf(datasetId: string, table: string): Record<string, unknown>[];
  /** Every request, token endpoint included, in order of arrival. */
  requests: FakePowerBiRequest[];
  /** Every token issued so far answers 403 TokenExpired from now on. */
  expireTokens(): void;
  /**
   * How the dataset's refreshes end, this one if running and the next ones: after `afterPolls`
   * (default 1) polls that still see "Unknown", the next poll sees the outcome. A poll is a
   * refresh history request that lists the refresh, or its execution details.
   */
  setRefreshOutcome(datasetId: string, outcome: FakeRefreshOutcome, afterPolls?: number): void;
  /**
   * The next `n` POST rows requests (after sign-in and lookup succeed) get this answer instead;
   * they store nothing and count against no limit. Other POSTs are not affected.
   */
  failNextPosts(n: number, status: number, body?: unknown, headers?: Record<string, string>): void;
  close(): Promise<void>;
};

export const POWER_BI_SCOPE = "https://analysis.windows.net/powerbi/api/.default";
const POWER_BI_AUDIENCE = "https://analysis.windows.net/powerbi/api";

export const FAKE_POWER_BI_DEFAULTS = {
  tenantId: "8f2c1a7e-4b3d-4e59-9a61-0c7d2e5b9f13",
  clientId: "3d9b6c2a-71e4-4f08-b5a2-9e6f0d1c4b87",
  clientSecret: "pbi~fake-client-secret",
  // what Microsoft answers for a client credentials token [P7]
  tokenLifetimeSeconds: 3599,
  postsPerMinute: 120,
  rowsPerHour: 1_000_000,
} as const;

// Push dataset limits [P1]
const MAX_ROWS_PER_POST = 10_000;
const MAX_PENDING_POSTS = 5;
const MAX_STRING_LENGTH = 4_000;
const MAX_TABLES = 75;
const MAX_COLUMNS = 75;
const FIFO_ROWS = 200_000;
const MAX_ROWS_NONE = 5_000_000;
const BIG_TABLE_ROWS = 250_000;
// Shared capacity refreshes per day [P5]
const SHARED_REFRESHES_PER_DAY = 8;
const DEFAULT_TOP = 60;
const MAX_POST_BODY_BYTES = 64 * 1024 * 1024;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

// The official create-dataset sample spells "string" and "bool" [P2]: names match case-insensitively,
// and the fake keeps the canonical spelling.
const DATA_TYPES = new Map([
  ["int64", "Int64"],
  ["double", "Double"],
  ["boolean", "Boolean"],
  ["bool", "Boolean"],
  ["datetime", "DateTime"],
  ["string", "String"],
]);
const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

const NOTIFY_OPTIONS = ["NoNotification", "MailOnFailure", "MailOnCompletion"];
// Any of these in a refresh body makes it an enhanced refresh [P5][P11].
const ENHANCED_FIELDS = [
  "type",
  "commitMode",
  "objects",
  "retryCount",
  "maxParallelism",
  "applyRefreshPolicy",
  "effectiveDate",
  "timeout",
];

export type RetentionPolicy = "None" | "basicFIFO";
type Table = { name: string; columns: FakePowerBiColumn[]; rows: Record<string, unknown>[] };
type Refresh = {
  requestId: string;
  id: number;
  refreshType: "ViaApi" | "ViaEnhancedApi";
  startTime: string;
  endTime?: string;
  status: "Unknown" | "Completed" | "Failed";
  outcome: FakeRefreshOutcome;
  pollsLeft: number;
  acceptedAt: number;
};
type Dataset = {
  id: string;
  name: string;
  mode: "push" | "import";
  retention: RetentionPolicy;
  createdDate: string;
  tables: Table[];
  postTimes: number[];
  rowLog: { at: number; rows: number }[];
  pending: number;
  refreshes: Refresh[];
  refreshOutcome: { outcome: FakeRefreshOutcome; afterPolls: number };
};
type Fault = { status: number; body?: unknown; headers: Record<string, string> };
type IssuedToken = { expiresAt: number; revoked: boolean };

class InvalidSchema extends Error {}

// Power BI's error envelope (§4.4); "pbi.error" is left out as its exact shape is UNVERIFIED.
function apiError(res: ServerResponse, status: number, code: string, message: string) {
  sendJson(res, status, { error: { code, message } });
}

const tooManyRequests = (res: ServerResponse, retryAfterSeconds: number) =>
  sendJson(
    res,
    429,
    {
      error: {
        code: "TooManyRequests",
        message:
          "You have exceeded the amount of requests allowed in the current time frame and further requests will fail.",
      },
    },
    { "retry-after": String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  );

function emptyResponse(res: ServerResponse, status: number, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-length": 0, ...headers });
  res.end();
}

// Entra's timestamp format: "2026-11-23 10:15:00Z".
const aadTimestamp = () => `${new Date().toISOString().slice(0, 19).replace("T", " ")}Z`;

/** Canonical column list, or InvalidSchema naming what is wrong. */
function parseColumns(table: string, columns: unknown): FakePowerBiColumn[] {
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new InvalidSchema(`Table '${table}' must have at least one column.`);
  }
  if (columns.length > MAX_COLUMNS) {
    throw new InvalidSchema(`Table '${table}' has more than ${MAX_COLUMNS} columns.`);
  }
  const seen = new Set<string>();
  return columns.map((column: unknown) => {
    if (!isRecord(column) || typeof column.name !== "string" || column.name.trim() === "") {
      throw new InvalidSchema(`Every column of table '${table}' needs a name.`);
    }
    const dataType =
      typeof column.dataType === "string"
        ? DATA_TYPES.get(column.dataType.toLowerCase())
        : undefined;
    if (!dataType) {
      throw new InvalidSchema(
        `Column '${column.name}' of table '${table}' has an unsupported dataType '${String(column.dataType)}'.`,
      );
    }
    if (seen.has(column.name.toLowerCase())) {
      throw new InvalidSchema(`Table '${table}' names column '${column.name}' twice.`);
    }
    seen.add(column.name.toLowerCase());
    return { name: column.name, dataType };
  });
}

function parseTables(tables: unknown): Table[] {
  if (!Array.isArray(tables) || tables.length === 0) {
    throw new InvalidSchema("A push dataset needs at least one table.");
  }
  if (tables.length > MAX_TABLES) {
    throw new InvalidSchema(`A push dataset can have at most ${MAX_TABLES} tables.`);
  }
  const seen = new Set<string>();
  return tables.map((table: unknown) => {
    if (!isRecord(table) || typeof table.name !== "string" || table.name.trim() === "") {
      throw new InvalidSchema("Every table needs a name.");
    }
    if (seen.has(table.name.toLowerCase())) {
      throw new InvalidSchema(`The dataset names table '${table.name}' twice.`);
    }
    seen.add(table.name.toLowerCase());
    return { name: table.name, columns: parseColumns(table.name, table.columns), rows: [] };
  });
}

/** Why a value does not fit a column's type, or undefined when it does (null always fits). */
function typeMismatch(dataType: string, value: unknown): string | undefined {
  if (value === null) return undefined;
  switch (dataType) {
    case "Int64":
      return Number.isInteger(value) ? undefined : "expected an integer (Int64)";
    case "Double":
      return typeof value === "number" ? undefined : "expected a number (Double)";
    case "Boolean":
      return typeof value === "boolean" ? undefined : "expected true or false (Boolean)";
    case "DateTime":
      // ISO 8601 only: the doc's "07/30/2014" sample is ambiguous and which formats the service
      // parses is UNVERIFIED (§4.2), so the fake holds clients to the safe choice.
      return typeof value === "string" && ISO_DATE_TIME.test(value) && !isNaN(Date.parse(value))
        ? undefined
        : "expected an ISO 8601 date-time string (DateTime)";
    default:
      if (typeof value !== "string") return "expected a string (String)";
      return value.length > MAX_STRING_LENGTH
        ? `string of ${value.length} characters is longer than ${MAX_STRING_LENGTH}`
        : undefined;
  }
}

// A malformed escape is left as sent, so it simply names nothing that exists.
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** The first problem with a rows payload: unknown column names (all of them), then value types. */
function rowsProblem(table: Table, rows: Record<string, unknown>[]): string | undefined {
  const known = new Map(table.columns.map((column) => [column.name, column.dataType]));
  const unknown = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) if (!known.has(key)) unknown.add(key);
  if (unknown.size > 0) {
    const names = [...unknown].map((name) => `'${name}'`).join(", ");
    return `Table '${table.name}' has no column${unknown.size > 1 ? "s" : ""} named ${names}.`;
  }
  for (let index = 0; index < rows.length; index++) {
    for (const [column, value] of Object.entries(rows[index]!)) {
      const problem = typeMismatch(known.get(column)!, value);
      if (problem) {
        return `rows[${index}], column '${column}': ${problem}, got ${describeValue(value)}.`;
      }
    }
  }
  return undefined;
}

/** Seconds until the window holds fewer than `limit` entries again (times ascending). */
function secondsUntilBelow(times: number[], limit: number, windowMs: number, now: number): number {
  const oldestToLeave = times[times.length - limit]!;
  return (oldestToLeave + windowMs - now) / 1000;
}

// Access tokens are RS256 JWTs as Entra issues them, with the key published at jwks_uri; the API
// still checks them by lookup, since only the fake issues them. One key per process: making an RSA
// key takes a noticeable part of a second, and nothing relies on fakes having different keys.
let processSigningKey: { signingKey: KeyPairKeyObjectResult; keyId: string } | undefined;
function tokenSigningKey() {
  processSigningKey ??= {
    signingKey: generateKeyPairSync("rsa", { modulusLength: 2048 }),
    keyId: randomUUID(),
  };
  return processSigningKey;
}

export async function startFakePowerBi(options: FakePowerBiOptions = {}): Promise<FakePowerBi> {
  const tenantId = options.tenantId ?? FAKE_POWER_BI_DEFAULTS.tenantId;
  const clientId = options.clientId ?? FAKE_POWER_BI_DEFAULTS.clientId;
  const clientSecret = options.clientSecret ?? FAKE_POWER_BI_DEFAULTS.clientSecret;
  const tokenLifetimeSeconds =
    options.tokenLifetimeSeconds ?? FAKE_POWER_BI_DEFAULTS.tokenLifetimeSeconds;
  const postsPerWindow = options.postsPerMinute ?? FAKE_POWER_BI_DEFAULTS.postsPerMinute;
  const rowsPerHour = options.rowsPerHour ?? FAKE_POWER_BI_DEFAULTS.rowsPerHour;
  const capacity = options.capacity ?? "shared";
  const tls = options.tls ?? createLocalhostCertificate();
  const groupId = randomUUID();

  const { signingKey, keyId } = tokenSigningKey();
  const tokens = new Map<string, IssuedToken>();
  const datasets = new Map<string, Dataset>();
  const requests: FakePowerBiRequest[] = [];
  const faults: Fault[] = [];
  let nextRefreshId = 1;
  let baseUrl = "";

  const sameTenant = (tenant: string) => tenant.toLowerCase() === tenantId.toLowerCase();
  const apiBase = () => `${baseUrl}/v1.0/myorg/groups/${groupId}`;

  function newDataset(
    name: string,
    mode: "push" | "import",
    tables: Table[],
    retention: RetentionPolicy,
  ): Dataset {
    const dataset: Dataset = {
      id: randomUUID(),
      name,
      mode,
      retention,
      createdDate: new Date().toISOString(),
      tables,
      postTimes: [],
      rowLog: [],
      pending: 0,
      refreshes: [],
      refreshOutcome: { outcome: { status: "Completed" }, afterPolls: 1 },
    };
    datasets.set(dataset.id, dataset);
    return dataset;
  }

  // ---- Microsoft identity platform --------------------------------------------------------

  function aadError(
    res: ServerResponse,
    status: number,
    error: string,
    code: number,
    description: string,
    correlationId: string = randomUUID(),
  ) {
    const traceId = randomUUID();
    const timestamp = aadTimestamp();
    sendJson(res, status, {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${baseUrl}/error?code=${code}`,
    });
  }

  const tenantNotFound = (tenant: string) =>
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`;

  // What login.microsoftonline.com answers at /{tenant}/v2.0/.well-known/openid-configuration;
  // msal-node needs authorization_endpoint, token_endpoint, issuer and jwks_uri, and checks that
  // the issuer has the authority's scheme and host.
  function openIdConfiguration(res: ServerResponse, tenant: string) {
    if (!sameTenant(tenant)) {
      // the discovery document answers invalid_tenant, the token endpoint invalid_request (§4.1)
      return aadError(res, 400, "invalid_tenant", 90002, tenantNotFound(tenant));
    }
    const authority = `${baseUrl}/${tenantId}`;
    sendJson(res, 200, {
      token_endpoint: `${authority}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: [
        "client_secret_post",
        "private_key_jwt",
        "client_secret_basic",
      ],
      jwks_uri: `${authority}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${authority}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${authority}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "tid", "ver"],
      kerberos_endpoint: `${authority}/kerberos`,
      tenant_region_scope: "EU",
      cloud_instance_name: "microsoftonline.com",
      cloud_graph_host_name: "graph.windows.net",
      msgraph_host: "graph.microsoft.com",
      rbac_url: "https://pas.windows.net",
    });
  }

  function jwks(res: ServerResponse, tenant: string) {
    if (!sameTenant(tenant)) {
      return aadError(res, 400, "invalid_tenant", 90002, tenantNotFound(tenant));
    }
    const jwk = signingKey.publicKey.export({ format: "jwk" });
    sendJson(res, 200, { keys: [{ kty: "RSA", use: "sig", kid: keyId, n: jwk.n, e: jwk.e }] });
  }

  function issueToken(): string {
    const iat = nowSeconds();
    const token = signJwt(
      {
        aud: POWER_BI_AUDIENCE,
        iss: `https://sts.windows.net/${tenantId}/`,
        iat,
        nbf: iat,
        exp: iat + tokenLifetimeSeconds,
        appid: clientId,
        appidacr: "1",
        idtyp: "app",
        oid: randomUUID(),
        sub: randomUUID(),
        tid: tenantId,
        ver: "1.0",
        // unique per token, so expiring one never matches a later one
        uti: randomUUID(),
      },
      { alg: "RS256", privateKey: signingKey.privateKey },
    );
    tokens.set(token, { expiresAt: Date.now() + tokenLifetimeSeconds * 1000, revoked: false });
    return token;
  }

  async function token(req: IncomingMessage, res: ServerResponse, requestUrl: URL, tenant: string) {
    // msal sends its correlation id as ?client-request-id=; Entra echoes it in errors
    const correlationId =
      requestUrl.searchParams.get("client-request-id") ??
      (req.headers["client-request-id"] as string | undefined) ??
      randomUUID();
    const fail = (status: number, error: string, code: number, description: string) =>
      aadError(res, status, error, code, description, correlationId);
    if (req.method !== "POST") {
      return fail(
        400,
        "invalid_request",
        900561,
        "The endpoint only accepts POST requests. Received a GET request.",
      );
    }
    const raw = (await readBody(req)).toString("utf8");
    if (!sameTenant(tenant)) return fail(400, "invalid_request", 90002, tenantNotFound(tenant));
    // A body of any other type is not read as parameters, so the first required one is "missing".
    const form =
      mediaType(req) === "application/x-www-form-urlencoded"
        ? new URLSearchParams(raw)
        : new URLSearchParams();
    const missing = (name: string) =>
      fail(
        400,
        "invalid_request",
        900144,
        `The request body must contain the following parameter: '${name}'.`,
      );
    const grantType = form.get("grant_type");
    if (!grantType) return missing("grant_type");
    if (grantType !== "client_credentials") {
      return fail(
        400,
        "unsupported_grant_type",
        70003,
        `The app requested an unsupported grant type '${grantType}'.`,
      );
    }
    // client_secret_basic: the id and secret may come in an Authorization: Basic header instead
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    let requestClientId = form.get("client_id");
    let requestSecret = form.get("client_secret");
    if (basic) {
      const [id = "", ...secret] = Buffer.from(basic[1]!, "base64").toString("utf8").split(":");
      requestClientId ??= safeDecode(id);
      requestSecret ??= safeDecode(secret.join(":"));
    }
    if (!requestClientId) return missing("client_id");
    const scope = form.get("scope");
    if (!scope) return missing("scope");
    // An unknown application is a 400 unauthorized_client, not invalid_client (Entra's AADSTS700016).
    if (requestClientId !== clientId) {
      return fail(
        400,
        "unauthorized_client",
        700016,
        `Application with identifier '${requestClientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    if (form.has("client_assertion")) {
      return fail(
        401,
        "invalid_client",
        700027,
        "Client assertion failed signature validation: no certificate is registered for this application.",
      );
    }
    if (!requestSecret) {
      return fail(
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    if (requestSecret !== clientSecret) {
      return fail(
        401,
        "invalid_client",
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    }
    if (scope !== POWER_BI_SCOPE) {
      const notDefault = !scope.endsWith("/.default");
      return fail(
        400,
        "invalid_scope",
        notDefault ? 1002012 : 70011,
        notDefault
          ? `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`
          : `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
      );
    }
    sendJson(
      res,
      200,
      {
        token_type: "Bearer",
        expires_in: tokenLifetimeSeconds,
        ext_expires_in: tokenLifetimeSeconds,
        access_token: issueToken(),
      },
      { "cache-control": "no-store, no-cache", "client-request-id": correlationId },
    );
  }

  // ---- Power BI REST API --------------------------------------------------------------------

  /** True when the request may go on; otherwise the 401/403 has been sent. */
  function authorized(req: IncomingMessage, res: ServerResponse): boolean {
    const issued = tokens.get(bearerToken(req) ?? "");
    if (!issued) {
      // The real 401 body is UNVERIFIED (§4.1); an empty body with a Bearer challenge keeps
      // clients from depending on one.
      emptyResponse(res, 401, {
        "www-authenticate": `Bearer authorization_uri="${baseUrl}/common/oauth2/authorize", error="invalid_token"`,
      });
      return false;
    }
    if (issued.revoked || Date.now() >= issued.expiresAt) {
      apiError(
        res,
        403,
        "TokenExpired",
        "Access token has expired, resubmit with a new access token",
      );
      return false;
    }
    return true;
  }

  async function readJsonBody(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ ok: true; value: unknown } | { ok: false }> {
    const raw = (await readBody(req, MAX_POST_BODY_BYTES)).toString("utf8");
    if (mediaType(req) !== "application/json") {
      apiError(
        res,
        415,
        "UnsupportedMediaType",
        "The request body must be sent as application/json.",
      );
      return { ok: false };
    }
    const parsed = parseJson(raw);
    if (!parsed.ok) apiError(res, 400, "InvalidRequest", "The request body is not valid JSON.");
    return parsed;
  }

  const datasetNotFound = (res: ServerResponse, id: string) =>
    apiError(
      res,
      404,
      "ItemNotFound",
      `Dataset ${id} is not found! please verify datasetId is correct and user have sufficient permissions.`,
    );

  function datasetEntity(dataset: Dataset) {
    const push = dataset.mode === "push";
    return {
      id: dataset.id,
      name: dataset.name,
      webUrl: `https://app.powerbi.com/groups/${groupId}/datasets/${dataset.id}`,
      addRowsAPIEnabled: push,
      configuredBy: clientId,
      isRefreshable: !push,
      isEffectiveIdentityRequired: false,
      isEffectiveIdentityRolesRequired: false,
      isOnPremGatewayRequired: false,
      targetStorageMode: "Abf",
      createdDate: dataset.createdDate,
      createReportEmbedURL: `https://app.powerbi.com/reportEmbed?config=fake&datasetId=${dataset.id}`,
      qnaEmbedURL: `https://app.powerbi.com/qnaEmbed?config=fake&datasetId=${dataset.id}`,
      upstreamDatasets: [],
      users: [],
    };
  }

  async function createDataset(req: IncomingMessage, res: ServerResponse, requestUrl: URL) {
    const policy = requestUrl.searchParams.get("defaultRetentionPolicy") ?? "None";
    if (policy !== "None" && policy !== "basicFIFO") {
      await readBody(req, MAX_POST_BODY_BYTES);
      return apiError(
        res,
        400,
        "InvalidRequest",
        `Invalid defaultRetentionPolicy '${policy}'; use None or basicFIFO.`,
      );
    }
    const body = await readJsonBody(req, res);
    if (!body.ok) return;
    const value = body.value;
    if (!isRecord(value) || typeof value.name !== "string" || value.name.trim() === "") {
      return apiError(res, 400, "InvalidRequest", "The dataset needs a name.");
    }
    // Streaming-only and live-connection modes keep no rows; this fake models push datasets only.
    const mode = value.defaultMode ?? "Push";
    if (mode !== "Push" && mode !== "PushStreaming") {
      return apiError(
        res,
        400,
        "InvalidRequest",
        `defaultMode '${String(mode)}' is not supported by this fake (Push or PushStreaming).`,
      );
    }
    let tables: Table[];
    try {
      tables = parseTables(value.tables);
    } catch (error) {
      if (!(error instanceof InvalidSchema)) throw error;
      return apiError(res, 400, "InvalidRequest", error.message);
    }
    // A second dataset of the same name is created beside the first (UNVERIFIED, §4.2).
    const dataset = newDataset(value.name, "push", tables, policy);
    sendJson(res, 201, {
      "@odata.context": `${apiBase()}/$metadata#datasets/$entity`,
      id: dataset.id,
      name: dataset.name,
      defaultRetentionPolicy: policy,
    });
  }

  function listTables(res: ServerResponse, dataset: Dataset) {
    if (dataset.mode !== "push") {
      return apiError(
        res,
        400,
        "InvalidRequest",
        `Dataset ${dataset.id} is not a Push API dataset.`,
      );
    }
    sendJson(res, 200, {
      "@odata.context": `${apiBase()}/datasets/${dataset.id}/$metadata#tables`,
      // Power BI documents only the table names here; the columns are this fake's assumption, so
      // a client can compare schemas. A client must cope with their absence.
      value: dataset.tables.map((table) => ({
        name: table.name,
        columns: table.columns.map((column) => ({ ...column })),
      })),
    });
  }

  /**
   * Throttle answer for a POST rows request about to be admitted, or undefined to let it in. A
   * refused request does not count against the window.
   */
  function postThrottle(dataset: Dataset, table: Table, now: number): number | undefined {
    if (dataset.pending >= MAX_PENDING_POSTS) return 1;
    // a table of 250,000 rows or more gets the same count per hour instead of per minute [P1]
    const windowMs = table.rows.length >= BIG_TABLE_ROWS ? HOUR_MS : MINUTE_MS;
    while (dataset.postTimes.length > 0 && dataset.postTimes[0]! <= now - HOUR_MS) {
      dataset.postTimes.shift();
    }
    const inWindow = dataset.postTimes.filter((at) => at > now - windowMs);
    if (inWindow.length >= postsPerWindow) {
      return secondsUntilBelow(inWindow, postsPerWindow, windowMs, now);
    }
    return undefined;
  }

  /** Seconds until `rows` more fit the hourly row budget, or undefined when they fit now. */
  function rowBudgetWait(dataset: Dataset, rows: number, now: number): number | undefined {
    while (dataset.rowLog.length > 0 && dataset.rowLog[0]!.at <= now - HOUR_MS) {
      dataset.rowLog.shift();
    }
    let used = dataset.rowLog.reduce((sum, entry) => sum + entry.rows, 0);
    if (used + rows <= rowsPerHour) return undefined;
    if (rows > rowsPerHour) return HOUR_MS / 1000;
    for (const entry of dataset.rowLog) {
      used -= entry.rows;
      if (used + rows <= rowsPerHour) return (entry.at + HOUR_MS - now) / 1000;
    }
    return HOUR_MS / 1000;
  }

  async function postRows(
    req: IncomingMessage,
    res: ServerResponse,
    dataset: Dataset,
    table: Table,
    entry: FakePowerBiRequest,
  ) {
    const fault = faults.shift();
    if (fault) {
      req.resume();
      const headers = { ...fault.headers };
      if (fault.body === undefined) return emptyResponse(res, fault.status, headers);
      return sendJson(res, fault.status, fault.body, headers);
    }
    const now = Date.now();
    const wait = postThrottle(dataset, table, now);
    if (wait !== undefined) {
      req.resume();
      return tooManyRequests(res, wait);
    }
    dataset.postTimes.push(now);
    dataset.pending += 1;
    res.once("close", () => (dataset.pending -= 1));

    const body = await readJsonBody(req, res);
    if (!body.ok) return;
    const value = body.value;
    if (!isRecord(value) || !Array.isArray(value.rows)) {
      return apiError(res, 400, "InvalidRequest", 'The body must be an object {"rows":[...]}.');
    }
    const rows: unknown[] = value.rows;
    entry.rows = rows.length;
    if (rows.length > MAX_ROWS_PER_POST) {
      return apiError(
        res,
        400,
        "InvalidRequest",
        `The request has ${rows.length} rows; at most ${MAX_ROWS_PER_POST} rows can be added per request.`,
      );
    }
    const badRow = rows.findIndex((row) => !isRecord(row));
    if (badRow >= 0) {
      return apiError(
        res,
        400,
        "InvalidRequest",
        `rows[${badRow}] is not an object of column values.`,
      );
    }
    const typedRows = rows as Record<string, unknown>[];
    const problem = rowsProblem(table, typedRows);
    if (problem) return apiError(res, 400, "InvalidRequest", problem);
    const budgetWait = rowBudgetWait(dataset, typedRows.length, now);
    if (budgetWait !== undefined) return tooManyRequests(res, budgetWait);
    if (dataset.retention === "None" && table.rows.length + typedRows.length > MAX_ROWS_NONE) {
      return apiError(
        res,
        400,
        "InvalidRequest",
        `Table '${table.name}' would exceed ${MAX_ROWS_NONE} rows, the limit without a retention policy.`,
      );
    }
    dataset.rowLog.push({ at: now, rows: typedRows.length });
    for (const row of typedRows) table.rows.push({ ...row });
    // basicFIFO keeps the newest 200,000 rows of each table [P1]
    if (dataset.retention === "basicFIFO" && table.rows.length > FIFO_ROWS) {
      table.rows.splice(0, table.rows.length - FIFO_ROWS);
    }
    emptyResponse(res, 200);
  }

  /** Settles a refresh that a poll has seen `afterPolls` times. */
  function pollRefresh(refresh: Refresh) {
    if (refresh.status !== "Unknown") return;
    if (refresh.pollsLeft > 0) {
      refresh.pollsLeft -= 1;
      return;
    }
    refresh.status = refresh.outcome.status;
    refresh.endTime = new Date().toISOString();
  }

  function historyEntry(refresh: Refresh) {
    return {
      requestId: refresh.requestId,
      id: refresh.id,
      refreshType: refresh.refreshType,
      startTime: refresh.startTime,
      ...(refresh.endTime ? { endTime: refresh.endTime } : {}),
      status: refresh.status,
      ...(refresh.status === "Failed" && refresh.outcome.status === "Failed"
        ? {
            serviceExceptionJson: JSON.stringify({
              errorCode: "ModelRefreshFailed_ProcessingError",
              errorDescription: refresh.outcome.message,
            }),
          }
        : {}),
      refreshAttempts: [
        {
          attemptId: 1,
          startTime: refresh.startTime,
          ...(refresh.endTime ? { endTime: refresh.endTime } : {}),
          type: "Data",
        },
      ],
    };
  }

  async function startRefresh(req: IncomingMessage, res: ServerResponse, dataset: Dataset) {
    if (dataset.mode === "push") {
      await readBody(req, MAX_POST_BODY_BYTES);
      // status and body for a push dataset are UNVERIFIED (§4.3)
      return apiError(
        res,
        400,
        "InvalidRequest",
        `Dataset ${dataset.id} is a Push dataset and cannot be refreshed.`,
      );
    }
    const body = await readJsonBody(req, res);
    if (!body.ok) return;
    const value = isRecord(body.value) ? body.value : {};
    const enhanced = ENHANCED_FIELDS.filter((field) => field in value);
    const notify = value.notifyOption;
    if (enhanced.length > 0 && notify !== undefined) {
      return apiError(
        res,
        400,
        "InvalidRequest",
        `notifyOption must be left out of an enhanced refresh (the body sets ${enhanced.join(", ")}).`,
      );
    }
    if (enhanced.length > 0 && capacity === "shared") {
      return apiError(
        res,
        400,
        "InvalidRequest",
        "Enhanced refresh is not supported for shared capacities; only notifyOption can be set.",
      );
    }
    if (enhanced.length === 0) {
      if (notify === undefined) {
        return apiError(res, 400, "InvalidRequest", "notifyOption is required.");
      }
      if (typeof notify !== "string" || !NOTIFY_OPTIONS.includes(notify)) {
        return apiError(res, 400, "InvalidRequest", `Invalid notifyOption '${String(notify)}'.`);
      }
      // Every caller here is a service principal, which gets no mail (message text UNVERIFIED).
      if (notify !== "NoNotification") {
        return apiError(
          res,
          400,
          "InvalidRequest",
          `Invalid NotifyOption value '${notify}' for app only owner requests`,
        );
      }
    }
    // UNVERIFIED: a second refresh while one runs is refused rather than queued.
    if (dataset.refreshes.some((refresh) => refresh.status === "Unknown")) {
      return apiError(
        res,
        400,
        "InvalidRequest",
        "Invalid dataset refresh request. Another refresh request is already executing",
      );
    }
    const now = Date.now();
    if (capacity === "shared") {
      const lastDay = dataset.refreshes.filter((refresh) => refresh.acceptedAt > now - DAY_MS);
      if (lastDay.length >= SHARED_REFRESHES_PER_DAY) {
        // message as seen in the wild (MicrosoftDocs connectors issue #450); the status is 400
        return apiError(
          res,
          400,
          "InvalidRequest",
          "Invalid dataset refresh request. Number of refresh requests in last 24 hours exceeded limit",
        );
      }
    }
    const refresh: Refresh = {
      requestId: randomUUID(),
      id: nextRefreshId++,
      refreshType: enhanced.length > 0 ? "ViaEnhancedApi" : "ViaApi",
      startTime: new Date(now).toISOString(),
      status: "Unknown",
      outcome: dataset.refreshOutcome.outcome,
      pollsLeft: dataset.refreshOutcome.afterPolls,
      acceptedAt: now,
    };
    dataset.refreshes.push(refresh);
    emptyResponse(res, 202, {
      "x-ms-request-id": refresh.requestId,
      location: `${apiBase()}/datasets/${dataset.id}/refreshes/${refresh.requestId}`,
    });
  }

  function refreshHistory(res: ServerResponse, requestUrl: URL, dataset: Dataset) {
    const topParam = requestUrl.searchParams.get("$top");
    const top = topParam === null ? DEFAULT_TOP : Number(topParam);
    if (!Number.isInteger(top) || top < 1) {
      return apiError(res, 400, "InvalidRequest", `Invalid $top value '${topParam}'.`);
    }
    const newestFirst = [...dataset.refreshes].reverse().slice(0, top);
    for (const refresh of newestFirst) pollRefresh(refresh);
    sendJson(res, 200, {
      "@odata.context": `${apiBase()}/datasets/${dataset.id}/$metadata#refreshes`,
      value: newestFirst.map(historyEntry),
    });
  }

  // Enhanced refresh's "Get Refresh Execution Details", which the Location header points to; the
  // fake answers it for every refresh.
  function refreshDetails(res: ServerResponse, dataset: Dataset, refreshId: string) {
    const refresh = dataset.refreshes.find(
      (candidate) => candidate.requestId.toLowerCase() === refreshId.toLowerCase(),
    );
    if (!refresh) return apiError(res, 404, "ItemNotFound", `Refresh ${refreshId} is not found.`);
    pollRefresh(refresh);
    const failure =
      refresh.status === "Failed" && refresh.outcome.status === "Failed" ? refresh.outcome : null;
    sendJson(res, 200, {
      startTime: refresh.startTime,
      ...(refresh.endTime ? { endTime: refresh.endTime } : {}),
      type: "Full",
      commitMode: "Transactional",
      status: refresh.status,
      extendedStatus: refresh.status === "Unknown" ? "InProgress" : refresh.status,
      currentRefreshType: "Full",
      numberOfAttempts: 1,
      objects: [],
      messages: failure
        ? [{ code: "ModelRefreshFailed_ProcessingError", message: failure.message, type: "Error" }]
        : [],
    });
  }

  const methodNotAllowed = (res: ServerResponse, method: string | undefined) =>
    apiError(
      res,
      405,
      "MethodNotAllowed",
      `The requested resource does not support http method '${method}'.`,
    );

  async function api(
    req: IncomingMessage,
    res: ServerResponse,
    requestUrl: URL,
    entry: FakePowerBiRequest,
  ) {
    res.setHeader("requestid", randomUUID());
    if (!authorized(req, res)) return;
    const segments = requestUrl.pathname.split("/").slice(4).map(safeDecode);
    // item: a table name under tables/, a refresh id under refreshes/
    const [group, collection, datasetId, sub, item, leaf, ...rest] = segments;
    const method = req.method;
    if (group?.toLowerCase() !== groupId) {
      return apiError(
        res,
        404,
        "PowerBIEntityNotFound",
        `Workspace ${group} is not found or the caller has no access to it.`,
      );
    }
    if (collection !== "datasets") {
      return apiError(res, 404, "EndpointNotFound", `No API is served at ${requestUrl.pathname}.`);
    }
    if (datasetId === undefined || datasetId === "") {
      if (method === "GET") {
        return sendJson(res, 200, {
          "@odata.context": `${apiBase()}/$metadata#datasets`,
          value: [...datasets.values()].map(datasetEntity),
        });
      }
      if (method === "POST") return createDataset(req, res, requestUrl);
      return methodNotAllowed(res, method);
    }
    const dataset = datasets.get(datasetId.toLowerCase());
    if (!dataset) return datasetNotFound(res, datasetId);
    if (sub === undefined) {
      return method === "GET"
        ? sendJson(res, 200, {
            "@odata.context": `${apiBase()}/$metadata#datasets/$entity`,
            ...datasetEntity(dataset),
          })
        : methodNotAllowed(res, method);
    }
    if (sub === "tables") {
      if (item === undefined) {
        return method === "GET" ? listTables(res, dataset) : methodNotAllowed(res, method);
      }
      if (dataset.mode !== "push") {
        return apiError(
          res,
          400,
          "InvalidRequest",
          `Dataset ${dataset.id} is not a Push API dataset.`,
        );
      }
      // table names match exactly; whether the service ignores case is UNVERIFIED
      const table = dataset.tables.find((candidate) => candidate.name === item);
      if (!table) {
        return apiError(
          res,
          404,
          "ItemNotFound",
          `Table '${item}' is not found in dataset ${dataset.id}.`,
        );
      }
      if (leaf !== "rows" || rest.length > 0) {
        return apiError(
          res,
          404,
          "EndpointNotFound",
          `No API is served at ${requestUrl.pathname}.`,
        );
      }
      if (method === "POST") return postRows(req, res, dataset, table, entry);
      if (method === "DELETE") {
        table.rows.length = 0;
        return emptyResponse(res, 200);
      }
      return methodNotAllowed(res, method);
    }
    if (sub === "refreshes") {
      if (item === undefined) {
        if (method === "POST") return startRefresh(req, res, dataset);
        if (method === "GET") return refreshHistory(res, requestUrl, dataset);
        return methodNotAllowed(res, method);
      }
      if (leaf === undefined && method === "GET") return refreshDetails(res, dataset, item);
    }
    apiError(res, 404, "EndpointNotFound", `No API is served at ${requestUrl.pathname}.`);
  }

  // ---- routing --------------------------------------------------------------------------------

  const OPENID = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/;
  const TOKEN = /^\/([^/]+)\/oauth2\/v2\.0\/token$/;
  const KEYS = /^\/([^/]+)\/discovery\/v2\.0\/keys$/;

  const server = await listenFake(
    options.port,
    async (req, res, requestUrl) => {
      const path = requestUrl.pathname;
      const entry: FakePowerBiRequest = {
        method: req.method ?? "",
        path,
        at: Date.now(),
        status: 0,
      };
      requests.push(entry);
      res.once("finish", () => (entry.status = res.statusCode));
      if (path.startsWith("/v1.0/myorg/groups/")) return api(req, res, requestUrl, entry);
      if (path.startsWith("/v1.0/")) {
        if (!authorized(req, res)) return;
        return apiError(res, 404, "EndpointNotFound", `No API is served at ${path}.`);
      }
      const openId = OPENID.exec(path);
      if (openId && req.method === "GET") return openIdConfiguration(res, safeDecode(openId[1]!));
      const keys = KEYS.exec(path);
      if (keys && req.method === "GET") return jwks(res, safeDecode(keys[1]!));
      const tokenPath = TOKEN.exec(path);
      if (tokenPath) return token(req, res, requestUrl, safeDecode(tokenPath[1]!));
      apiError(res, 404, "NotFound", `Nothing is served at ${path}.`);
    },
    tls,
  );
  baseUrl = server.url;

  function findDataset(id: string): Dataset {
    const dataset = datasets.get(id.toLowerCase());
    if (!dataset) throw new Error(`fake Power BI: no dataset ${id}`);
    return dataset;
  }

  return {
    url: server.url,
    cert: tls.cert,
    tenantId,
    clientId,
    clientSecret,
    groupId,
    addDataset({ name, mode, tables = [], retention = "None" }) {
      const parsed = mode === "push" || tables.length > 0 ? parseTables(tables) : [];
      return newDataset(name, mode, parsed, retention).id;
    },
    datasets: () =>
      [...datasets.values()].map((dataset) => ({
        id: dataset.id,
        name: dataset.name,
        mode: dataset.mode,
        tables: dataset.tables.map((table) => ({
          name: table.name,
          columns: table.columns.map((column) => ({ ...column })),
          rows: table.rows.map((row) => ({ ...row })),
        })),
      })),
    rowsOf(datasetId, tableName) {
      const table = findDataset(datasetId).tables.find((candidate) => candidate.name === tableName);
      if (!table) throw new Error(`fake Power BI: dataset ${datasetId} has no table ${tableName}`);
      return table.rows.map((row) => ({ ...row }));
    },
    requests,
    expireTokens() {
      for (const issued of tokens.values()) issued.revoked = true;
    },
    setRefreshOutcome(datasetId, outcome, afterPolls = 1) {
      const dataset = findDataset(datasetId);
      dataset.refreshOutcome = { outcome, afterPolls };
      for (const refresh of dataset.refreshes) {
        if (refresh.status !== "Unknown") continue;
        refresh.outcome = outcome;
        refresh.pollsLeft = afterPolls;
      }
    },
    failNextPosts(n, status, body, headers = {}) {
      for (let i = 0; i < n; i++) faults.push({ status, body, headers });
    },
    close: () => server.close(),
  };
}
