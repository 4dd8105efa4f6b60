// The report fakes must refuse what the real services refuse (docs/fakes.md, with the sources);
// otherwise a client that passes against them could still fail against the real thing.
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeCsvHost } from "@/test-support/fakes/csv-host";
import { signJwt } from "@/test-support/fakes/jwt";
import { startFakeMetabase } from "@/test-support/fakes/metabase";
import { bigTable, csvLine } from "@/test-support/fakes/report-data";
import { startFakeSalesforce } from "@/test-support/fakes/salesforce";
import { startFakeSuperset } from "@/test-support/fakes/superset";

type Closable = { close(): Promise<void> };
const started: Closable[] = [];

async function track<T extends Closable>(fake: Promise<T>): Promise<T> {
  const ready = await fake;
  started.push(ready);
  return ready;
}

afterAll(async () => {
  await Promise.all(started.map((fake) => fake.close()));
});

// Counts newline-terminated lines without holding the body: the big exports are ~5 MB each.
async function scanLines(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let lines = 0;
  let tail = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (let at = value.indexOf(10); at !== -1; at = value.indexOf(10, at + 1)) lines += 1;
    tail = (tail + decoder.decode(value, { stream: true })).slice(-400);
  }
  const complete = tail.split("\n").slice(0, -1);
  return { lines, lastLine: complete.at(-1) ?? "", endsWithCrlf: tail.endsWith("\r\n") };
}

function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as Record<
    string,
    unknown
  >;
}

const json = (body: unknown) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});
const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});
const regionParameter = (value: string) => ({
  type: "category",
  target: ["variable", ["template-tag", "region"]],
  value,
});

