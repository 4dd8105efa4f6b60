// The fake Power BI refuses what the real service refuses (upstream-contracts §4 and §8): each
// refusal is shown failing, then passing once the request is put right. Time-bound limits move
// the clock (only Date is faked), so no test waits for a window to pass.
import { ReadableStream } from "node:stream/web";
import {
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from "@azure/msal-node";
import { Agent, fetch, type RequestInit, type Response } from "undici";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { createLocalhostCertificate } from "../../test-support/self-signed-cert";
import {
  POWER_BI_SCOPE,
  startFakePowerBi,
  type FakePowerBi,
  type FakePowerBiOptions,
} from "./powerbi";

// one certificate for every fake in this file: openssl runs once
const tls = createLocalhostCertificate();
const agent = new Agent({ connect: { ca: tls.cert } });
const started: FakePowerBi[] = [];

afterEach(() => {
  vi.useRealTimers();
});
afterAll(async () => {
  await Promise.all(started.map((fake) => fake.close()));
  await agent.close();
});

const PRODUCT_COLUMNS = [
  { name: "ProductID", dataType: "Int64" },
  { name: "Name", dataType: "String" },
  { name: "Price", dataType: "Double" },
  { name: "IsCompete", dataType: "Boolean" },
  { name: "ManufacturedOn", dataType: "DateTime" },
];
const PRODUCT = {
  ProductID: 1,
  Name: "Adjustable Race",
  Price: 9.5,
  IsCompete: true,
  ManufacturedOn: "2014-07-30T00:00:00Z",
};

type ErrorBody = { error: { code: string; message: string } };
type AadErrorBody = {
  error: string;
  error_description: string;
  error_codes: number[];
  trace_id: string;
  correlation_id: string;
  timestamp: string;
};

/** A fake and the calls a client makes to it. */
async function session(options: FakePowerBiOptions = {}) {
  const fake = await startFakePowerBi({ tls, ...options });
  started.push(fake);
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${fake.url}${path}`, { ...init, dispatcher: agent });
  const tokenFields = {
    grant_type: "client_credentials",
    client_id: fake.clientId,
    client_secret: fake.clientSecret,
    scope: POWER_BI_SCOPE,
  };
  const postForm = (fields: Record<string, string>, tenant = fake.tenantId) =>
    call(`/${tenant}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  async function token(): Promise<string> {
    const res = await postForm(tokenFields);
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }
  let current: string | undefined;
  /** An API call under the workspace, with a bearer token (a fresh one once per session). */
  async function api(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    current ??= await token();
    return call(`/v1.0/myorg/groups/${fake.groupId}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${current}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  }
  const renewToken = async () => {
    current = await token();
  };
  const pushDataset = (name = "Sales") =>
    fake.addDataset({
      name,
      mode: "push",
      tables: [{ name: "Product", columns: PRODUCT_COLUMNS }],
    });
  const postRows = (datasetId: string, rows: unknown[], table = "Product") =>
    api("POST", `/datasets/${datasetId}/tables/${table}/rows`, { rows });
  return { fake, call, postForm, tokenFields, token, api, renewToken, pushDataset, postRows };
}

function moveClock(ms: number) {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + ms);
}

async function until(condition: () => boolean) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

const rowsOfSize = (count: number, start = 0) =>
  Array.from({ length: count }, (_, i) => ({ ProductID: start + i }));

describe("fake Power BI: sign-in", () => {
  it("serves the tenant's OpenID configuration and refuses an unknown tenant (AADSTS90002)", async () => {
    const { fake, call } = await session();
    const unknown = await call(
      "/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration",
    );
    expect(unknown.status).toBe(400);
    const refused = (await unknown.json()) as AadErrorBody;
    expect(refused.error).toBe("invalid_tenant");
    expect(refused.error_codes).toEqual([90002]);
    expect(refused.error_description).toMatch(/^AADSTS90002: Tenant '11111111-[^']+' not found/);

    const res = await call(`/${fake.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const config = (await res.json()) as Record<string, string>;
    const authority = `${fake.url}/${fake.tenantId}`;
    expect(config).toMatchObject({
      token_endpoint: `${authority}/oauth2/v2.0/token`,
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      issuer: `${authority}/v2.0`,
      jwks_uri: `${authority}/discovery/v2.0/keys`,
    });
    const keys = (await (await call(new URL(config.jwks_uri!).pathname)).json()) as {
      keys: { kty: string; kid: string }[];
    };
    expect(keys.keys[0]).toMatchObject({ kty: "RSA" });
  });

  it("issues a token only for a form-encoded client-credentials request for the Power BI scope", async () => {
    const { fake, call, postForm, tokenFields } = await session({ tokenLifetimeSeconds: 1234 });
    const cases: [string, Promise<Response>, number, string, number][] = [
      ["GET", call(`/${fake.tenantId}/oauth2/v2.0/token`), 400, "invalid_request", 900561],
      [
        "JSON body",
        call(`/${fake.tenantId}/oauth2/v2.0/token`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(tokenFields),
        }),
        400,
        "invalid_request",
        900144,
      ],
      [
        "password grant",
        postForm({ ...tokenFields, grant_type: "password" }),
        400,
        "unsupported_grant_type",
        70003,
      ],
      [
        "other resource",
        postForm({ ...tokenFields, scope: "https://graph.microsoft.com/.default" }),
        400,
        "invalid_scope",
        70011,
      ],
      [
        "delegated-style scope",
        postForm({
          ...tokenFields,
          scope: "https://analysis.windows.net/powerbi/api/Dataset.ReadWrite.All",
        }),
        400,
        "invalid_scope",
        1002012,
      ],
      [
        "wrong secret",
        postForm({ ...tokenFields, client_secret: "nope" }),
        401,
        "invalid_client",
        7000215,
      ],
      [
        "no secret",
        postForm({ ...tokenFields, client_secret: "" }),
        401,
        "invalid_client",
        7000218,
      ],
      [
        "unknown application",
        postForm({ ...tokenFields, client_id: "00000000-0000-0000-0000-000000000001" }),
        400,
        "unauthorized_client",
        700016,
      ],
      [
        "unknown tenant",
        postForm(tokenFields, "contoso.onmicrosoft.com"),
        400,
        "invalid_request",
        90002,
      ],
    ];
    for (const [label, pending, status, error, code] of cases) {
      const res = await pending;
      expect(res.status, label).toBe(status);
      const body = (await res.json()) as AadErrorBody;
      expect(body.error, label).toBe(error);
      expect(body.error_codes, label).toEqual([code]);
      expect(body.error_description, label).toMatch(new RegExp(`^AADSTS${code}: `));
      expect(body, label).toHaveProperty("trace_id");
      expect(body, label).toHaveProperty("correlation_id");
    }

    const res = await postForm(tokenFields);
    expect(res.status).toBe(200);
    const issued = (await res.json()) as Record<string, unknown>;
    expect(issued).toEqual({
      token_type: "Bearer",
      expires_in: 1234,
      ext_expires_in: 1234,
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/) as unknown,
    });
    // client_secret_basic works too
    const basic = await call(`/${fake.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString("base64")}`,
      },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        scope: POWER_BI_SCOPE,
      }).toString(),
    });
    expect(basic.status).toBe(200);
  });

  /** msal-node's network client, over undici with the fake's certificate; records each URL. */
  function msalNetwork(seen: string[], allowedOrigin: string): INetworkModule {
    async function send<T>(
      url: string,
      method: "GET" | "POST",
      options?: NetworkRequestOptions,
    ): Promise<NetworkResponse<T>> {
      seen.push(`${method} ${url}`);
      if (new URL(url).origin !== allowedOrigin) throw new Error(`test refuses to call ${url}`);
      const res = await fetch(url, {
        method,
        headers: options?.headers,
        body: method === "POST" ? (options?.body ?? "") : undefined,
        dispatcher: agent,
      });
      return {
        headers: Object.fromEntries(res.headers),
        body: (await res.json()) as T,
        status: res.status,
      };
    }
    return {
      sendGetRequestAsync: (url, options) => send(url, "GET", options),
      sendPostRequestAsync: (url, options) => send(url, "POST", options),
    };
  }

  it("gives msal-node a token (knownAuthorities, custom network client) that the API accepts", async () => {
    const { fake, call } = await session();
    const seen: string[] = [];
    const app = (clientSecret: string) =>
      new ConfidentialClientApplication({
        auth: {
          clientId: fake.clientId,
          clientSecret,
          authority: `${fake.url}/${fake.tenantId}`,
          knownAuthorities: [new URL(fake.url).host],
        },
        system: { networkClient: msalNetwork(seen, fake.url) },
      });

    await expect(
      app("wrong").acquireTokenByClientCredential({ scopes: [POWER_BI_SCOPE] }),
    ).rejects.toMatchObject({ errorCode: "invalid_client" });

    const before = fake.requests.length;
    seen.length = 0;
    const result = await app(fake.clientSecret).acquireTokenByClientCredential({
      scopes: [POWER_BI_SCOPE],
    });
    expect(result?.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(result?.tokenType).toBe("Bearer");
    // what msal-node 7.2.1 asks for: discovery, then the token (no instance discovery)
    expect(seen).toEqual([
      `GET ${fake.url}/${fake.tenantId}/v2.0/.well-known/openid-configuration`,
      expect.stringMatching(
        new RegExp(`^POST ${fake.url}/${fake.tenantId}/oauth2/v2\\.0/token\\?client-request-id=`),
      ),
    ]);
    expect(fake.requests.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `GET /${fake.tenantId}/v2.0/.well-known/openid-configuration 200`,
      `POST /${fake.tenantId}/oauth2/v2.0/token 200`,
    ]);

    const res = await call(`/v1.0/myorg/groups/${fake.groupId}/datasets`, {
      headers: { authorization: `Bearer ${result!.accessToken}` },
    });
    expect(res.status).toBe(200);
  });

  it("without knownAuthorities msal-node would ask login.microsoftonline.com to discover the instance", async () => {
    const { fake } = await session();
    const seen: string[] = [];
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: fake.clientId,
        clientSecret: fake.clientSecret,
        authority: `${fake.url}/${fake.tenantId}`,
      },
      system: { networkClient: msalNetwork(seen, fake.url) },
    });
    await expect(
      app.acquireTokenByClientCredential({ scopes: [POWER_BI_SCOPE] }),
    ).rejects.toMatchObject({ errorCode: "endpoints_resolution_error" });
    expect(seen).toEqual([
      `GET https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=${fake.url}/${fake.tenantId}/oauth2/v2.0/authorize`,
    ]);
  });
});

describe("fake Power BI: API access", () => {
  it("answers 401 without a token or with one it did not issue", async () => {
    const { fake, call, token } = await session();
    const path = `/v1.0/myorg/groups/${fake.groupId}/datasets`;
    for (const headers of [{}, { authorization: "Bearer not-a-token" }] as Record<
      string,
      string
    >[]) {
      const res = await call(path, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
    }
    const res = await call(path, { headers: { authorization: `Bearer ${await token()}` } });
    expect(res.status).toBe(200);
  });

  it("answers 403 TokenExpired for every token issued before expireTokens(), not for new ones", async () => {
    const { fake, api, renewToken } = await session();
    expect((await api("GET", "/datasets")).status).toBe(200);
    fake.expireTokens();
    const res = await api("GET", "/datasets");
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: {
        code: "TokenExpired",
        message: "Access token has expired, resubmit with a new access token",
      },
    });
    await renewToken();
    expect((await api("GET", "/datasets")).status).toBe(200);
  });

  it("answers 403 TokenExpired once a token outlives expires_in", async () => {
    const { api, renewToken } = await session({ tokenLifetimeSeconds: 60 });
    expect((await api("GET", "/datasets")).status).toBe(200);
    moveClock(61_000);
    expect((await api("GET", "/datasets")).status).toBe(403);
    await renewToken();
    expect((await api("GET", "/datasets")).status).toBe(200);
  });

  it("answers 404 for an unknown workspace, dataset or table", async () => {
    const { fake, api, call, token, pushDataset, postRows } = await session();
    const id = pushDataset();
    const bearer = await token();
    const other = "0f0f0f0f-1111-2222-3333-444444444444";
    const misses: [string, Promise<Response>][] = [
      [
        "workspace",
        call(`/v1.0/myorg/groups/${other}/datasets`, {
          headers: { authorization: `Bearer ${bearer}` },
        }),
      ],
      ["dataset", api("GET", `/datasets/${other}/tables`)],
      ["table", postRows(id, [PRODUCT], "Products")],
    ];
    for (const [label, pending] of misses) {
      const res = await pending;
      expect(res.status, label).toBe(404);
      expect(((await res.json()) as ErrorBody).error.code, label).toMatch(/NotFound/);
    }
    expect((await api("GET", `/datasets/${id}/tables`)).status).toBe(200);
    expect((await postRows(id, [PRODUCT])).status).toBe(200);
    expect(fake.rowsOf(id, "Product")).toEqual([PRODUCT]);
  });
});