describe("fake Metabase", () => {
  let metabase: Awaited<ReturnType<typeof startFakeMetabase>>;
  const apiKey = { "x-api-key": "mb_test_key" };
  const card = (path: string) => `${metabase.url}/api/card/${path}`;

  beforeAll(async () => {
    metabase = await track(startFakeMetabase());
  });

  it("answers a missing or unknown credential with 401 plain-text Unauthenticated", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { "x-api-key": "wrong" },
      { "x-metabase-session": "nope" },
    ];
    for (const headers of attempts) {
      const res = await fetch(card("1/query/csv"), { method: "POST", headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await res.text()).toBe("Unauthenticated");
    }
  });

  it("logs in with JSON only and issues a session usable as header or cookie", async () => {
    const viaForm = await fetch(
      `${metabase.url}/api/session`,
      form({ username: "analyst@example.com", password: "metabase-pass-1" }),
    );
    expect(viaForm.status).toBe(400);
    expect(await viaForm.json()).toHaveProperty("errors.username");

    const wrong = await fetch(
      `${metabase.url}/api/session`,
      json({ username: "analyst@example.com", password: "nope" }),
    );
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ errors: { password: "did not match stored password" } });

    const ok = await fetch(
      `${metabase.url}/api/session`,
      json({ username: "analyst@example.com", password: "metabase-pass-1" }),
    );
    const { id } = (await ok.json()) as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.headers.getSetCookie()[0]).toBe(
      `metabase.SESSION=${id}; HttpOnly; Path=/; SameSite=Lax`,
    );
    const viaHeader = await fetch(`${metabase.url}/api/user/current`, {
      headers: { "x-metabase-session": id },
    });
    expect(await viaHeader.json()).toMatchObject({ id: 1, email: "analyst@example.com" });
    const viaCookie = await fetch(`${metabase.url}/api/user/current`, {
      headers: { cookie: `metabase.SESSION=${id}` },
    });
    expect(viaCookie.status).toBe(200);
    expect(metabase.logins()).toBe(1);

    metabase.expireSessions();
    const expired = await fetch(`${metabase.url}/api/user/current`, {
      headers: { "x-metabase-session": id },
    });
    expect(expired.status).toBe(401);
  });

  it("exports a card as CRLF CSV, filtered by a JSON parameter", async () => {
    const res = await fetch(card("1/query/csv"), {
      ...json({ parameters: [regionParameter("US, East")], format_rows: false }),
      headers: { "content-type": "application/json", ...apiKey },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv");
    expect(res.headers.get("content-disposition")).toMatch(
      /^attachment; filename="query_result_\d{4}-.+\.csv"$/,
    );
    expect(await res.text()).toBe('region,amount\r\n"US, East",20\r\n');
  });

  it("accepts a form body with parameters as a JSON string and ignores the query string", async () => {
    const ignored = encodeURIComponent(JSON.stringify([regionParameter("US, East")]));
    const res = await fetch(card(`1/query/csv?parameters=${ignored}`), {
      ...form({ parameters: JSON.stringify([regionParameter("EU")]), format_rows: "true" }),
      headers: { "content-type": "application/x-www-form-urlencoded", ...apiKey },
    });
    expect(await res.text()).toBe("region,amount\r\nEU,10\r\n");
    expect(metabase.lastExportBody()).toEqual({
      parameters: [regionParameter("EU")],
      format_rows: true,
    });
  });

  it("rejects wrong verbs, ids, formats and bodies", async () => {
    const post = (path: string, init: RequestInit = {}) =>
      fetch(card(path), {
        method: "POST",
        ...init,
        headers: { ...apiKey, ...(init.headers as Record<string, string>) },
      });
    expect((await fetch(card("1/query/csv"), { headers: apiKey })).status).toBe(404);
    expect((await post("0/query/csv")).status).toBe(400);
    expect((await post("abc/query/csv")).status).toBe(400);
    expect((await post("1/query/pdf")).status).toBe(400);
    const notArray = await post("1/query/csv", json({ parameters: { region: "EU" } }));
    expect(notArray.status).toBe(400);
    expect(await notArray.json()).toHaveProperty("errors.parameters");
    expect((await post("1/query/csv", json({ format_rows: "yes" }))).status).toBe(400);
    const plainText = await post("1/query/csv", {
      headers: { "content-type": "text/plain" },
      body: "parameters=[]",
    });
    expect(plainText.status).toBe(400);
    const unknown = await post("99/query/csv");
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toBe("Not found.");
  });

  it("needs an id on every dashcard parameter", async () => {
    const dashcard = `${metabase.url}/api/dashboard/10/dashcard/20/card/1/query/csv`;
    const send = (parameters: unknown[]) =>
      fetch(dashcard, {
        ...json({ parameters }),
        headers: { "content-type": "application/json", ...apiKey },
      });
    expect((await send([{ value: "EU" }])).status).toBe(400);
    const ok = await send([{ id: "region_param", value: ["EU"] }]);
    expect(await ok.text()).toBe("region,amount\r\nEU,10\r\n");
  });

  it("reports card 3's failure as a 200 with a JSON error body", async () => {
    const res = await fetch(card("3/query/csv"), { method: "POST", headers: apiKey });
    expect(res.status).toBe(200);
    const body = JSON.parse(await res.text()) as Record<string, unknown>;
    expect(body.error).toEqual(expect.any(String));
    expect(body.message).toEqual(expect.any(String));
  });

  it("types streamed errors like Metabase's query processor, with a trace when asked", async () => {
    const body = async (id: number) =>
      JSON.parse(
        await (await fetch(card(`${id}/query/csv`), { method: "POST", headers: apiKey })).text(),
      ) as Record<string, unknown>;
    expect(await body(3)).toMatchObject({ status: "failed", error_type: "invalid-query" });
    expect(await body(4)).toMatchObject({ status: "failed", error_type: "db" });
    const long = await fetch(card("5/query/csv"), { method: "POST", headers: apiKey });
    const text = await long.text();
    expect(text.length).toBeGreaterThan(64 * 1024);
    expect(JSON.parse(text)).toHaveProperty("stacktrace");
  });

  it("streams card 6's 3,000,000 rows, 60 MB, without building them", async () => {
    const scan = await scanLines(
      await fetch(card("6/query/csv"), { method: "POST", headers: apiKey }),
    );
    expect(scan.lines).toBe(3_000_001);
    expect(scan.lastLine).toBe("0049999,EU,1234.50\r");
  });

  it("streams card 2's 100,000 rows", async () => {
    const before = metabase.exports();
    const res = await fetch(card("2/query/csv"), { method: "POST", headers: apiKey });
    const scan = await scanLines(res);
    expect(scan.lines).toBe(100_001);
    expect(scan.endsWithCrlf).toBe(true);
    expect(`${scan.lastLine}\n`).toBe(csvLine(bigTable(100_000).row(99_999), "\r\n"));
    expect(metabase.exports()).toBe(before + 1);
  });
});