describe("fake Power BI: datasets", () => {
  it("lists the workspace's datasets as OData and a push dataset's tables with their columns", async () => {
    const { fake, api } = await session();
    const push = fake.addDataset({
      name: "Sales",
      mode: "push",
      tables: [{ name: "Product", columns: PRODUCT_COLUMNS }],
    });
    const imported = fake.addDataset({ name: "Finance", mode: "import" });
    const res = await api("GET", "/datasets");
    const list = (await res.json()) as {
      "@odata.context": string;
      value: Record<string, unknown>[];
    };
    expect(list["@odata.context"]).toMatch(/\$metadata#datasets$/);
    expect(list.value).toEqual([
      expect.objectContaining({
        id: push,
        name: "Sales",
        addRowsAPIEnabled: true,
        isRefreshable: false,
        configuredBy: fake.clientId,
      }),
      expect.objectContaining({
        id: imported,
        name: "Finance",
        addRowsAPIEnabled: false,
        isRefreshable: true,
      }),
    ]);
    const tables = (await (await api("GET", `/datasets/${push}/tables`)).json()) as {
      value: unknown[];
    };
    expect(tables.value).toEqual([{ name: "Product", columns: PRODUCT_COLUMNS }]);
    expect((await api("GET", `/datasets/${imported}/tables`)).status).toBe(400);
  });

  it("creates a push dataset only from a complete, supported schema", async () => {
    const { fake, api } = await session();
    const table = (columns: unknown[]) => ({ name: "Product", columns });
    const wide = Array.from({ length: 76 }, (_, i) => ({ name: `c${i}`, dataType: "Int64" }));
    const many = Array.from({ length: 76 }, (_, i) => ({
      name: `t${i}`,
      columns: [{ name: "a", dataType: "Int64" }],
    }));
    const refusals: [string, Promise<Response>, number, RegExp][] = [
      [
        "not JSON",
        api("POST", "/datasets", "name=x", { "content-type": "text/plain" }),
        415,
        /json/i,
      ],
      ["no name", api("POST", "/datasets", { tables: [table(PRODUCT_COLUMNS)] }), 400, /name/],
      ["no tables", api("POST", "/datasets", { name: "S", tables: [] }), 400, /table/],
      [
        "unknown type",
        api("POST", "/datasets", {
          name: "S",
          tables: [table([{ name: "Amount", dataType: "Currency" }])],
        }),
        400,
        /Amount.*Currency/,
      ],
      [
        "column without type",
        api("POST", "/datasets", { name: "S", tables: [table([{ name: "Amount" }])] }),
        400,
        /Amount/,
      ],
      ["76 columns", api("POST", "/datasets", { name: "S", tables: [table(wide)] }), 400, /75/],
      ["76 tables", api("POST", "/datasets", { name: "S", tables: many }), 400, /75/],
      [
        "retention policy",
        api("POST", "/datasets?defaultRetentionPolicy=forever", {
          name: "S",
          tables: [table(PRODUCT_COLUMNS)],
        }),
        400,
        /defaultRetentionPolicy/,
      ],
    ];
    for (const [label, pending, status, message] of refusals) {
      const res = await pending;
      expect(res.status, label).toBe(status);
      expect(((await res.json()) as ErrorBody).error.message, label).toMatch(message);
    }
    expect(fake.datasets()).toEqual([]);

    // the official sample's spellings, "string" and "bool", are accepted
    const res = await api("POST", "/datasets?defaultRetentionPolicy=basicFIFO", {
      name: "SalesMarketing",
      defaultMode: "Push",
      tables: [
        table([
          { name: "ProductID", dataType: "Int64" },
          { name: "Name", dataType: "string" },
          { name: "IsCompete", dataType: "bool" },
          { name: "ManufacturedOn", dataType: "DateTime" },
        ]),
      ],
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string };
    expect(created).toMatchObject({ name: "SalesMarketing", defaultRetentionPolicy: "basicFIFO" });
    expect(fake.datasets()).toEqual([
      {
        id: created.id,
        name: "SalesMarketing",
        mode: "push",
        tables: [
          {
            name: "Product",
            columns: [
              { name: "ProductID", dataType: "Int64" },
              { name: "Name", dataType: "String" },
              { name: "IsCompete", dataType: "Boolean" },
              { name: "ManufacturedOn", dataType: "DateTime" },
            ],
            rows: [],
          },
        ],
      },
    ]);
  });
});

describe("fake Power BI: rows", () => {
  it("takes a body of {rows:[...]} with at most 10,000 rows", async () => {
    const { fake, api, pushDataset, postRows } = await session();
    const id = pushDataset();
    const path = `/datasets/${id}/tables/Product/rows`;
    expect((await api("POST", path, [PRODUCT])).status).toBe(400);
    expect((await api("POST", path, { rows: [PRODUCT, "x"] })).status).toBe(400);
    const tooMany = await postRows(id, rowsOfSize(10_001));
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as ErrorBody).error.message).toMatch(/10000/);
    expect(fake.rowsOf(id, "Product")).toEqual([]);

    expect((await postRows(id, rowsOfSize(10_000))).status).toBe(200);
    expect(fake.rowsOf(id, "Product")).toHaveLength(10_000);
    expect(fake.requests.filter((r) => r.path.endsWith("/rows")).map((r) => r.rows)).toEqual([
      undefined,
      2,
      10_001,
      10_000,
    ]);
  });

  it("refuses column names the table does not have, naming each", async () => {
    const { fake, pushDataset, postRows } = await session();
    const id = pushDataset();
    const res = await postRows(id, [PRODUCT, { ...PRODUCT, Colour: "red" }, { Size: 3 }]);
    expect(res.status).toBe(400);
    const message = ((await res.json()) as ErrorBody).error.message;
    expect(message).toContain("'Colour'");
    expect(message).toContain("'Size'");
    expect(fake.rowsOf(id, "Product")).toEqual([]);
    expect((await postRows(id, [PRODUCT, { ProductID: 2 }])).status).toBe(200);
  });

  it("refuses a value that does not fit its column's type, naming row and column", async () => {
    const { fake, pushDataset, postRows } = await session();
    const id = pushDataset();
    const wrong: [string, unknown][] = [
      ["ProductID", 1.5],
      ["ProductID", "1"],
      ["Price", "9.5"],
      ["IsCompete", "true"],
      ["ManufacturedOn", "07/30/2014"],
      ["ManufacturedOn", 1406678400000],
      ["Name", 5],
    ];
    for (const [column, value] of wrong) {
      const res = await postRows(id, [PRODUCT, { ...PRODUCT, [column]: value }]);
      expect(res.status, `${column}=${String(value)}`).toBe(400);
      const message = ((await res.json()) as ErrorBody).error.message;
      expect(message).toContain("rows[1]");
      expect(message).toContain(`'${column}'`);
    }
    expect(fake.rowsOf(id, "Product")).toEqual([]);
    const nulls = Object.fromEntries(PRODUCT_COLUMNS.map((c) => [c.name, null]));
    const res = await postRows(id, [
      PRODUCT,
      nulls,
      { ...PRODUCT, Price: 3, ManufacturedOn: "2014-07-30" },
    ]);
    expect(res.status).toBe(200);
    expect(fake.rowsOf(id, "Product")).toHaveLength(3);
  });

  it("refuses a string longer than 4,000 characters", async () => {
    const { fake, pushDataset, postRows } = await session();
    const id = pushDataset();
    const res = await postRows(id, [{ Name: "x".repeat(4001) }]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/rows\[0\].*'Name'.*4000/);
    expect((await postRows(id, [{ Name: "x".repeat(4000) }])).status).toBe(200);
    expect(fake.rowsOf(id, "Product")).toHaveLength(1);
  });

  it("answers 429 with Retry-After past the POST rows requests allowed per minute per dataset", async () => {
    const { fake, pushDataset, postRows } = await session({ postsPerMinute: 3 });
    const id = pushDataset();
    const other = pushDataset("Other");
    for (let i = 0; i < 3; i++) expect((await postRows(id, [{ ProductID: i }])).status).toBe(200);
    const throttled = await postRows(id, [{ ProductID: 3 }]);
    expect(throttled.status).toBe(429);
    const retryAfter = Number(throttled.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(((await throttled.json()) as ErrorBody).error.code).toBe("TooManyRequests");
    // the count is per dataset
    expect((await postRows(other, [{ ProductID: 3 }])).status).toBe(200);

    moveClock(retryAfter * 1000);
    expect((await postRows(id, [{ ProductID: 3 }])).status).toBe(200);
    expect(fake.rowsOf(id, "Product").map((row) => row.ProductID)).toEqual([0, 1, 2, 3]);
  });

  it("answers 429 to a sixth POST rows request while five to the dataset are pending", async () => {
    const { fake, token, pushDataset, postRows } = await session();
    const id = pushDataset();
    const bearer = await token();
    const encoder = new TextEncoder();
    const held = Array.from({ length: 5 }, (_, i) => {
      let release!: () => void;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode('{"rows":['));
          release = () => {
            controller.enqueue(encoder.encode(`{"ProductID":${i}}]}`));
            controller.close();
          };
        },
      });
      const response = fetch(
        `${fake.url}/v1.0/myorg/groups/${fake.groupId}/datasets/${id}/tables/Product/rows`,
        {
          method: "POST",
          headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
          body,
          duplex: "half",
          dispatcher: agent,
        },
      );
      return { response, release };
    });
    await until(() => fake.requests.filter((r) => r.path.endsWith("/rows")).length === 5);

    const sixth = await postRows(id, [{ ProductID: 5 }]);
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);

    for (const request of held) request.release();
    for (const request of held) expect((await request.response).status).toBe(200);
    expect((await postRows(id, [{ ProductID: 5 }])).status).toBe(200);
    expect(fake.rowsOf(id, "Product")).toHaveLength(6);
  });

  it("answers 429 past the rows allowed per hour per dataset", async () => {
    const { fake, renewToken, pushDataset, postRows } = await session({ rowsPerHour: 5 });
    const id = pushDataset();
    expect((await postRows(id, rowsOfSize(3))).status).toBe(200);
    const over = await postRows(id, rowsOfSize(3));
    expect(over.status).toBe(429);
    const retryAfter = Number(over.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(3500);
    expect((await postRows(id, rowsOfSize(2))).status).toBe(200);
    expect((await postRows(id, rowsOfSize(1))).status).toBe(429);
    moveClock(retryAfter * 1000);
    await renewToken(); // an hour outlives the token
    expect((await postRows(id, rowsOfSize(3))).status).toBe(200);
    expect(fake.rowsOf(id, "Product")).toHaveLength(8);
  });

  it("keeps the newest 200,000 rows of a basicFIFO table and every row of a None table", async () => {
    const { fake, api, postRows } = await session();
    const create = async (policy: string) => {
      const res = await api("POST", `/datasets?defaultRetentionPolicy=${policy}`, {
        name: policy,
        tables: [{ name: "Product", columns: PRODUCT_COLUMNS }],
      });
      return ((await res.json()) as { id: string }).id;
    };
    const fifo = await create("basicFIFO");
    const none = await create("None");
    for (let batch = 0; batch < 21; batch++) {
      for (const id of [fifo, none]) {
        expect((await postRows(id, rowsOfSize(10_000, batch * 10_000))).status).toBe(200);
      }
    }
    const kept = fake.rowsOf(fifo, "Product");
    expect(kept).toHaveLength(200_000);
    expect(kept[0]).toEqual({ ProductID: 10_000 });
    expect(kept.at(-1)).toEqual({ ProductID: 209_999 });
    expect(fake.rowsOf(none, "Product")).toHaveLength(210_000);
  });

  it("empties a table on DELETE rows", async () => {
    const { fake, api, pushDataset, postRows } = await session();
    const id = pushDataset();
    await postRows(id, [PRODUCT, PRODUCT]);
    expect((await api("DELETE", `/datasets/${id}/tables/Nope/rows`)).status).toBe(404);
    expect(fake.rowsOf(id, "Product")).toHaveLength(2);
    const res = await api("DELETE", `/datasets/${id}/tables/Product/rows`);
    expect(res.status).toBe(200);
    expect(fake.rowsOf(id, "Product")).toEqual([]);
  });

  it("answers the next POST rows requests with an injected fault, then normally", async () => {
    const { fake, pushDataset, postRows } = await session();
    const id = pushDataset();
    const body = { error: { code: "ServiceUnavailable", message: "try later" } };
    fake.failNextPosts(2, 503, body, { "retry-after": "7" });
    for (let i = 0; i < 2; i++) {
      const res = await postRows(id, [PRODUCT]);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("7");
      expect(await res.json()).toEqual(body);
    }
    expect(fake.rowsOf(id, "Product")).toEqual([]);
    expect((await postRows(id, [PRODUCT])).status).toBe(200);
    const posts = fake.requests.filter((r) => r.method === "POST" && r.path.endsWith("/rows"));
    expect(posts.map((r) => [r.status, r.rows])).toEqual([
      [503, undefined],
      [503, undefined],
      [200, 1],
    ]);
    expect(posts.every((r, i) => i === 0 || r.at >= posts[i - 1]!.at)).toBe(true);
  });
});

describe("fake Power BI: refresh", () => {
  type History = {
    value: {
      requestId: string;
      id: number;
      refreshType: string;
      status: string;
      endTime?: string;
      serviceExceptionJson?: string;
    }[];
  };

  it("refuses to refresh a push dataset", async () => {
    const { api, pushDataset } = await session();
    const res = await api("POST", `/datasets/${pushDataset()}/refreshes`, {
      notifyOption: "NoNotification",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.code).toBe("InvalidRequest");
  });

  it("takes notifyOption (NoNotification, as a service principal) or enhanced fields, not both", async () => {
    const { fake, api } = await session();
    const id = fake.addDataset({ name: "Finance", mode: "import" });
    const path = `/datasets/${id}/refreshes`;
    const refusals: [string, unknown][] = [
      ["empty body", {}],
      ["both", { notifyOption: "NoNotification", type: "Full" }],
      ["enhanced on shared capacity", { type: "Full", commitMode: "transactional" }],
      ["mail to a service principal", { notifyOption: "MailOnFailure" }],
      ["unknown option", { notifyOption: "Sometimes" }],
    ];
    for (const [label, body] of refusals) {
      const res = await api("POST", path, body);
      expect(res.status, label).toBe(400);
      expect(((await res.json()) as ErrorBody).error.code, label).toBe("InvalidRequest");
    }
    const res = await api("POST", path, { notifyOption: "NoNotification" });
    expect(res.status).toBe(202);
    const requestId = res.headers.get("x-ms-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("location")).toBe(
      `${fake.url}/v1.0/myorg/groups/${fake.groupId}${path}/${requestId}`,
    );
    // the Location answers the refresh's execution details
    const location = new URL(res.headers.get("location")!).pathname;
    const details = await api("GET", location.replace(`/v1.0/myorg/groups/${fake.groupId}`, ""));
    expect(await details.json()).toMatchObject({ status: "Unknown", extendedStatus: "InProgress" });
  });

  it("reports a refresh Unknown, then Completed or Failed, newest first and $top at a time", async () => {
    const { fake, api } = await session();
    const id = fake.addDataset({ name: "Finance", mode: "import" });
    const history = async (query = "") => {
      const res = await api("GET", `/datasets/${id}/refreshes${query}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as History).value;
    };
    const refresh = async () => {
      const res = await api("POST", `/datasets/${id}/refreshes`, {
        notifyOption: "NoNotification",
      });
      expect(res.status).toBe(202);
      return res.headers.get("x-ms-request-id")!;
    };

    const first = await refresh();
    expect(await history()).toEqual([
      expect.objectContaining({ requestId: first, refreshType: "ViaApi", status: "Unknown" }),
    ]);
    // one refresh at a time
    const busy = await api("POST", `/datasets/${id}/refreshes`, { notifyOption: "NoNotification" });
    expect(busy.status).toBe(400);
    const [done] = await history();
    expect(done).toMatchObject({ requestId: first, status: "Completed" });
    expect(done!.endTime).toBeDefined();

    fake.setRefreshOutcome(id, { status: "Failed", message: "credentials expired" }, 2);
    const second = await refresh();
    expect((await history("?$top=1")).map((r) => r.status)).toEqual(["Unknown"]);
    expect((await history("?$top=1")).map((r) => r.status)).toEqual(["Unknown"]);
    const [failed, older] = await history();
    expect(failed).toMatchObject({ requestId: second, status: "Failed" });
    expect(JSON.parse(failed!.serviceExceptionJson!)).toMatchObject({
      errorDescription: "credentials expired",
    });
    expect(older).toMatchObject({ requestId: first, status: "Completed" });
    expect(failed!.id).toBeGreaterThan(older!.id);

    for (const top of ["0", "-1", "two"]) {
      expect((await api("GET", `/datasets/${id}/refreshes?$top=${top}`)).status, top).toBe(400);
    }
    const details = await api("GET", `/datasets/${id}/refreshes/${second}`);
    expect(await details.json()).toMatchObject({ status: "Failed", extendedStatus: "Failed" });
  });

  it("refuses a ninth refresh within 24 hours on shared capacity", async () => {
    const { fake, api, renewToken } = await session();
    const id = fake.addDataset({ name: "Finance", mode: "import" });
    fake.setRefreshOutcome(id, { status: "Completed" }, 0);
    const refresh = () =>
      api("POST", `/datasets/${id}/refreshes`, { notifyOption: "NoNotification" });
    for (let i = 0; i < 8; i++) {
      expect((await refresh()).status).toBe(202);
      await api("GET", `/datasets/${id}/refreshes?$top=1`); // lets it complete
    }
    const ninth = await refresh();
    expect(ninth.status).toBe(400);
    expect(((await ninth.json()) as ErrorBody).error.message).toMatch(/exceeded limit/);
    moveClock(24 * 60 * 60 * 1000);
    await renewToken();
    expect((await refresh()).status).toBe(202);
  });

  it("takes enhanced refreshes and more than eight a day on premium capacity", async () => {
    const { fake, api } = await session({ capacity: "premium" });
    const id = fake.addDataset({ name: "Finance", mode: "import" });
    fake.setRefreshOutcome(id, { status: "Completed" }, 0);
    for (let i = 0; i < 10; i++) {
      const body =
        i % 2 ? { type: "Full", commitMode: "transactional" } : { notifyOption: "NoNotification" };
      expect((await api("POST", `/datasets/${id}/refreshes`, body)).status).toBe(202);
      await api("GET", `/datasets/${id}/refreshes?$top=1`);
    }
    const res = await api("GET", `/datasets/${id}/refreshes`);
    const refreshes = ((await res.json()) as History).value;
    expect(refreshes).toHaveLength(10);
    expect(refreshes[0]!.refreshType).toBe("ViaEnhancedApi");
  });
});