describe("fake Superset", () => {
  let superset: Awaited<ReturnType<typeof startFakeSuperset>>;
  const credentials = { username: "svc", password: "superset-pass-1", provider: "db" };
  const login = async (base: string) => {
    const res = await fetch(
      `${base}/api/v1/security/login`,
      json({ ...credentials, refresh: true }),
    );
    return (await res.json()) as { access_token: string; refresh_token: string };
  };
  const chartData = (access: string, body: unknown, extra: Record<string, string> = {}) =>
    fetch(`${superset.url}/api/v1/chart/data`, {
      method: "POST",
      headers: { authorization: `Bearer ${access}`, "content-type": "application/json", ...extra },
      body: JSON.stringify(body),
    });
  const csvContext = (rowLimit?: number) => ({
    datasource: { id: 7, type: "table" },
    queries: [{ columns: ["id"], metrics: [], row_limit: rowLimit }],
    result_format: "csv",
    result_type: "full",
  });

  beforeAll(async () => {
    superset = await track(startFakeSuperset());
  });

  it("validates the login request and issues typed JWTs", async () => {
    const loginUrl = `${superset.url}/api/v1/security/login`;
    const notJson = await fetch(loginUrl, form(credentials));
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ message: "Request payload is not JSON" });
    expect((await fetch(loginUrl, json({ ...credentials, provider: "oauth" }))).status).toBe(400);
    const wrong = await fetch(loginUrl, json({ ...credentials, password: "x" }));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ message: "Not authorized" });

    const tokens = await login(superset.url);
    const access = jwtClaims(tokens.access_token);
    expect(access.type).toBe("access");
    expect(Number(access.exp) - Number(access.iat)).toBe(15 * 60);
    expect(jwtClaims(tokens.refresh_token).type).toBe("refresh");
  });

  it("tells a missing, wrong-type and expired token apart", async () => {
    const me = (token?: string) =>
      fetch(`${superset.url}/api/v1/me/`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    const missing = await me();
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ message: "Not authorized" });

    const tokens = await login(superset.url);
    expect(await (await me(tokens.access_token)).json()).toMatchObject({
      result: { username: "svc" },
    });
    const refreshAsAccess = await me(tokens.refresh_token);
    expect(refreshAsAccess.status).toBe(422);
    const accessAsRefresh = await fetch(`${superset.url}/api/v1/security/refresh`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(accessAsRefresh.status).toBe(422);

    superset.expireAccessTokens();
    const expired = await me(tokens.access_token);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ msg: "Token has expired" });

    const refreshed = await fetch(`${superset.url}/api/v1/security/refresh`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.refresh_token}` },
    });
    const { access_token } = (await refreshed.json()) as { access_token: string };
    expect((await me(access_token)).status).toBe(200);
    expect(superset.refreshes()).toBe(1);
  });

  it("rejects malformed chart data requests", async () => {
    const { access_token } = await login(superset.url);
    const text = await fetch(`${superset.url}/api/v1/chart/data`, {
      method: "POST",
      headers: { authorization: `Bearer ${access_token}`, "content-type": "text/plain" },
      body: "{}",
    });
    expect(await text.json()).toEqual({ message: "Request is not JSON" });
    const noQueries = await chartData(access_token, { datasource: { id: 7, type: "table" } });
    expect(noQueries.status).toBe(400);
    expect(((await noQueries.json()) as { message: string }).message).toContain("queries");
    const badFormat = await chartData(access_token, { ...csvContext(10), result_format: "pdf" });
    expect(badFormat.status).toBe(400);
    const unknown = await chartData(access_token, {
      ...csvContext(10),
      datasource: { id: 8, type: "table" },
    });
    expect(unknown.status).toBe(404);
  });

  it("exports CSV sized by row_limit, from JSON or a form_data field", async () => {
    const { access_token } = await login(superset.url);
    const res = await chartData(access_token, csvContext(100));
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename=.+\.csv$/);
    const body = await res.text();
    expect(body.split("\n")).toHaveLength(102);
    expect(body).not.toContain("\r");

    const viaForm = await fetch(`${superset.url}/api/v1/chart/data`, {
      ...form({ form_data: JSON.stringify(csvContext(5)) }),
      headers: {
        authorization: `Bearer ${access_token}`,
        "content-type": "application/x-www-form-urlencoded",
      },
    });
    expect((await scanLines(viaForm)).lines).toBe(6);

    const defaultLimit = await scanLines(await chartData(access_token, csvContext()));
    expect(defaultLimit.lines).toBe(50_001);
    expect(`${defaultLimit.lastLine}\n`).toBe(csvLine(bigTable(50_000).row(49_999), "\n"));
  });

  it("serves a saved chart's query context and refuses charts without one", async () => {
    const { access_token } = await login(superset.url);
    const get = (path: string) =>
      fetch(`${superset.url}/api/v1/chart/${path}`, {
        headers: { authorization: `Bearer ${access_token}` },
        redirect: "manual",
      });
    expect((await scanLines(await get("5/data/?format=csv&type=full"))).lines).toBe(1001);
    const noContext = await get("6/data/?format=csv");
    expect(noContext.status).toBe(400);
    expect(await noContext.json()).toEqual({
      message: "Chart has no query context saved. Please save the chart again.",
    });
    expect((await get("abc/data/")).status).toBe(404);
    expect((await get("5/data?format=csv")).status).toBe(308);
  });

  it("demands X-CSRFToken plus the session cookie when CSRF is on", async () => {
    const strict = await track(startFakeSuperset({ csrfOnChartData: true }));
    const { access_token } = await login(strict.url);
    const auth = { authorization: `Bearer ${access_token}` };
    const post = (headers: Record<string, string>) =>
      fetch(`${strict.url}/api/v1/chart/data`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json", ...headers },
        body: JSON.stringify(csvContext(3)),
      });
    const bare = await post({});
    expect(bare.status).toBe(400);
    expect(await bare.json()).toMatchObject({
      errors: [{ message: "400 Bad Request: The CSRF token is missing." }],
    });

    const csrf = await fetch(`${strict.url}/api/v1/security/csrf_token/`, { headers: auth });
    const { result } = (await csrf.json()) as { result: string };
    const cookie = csrf.headers.getSetCookie()[0]!.split(";")[0]!;
    expect(cookie).toMatch(/^session=/);
    expect((await post({ "x-csrftoken": result })).status).toBe(400);
    expect((await post({ "x-csrftoken": "forged", cookie })).status).toBe(400);
    const ok = await post({ "x-csrftoken": result, cookie });
    expect((await scanLines(ok)).lines).toBe(4);
  });

  it("refuses a CSRF token past its time limit the way Flask-WTF words it", async () => {
    const strict = await track(startFakeSuperset({ csrfOnChartData: true }));
    const { access_token } = await login(strict.url);
    const auth = { authorization: `Bearer ${access_token}` };
    const csrf = await fetch(`${strict.url}/api/v1/security/csrf_token/`, { headers: auth });
    const { result } = (await csrf.json()) as { result: string };
    const cookie = csrf.headers.getSetCookie()[0]!.split(";")[0]!;
    const post = () =>
      fetch(`${strict.url}/api/v1/chart/data`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json", "x-csrftoken": result, cookie },
        body: JSON.stringify(csvContext(3)),
      });
    expect((await post()).status).toBe(200);
    strict.expireCsrfTokens();
    const expired = await post();
    expect(expired.status).toBe(400);
    expect(await expired.json()).toEqual({
      errors: [
        {
          message: "400 Bad Request: The CSRF token has expired.",
          error_type: "GENERIC_BACKEND_ERROR",
          level: "error",
          extra: {},
        },
      ],
    });
    expect(strict.csrfTokensIssued()).toBe(1);
  });

  it("answers /api/v1/me/ as an unknown URL on a release without it", async () => {
    const old = await track(startFakeSuperset({ hasMeEndpoint: false }));
    const { access_token } = await login(old.url);
    const res = await fetch(`${old.url}/api/v1/me/`, {
      headers: { authorization: `Bearer ${access_token}`, accept: "application/json" },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      errors: [{ message: expect.stringMatching(/^404 Not Found: The requested URL/) }],
    });
  });

  it("answers 429 beyond the configured rate", async () => {
    const limited = await track(startFakeSuperset({ rateLimitPerSecond: 2 }));
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await fetch(`${limited.url}/api/v1/me/`)).status);
    expect(statuses).toEqual([401, 401, 429]);
  });
});

describe("fake Salesforce", () => {
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const strangerKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const app = {
    consumerKey: "3MVG9-fake-consumer",
    username: "jwt-user@datahaul.example",
    publicKeyPem: keys.publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
  let salesforce: Awaited<ReturnType<typeof startFakeSalesforce>>;
  const token = (fields: Record<string, string>) =>
    fetch(`${salesforce.url}/services/oauth2/token`, form(fields));
  const rest = (path: string, accessToken: string, init: RequestInit = {}) =>
    fetch(`${salesforce.url}/services/data/${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${accessToken}`,
        ...(init.headers as Record<string, string>),
      },
    });
  const assertion = (claims: Record<string, unknown>, privateKey = keys.privateKey) =>
    signJwt(
      {
        iss: app.consumerKey,
        sub: app.username,
        aud: "https://login.salesforce.com",
        exp: Math.floor(Date.now() / 1000) + 120,
        ...claims,
      },
      { alg: "RS256", privateKey },
    );
  const clientCredentials = {
    grant_type: "client_credentials",
    client_id: "sf-client-id",
    client_secret: "sf-client-secret",
  };
  const accessToken = async () =>
    ((await (await token(clientCredentials)).json()) as { access_token: string }).access_token;

  beforeAll(async () => {
    salesforce = await track(startFakeSalesforce({ jwt: app }));
  });

  it("grants client credentials without expires_in and refuses bad clients", async () => {
    const viaJson = await fetch(`${salesforce.url}/services/oauth2/token`, json(clientCredentials));
    expect(await viaJson.json()).toMatchObject({ error: "unsupported_grant_type" });
    const badClient = await token({ ...clientCredentials, client_id: "other" });
    expect(await badClient.json()).toMatchObject({ error: "invalid_client_id" });
    const badSecret = await token({ ...clientCredentials, client_secret: "other" });
    expect(badSecret.status).toBe(400);
    expect(await badSecret.json()).toMatchObject({ error: "invalid_grant" });

    const granted = (await (await token(clientCredentials)).json()) as Record<string, unknown>;
    expect(granted.instance_url).toBe(salesforce.url);
    expect(granted.token_type).toBe("Bearer");
    expect(granted).not.toHaveProperty("expires_in");
  });

  it("verifies JWT bearer assertions: signature, audience, expiry, subject", async () => {
    const grant = (jwt: string) =>
      token({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: jwt });
    expect((await grant(assertion({}))).status).toBe(200);
    expect((await grant(assertion({ aud: salesforce.url }))).status).toBe(200);
    for (const refused of [
      assertion({}, strangerKeys.privateKey),
      assertion({ aud: "https://evil.example" }),
      assertion({ exp: Math.floor(Date.now() / 1000) - 600 }),
      assertion({ sub: "someone@else.example" }),
    ]) {
      const res = await grant(refused);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_grant" });
    }
    expect(await (await grant(assertion({ iss: "unknown" }))).json()).toMatchObject({
      error: "invalid_client_id",
    });
  });

  it("caps report rows at 2,000 with allData false and reports API usage", async () => {
    const access = await accessToken();
    const restBefore = salesforce.restCalls();
    const big = await rest(
      "v62.0/analytics/reports/00O000000000001AAA?includeDetails=true",
      access,
    );
    expect(big.headers.get("sforce-limit-info")).toMatch(/^api-usage=\d+\/15000$/);
    const result = (await big.json()) as {
      allData: boolean;
      factMap: Record<string, { rows: { dataCells: { label: string }[] }[] }>;
      reportMetadata: { detailColumns: string[] };
      reportExtendedMetadata: { detailColumnInfo: Record<string, { label: string }> };
    };
    expect(result.allData).toBe(false);
    expect(result.factMap["T!T"]!.rows).toHaveLength(2000);
    const firstColumn = result.reportMetadata.detailColumns[0]!;
    expect(result.reportExtendedMetadata.detailColumnInfo[firstColumn]!.label).toBe("id");

    const small = (await (
      await rest("v62.0/analytics/reports/00O000000000002?includeDetails=true", access)
    ).json()) as typeof result;
    expect(small.allData).toBe(true);
    expect(small.factMap["T!T"]!.rows[1]!.dataCells[0]!.label).toBe("US, East");
    expect(salesforce.restCalls()).toBe(restBefore + 2);

    const me = await rest("v62.0/chatter/users/me", access);
    expect(await me.json()).toMatchObject({ name: "Integration User" });
  });

  it("rejects bad versions, ids, bodies and expired sessions the Salesforce way", async () => {
    const access = await accessToken();
    expect((await rest("v62/analytics/reports/00O000000000002AAA", access)).status).toBe(404);
    const badId = await rest("v62.0/analytics/reports/abc", access);
    expect(badId.status).toBe(404);
    expect(await badId.json()).toMatchObject([{ errorCode: "NOT_FOUND" }]);
    const textBody = await rest("v62.0/analytics/reports/00O000000000002AAA", access, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    expect(textBody.status).toBe(400);

    salesforce.expireSessions();
    const expired = await rest("v62.0/chatter/users/me", access);
    expect(expired.status).toBe(401);
    expect(expired.headers.get("sforce-limit-info")).toMatch(/^api-usage=/);
    expect(await expired.json()).toEqual([
      { message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" },
    ]);
  });

  it("serves the classic CSV export to a valid sid only, footer included", async () => {
    const exportUrl = `${salesforce.url}/00O000000000001AAA?export=1&enc=UTF-8&xf=csv`;
    const anonymous = await fetch(exportUrl);
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get("content-type")).toMatch(/^text\/html/);

    const res = await fetch(exportUrl, { headers: { cookie: `sid=${salesforce.issueSession()}` } });
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const [data, footer] = (await res.text()).split("\r\n\r\n");
    const dataLines = data!.split("\r\n");
    expect(dataLines[0]).toBe('"id","name","amount","created_at"');
    expect(dataLines).toHaveLength(2501);
    expect(footer).toContain("Copyright (c) 2000-");
    expect(footer).toContain("Confidential Information - Do Not Distribute");
    expect(footer).toContain("Generated By: Report Viewer");
  });

  it("labels report cells for people in the Reports API and writes them plain in the export", async () => {
    const access = await accessToken();
    const result = (await (
      await rest("v62.0/analytics/reports/00O000000000003AAA?includeDetails=true", access)
    ).json()) as {
      factMap: Record<string, { rows: { dataCells: { label: string; value: unknown }[] }[] }>;
      reportExtendedMetadata: { detailColumnInfo: Record<string, { dataType: string }> };
    };
    const types = Object.values(result.reportExtendedMetadata.detailColumnInfo).map(
      (c) => c.dataType,
    );
    expect(types).toEqual(["string", "currency", "percent", "int", "date", "datetime"]);
    const [first, second] = result.factMap["T!T"]!.rows;
    expect(first!.dataCells[1]).toEqual({ label: "-", value: null });
    expect(second!.dataCells.slice(1, 5)).toEqual([
      { label: "USD 79.69", value: { amount: 79.69, currency: "USD" } },
      { label: "12.5%", value: 12.5 },
      { label: "13", value: 13 },
      { label: "1/16/2024", value: "2024-01-16" },
    ]);
    const exported = await fetch(`${salesforce.url}/00O000000000003AAA?export=1&enc=UTF-8&xf=csv`, {
      headers: { cookie: `sid=${salesforce.issueSession()}` },
    });
    expect((await exported.text()).split("\r\n").slice(0, 3)).toEqual([
      '"Opportunity Name","Amount","Probability (%)","Quantity","Close Date","Created"',
      '"Deal 0, Prospecting","","0","","1/15/2024","1/15/2024 12:00 AM"',
      '"Deal 1, Qualification","79.69","12.5","13","1/16/2024","1/15/2024 1:01 AM"',
    ]);
  });

  it("answers without Chatter, refuses exports when told, and lists a version's resources", async () => {
    const quiet = await track(startFakeSalesforce({ chatterEnabled: false, exportRefused: true }));
    const granted = await fetch(`${quiet.url}/services/oauth2/token`, form(clientCredentials));
    const { access_token } = (await granted.json()) as { access_token: string };
    const auth = { headers: { authorization: `Bearer ${access_token}` } };
    const me = await fetch(`${quiet.url}/services/data/v62.0/chatter/users/me`, auth);
    expect(me.status).toBe(403);
    expect(await me.json()).toMatchObject([{ errorCode: "FUNCTIONALITY_NOT_ENABLED" }]);
    const resources = await fetch(`${quiet.url}/services/data/v62.0/`, auth);
    expect(await resources.json()).toHaveProperty("analytics");
    expect((await fetch(`${quiet.url}/services/data/v62.0/`)).status).toBe(401);
    const exported = await fetch(`${quiet.url}/00O000000000002AAA?export=1&xf=csv`, {
      headers: { cookie: `sid=${quiet.issueSession()}` },
    });
    expect(exported.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("enforces the hourly sync-run limit and the idle timeout", async () => {
    const limited = await track(startFakeSalesforce({ syncRunsPerHour: 1, idleTimeoutMs: 200 }));
    const granted = await fetch(`${limited.url}/services/oauth2/token`, form(clientCredentials));
    const { access_token } = (await granted.json()) as { access_token: string };
    const run = () =>
      fetch(`${limited.url}/services/data/v62.0/analytics/reports/00O000000000002AAA`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
    expect((await run()).status).toBe(200);
    const second = await run();
    expect(second.status).toBe(403);
    expect(await second.json()).toMatchObject([{ errorCode: "REQUEST_LIMIT_EXCEEDED" }]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await run()).status).toBe(401);
  });
});

describe("fake CSV host", () => {
  let host: Awaited<ReturnType<typeof startFakeCsvHost>>;
  const get = (path: string, init?: RequestInit) => fetch(`${host.url}${path}`, init);

  beforeAll(async () => {
    host = await track(
      startFakeCsvHost({
        basicAuth: { user: "reports", password: "csv-pass-1" },
        bearerToken: "t0k",
      }),
    );
  });

  it("serves RFC 4180 CSV with an ETag that revalidates", async () => {
    const res = await get("/exports/sales.csv");
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(await res.text()).toBe(
      'region,amount\r\nEU,10\r\n"US, East",20\r\n"APAC ""North""",30.5\r\n',
    );
    const etag = res.headers.get("etag")!;
    expect((await get("/exports/sales.csv", { headers: { "if-none-match": etag } })).status).toBe(
      304,
    );
  });

  it("has the failure cases a CSV client must survive", async () => {
    const bom = new Uint8Array(await (await get("/exports/bom.csv")).arrayBuffer());
    expect([...bom.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bom)).not.toContain("\r");

    const login = await get("/exports/login.csv");
    expect(login.status).toBe(200);
    expect(await login.text()).toMatch(/^<!DOCTYPE html>/);
    expect((await get("/exports/missing.csv")).status).toBe(404);
    const moved = await get("/exports/redirect.csv", { redirect: "manual" });
    expect(moved.status).toBe(302);
    expect(moved.headers.get("location")).toBe("/exports/sales.csv");

    const first = await get("/exports/flaky.csv");
    expect(first.status).toBe(503);
    expect(first.headers.get("retry-after")).toBe("1");
    expect((await get("/exports/flaky.csv")).status).toBe(200);
    expect(host.hits("/exports/flaky.csv")).toBe(2);

    expect(await (await get("/exports/data.json")).json()).toContainEqual({
      region: "US, East",
      amount: 20,
    });
  });

  it("guards protected.csv with basic auth or a bearer token", async () => {
    const anonymous = await get("/exports/protected.csv");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic /);
    const basic = (user: string, password: string) => ({
      headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` },
    });
    expect((await get("/exports/protected.csv", basic("reports", "wrong"))).status).toBe(401);
    expect((await get("/exports/protected.csv", basic("reports", "csv-pass-1"))).status).toBe(200);
    const bearer = { headers: { authorization: "Bearer t0k" } };
    expect((await get("/exports/protected.csv", bearer)).status).toBe(200);
  });

  it("sends compressed bodies, other character sets and a long JSON error with status 200", async () => {
    const sales = 'region,amount\r\nEU,10\r\n"US, East",20\r\n"APAC ""North""",30.5\r\n';
    const raw = async (path: string) => {
      // node's fetch would decode the body itself: read the bytes as they came
      const res = await fetch(`${host.url}${path}`, { headers: { "accept-encoding": "identity" } });
      return { res, bytes: Buffer.from(await res.arrayBuffer()) };
    };
    const gzip = await get("/exports/gzip.csv");
    expect(gzip.headers.get("content-encoding")).toBe("gzip");
    expect(await gzip.text()).toBe(sales);
    expect((await get("/exports/br.csv")).headers.get("content-encoding")).toBe("br");
    const latin = await raw("/exports/windows-1252.csv?charset=iso-8859-1");
    expect(latin.res.headers.get("content-type")).toBe("text/csv; charset=iso-8859-1");
    // € “q” – Š as Windows-1252 bytes, the range where it differs from Latin-1
    expect([...latin.bytes.subarray(12, 21)]).toEqual([
      0x80, 0x20, 0x93, 0x71, 0x94, 0x20, 0x96, 0x20, 0x8a,
    ]);
    const utf16 = await raw("/exports/utf16.csv");
    expect([...utf16.bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    const error = await get("/exports/json-error.csv");
    expect(error.status).toBe(200);
    const text = await error.text();
    expect(text.length).toBeGreaterThan(64 * 1024);
    expect(JSON.parse(text)).toMatchObject({ error: expect.any(String) });
  });

  it("streams big.csv's 100,000 rows", async () => {
    const scan = await scanLines(await get("/exports/big.csv"));
    expect(scan.lines).toBe(100_001);
    expect(`${scan.lastLine}\n`).toBe(csvLine(bigTable(100_000).row(99_999), "\r\n"));
  });
});
