// The fake Google holds to what it stands for: the token endpoint and the Sheets API refuse what
// the real ones refuse, with Google's bodies, and google-auth-library gets a token from it.
import { generateKeyPairSync } from "node:crypto";
import { gaxios, JWT } from "google-auth-library";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { signJwt, type JwtClaims } from "../../test-support/fakes/jwt";
import {
  FAKE_GOOGLE_DEFAULTS,
  GOOGLE_TOKEN_AUDIENCE,
  SHEETS_SCOPE,
  startFakeGoogle,
  type FakeGoogle,
  type FakeGoogleOptions,
} from "./google-sheets";

type Key = Record<string, string>;
type GoogleError = {
  error: { code: number; message: string; status: string; details?: unknown[]; errors?: unknown[] };
};

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

let google: FakeGoogle;
let token: string;

function claimsFor(key: Key, overrides: JwtClaims = {}): JwtClaims {
  const iat = Math.floor(Date.now() / 1000);
  return {
    iss: key.client_email,
    scope: SHEETS_SCOPE,
    aud: GOOGLE_TOKEN_AUDIENCE,
    iat,
    exp: iat + 3600,
    ...overrides,
  };
}

function assertionFor(key: Key, overrides: JwtClaims = {}, privateKey = key.private_key!) {
  return signJwt(claimsFor(key, overrides), { alg: "RS256", privateKey });
}

function postToken(fake: FakeGoogle, form: Record<string, string>, contentType?: string) {
  const json = contentType === "application/json";
  return fetch(`${fake.url}/token`, {
    method: "POST",
    headers: { "content-type": contentType ?? "application/x-www-form-urlencoded" },
    body: json ? JSON.stringify(form) : new URLSearchParams(form).toString(),
  });
}

async function tokenFrom(fake: FakeGoogle, key: Key, overrides: JwtClaims = {}) {
  const res = await postToken(fake, {
    grant_type: JWT_BEARER,
    assertion: assertionFor(key, overrides),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

type CallOptions = { token?: string | null; body?: unknown; contentType?: string };

function call(fake: FakeGoogle, method: string, path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = {};
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] = options.contentType ?? "application/json";
  }
  return fetch(`${fake.url}${path}`, { method, headers, body });
}

const api = (method: string, path: string, options?: CallOptions) =>
  call(google, method, path, options);

// Fully encoded, as Google's client libraries put a range in the path.
const enc = (range: string) =>
  encodeURIComponent(range).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

async function expectGoogleError(
  res: Response,
  status: number,
  canonical: string,
  message?: RegExp | string,
) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as GoogleError;
  expect(body.error.code).toBe(status);
  expect(body.error.status).toBe(canonical);
  if (typeof message === "string") expect(body.error.message).toBe(message);
  else if (message) expect(body.error.message).toMatch(message);
  return body;
}

beforeAll(async () => {
  google = await startFakeGoogle({ writesPerMinute: 1000 });
  token = await tokenFrom(google, google.serviceAccountKey);
});
afterAll(() => google.close());
afterEach(() => {
  vi.useRealTimers();
});

describe("fake Google token endpoint", () => {
  it("hands out a real-looking key and a Bearer token for a well-formed JWT", async () => {
    const key = google.serviceAccountKey;
    expect(key.type).toBe("service_account");
    expect(key.token_uri).toBe(`${google.url}/token`);
    expect(key.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(key.client_email).toMatch(/@.+\.iam\.gserviceaccount\.com$/);
    expect(google.otherServiceAccountKey.client_email).not.toBe(key.client_email);

    const res = await postToken(google, {
      grant_type: JWT_BEARER,
      assertion: assertionFor(key),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["access_token", "expires_in", "token_type"]);
    expect(body.access_token).toMatch(/^ya29\./);
    expect(body.expires_in).toBe(FAKE_GOOGLE_DEFAULTS.tokenLifetimeSeconds);
    expect(body.token_type).toBe("Bearer");
    const logged = google.requests.filter((r) => r.path === "/token").at(-1)!;
    expect(logged).toMatchObject({ method: "POST", status: 200, account: key.client_email });
    expect(logged.bytes).toBeGreaterThan(500);
  });

  it("reads form bodies only and the JWT bearer grant only", async () => {
    const assertion = assertionFor(google.serviceAccountKey);
    const asJson = await postToken(
      google,
      { grant_type: JWT_BEARER, assertion },
      "application/json",
    );
    expect(asJson.status).toBe(400);
    expect(await asJson.json()).toEqual({
      error: "unsupported_grant_type",
      error_description: "Invalid grant_type: ",
    });
    const wrongGrant = await postToken(google, { grant_type: "client_credentials", assertion });
    expect(wrongGrant.status).toBe(400);
    expect(((await wrongGrant.json()) as { error: string }).error).toBe("unsupported_grant_type");
    const noAssertion = await postToken(google, { grant_type: JWT_BEARER });
    expect(noAssertion.status).toBe(400);
    expect(((await noAssertion.json()) as { error: string }).error).toBe("invalid_request");
    expect((await fetch(`${google.url}/token`)).status).toBe(405);
  });

  it("answers an unknown service account 401 invalid_client", async () => {
    const stranger = {
      ...google.serviceAccountKey,
      client_email: "nobody@elsewhere.iam.gserviceaccount.com",
    };
    const res = await postToken(google, {
      grant_type: JWT_BEARER,
      assertion: assertionFor(stranger),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_client");
  });

  it("checks the signature against the account's own public key", async () => {
    const key = google.serviceAccountKey;
    const signature = { error: "invalid_grant", error_description: "Invalid JWT Signature." };
    // signed by the other account's key, and by a key the fake never saw
    const foreign = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    for (const assertion of [
      assertionFor(key, {}, google.otherServiceAccountKey.private_key),
      signJwt(claimsFor(key), { alg: "RS256", privateKey: foreign }),
      signJwt(claimsFor(key), { alg: "HS256", secret: key.private_key! }),
      `${assertionFor(key).split(".").slice(0, 2).join(".")}.`,
      "not-a-jwt",
    ]) {
      const res = await postToken(google, { grant_type: JWT_BEARER, assertion });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(signature);
    }
  });

  it("wants Google's token URL as the audience, not the fake's", async () => {
    for (const aud of [`${google.url}/token`, [GOOGLE_TOKEN_AUDIENCE], undefined]) {
      const res = await postToken(google, {
        grant_type: JWT_BEARER,
        assertion: assertionFor(google.serviceAccountKey, { aud }),
      });
      expect(res.status, JSON.stringify(aud)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe("invalid_grant");
    }
  });

  it("refuses assertions that are not short-lived or not current", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expected = {
      error: "invalid_grant",
      error_description:
        "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
    };
    for (const claims of [
      { iat: now, exp: now + 3601 },
      { iat: now + 600, exp: now + 1200 },
      { iat: now - 7200, exp: now - 3600 },
      { iat: now, exp: now },
      { iat: undefined },
      { exp: undefined },
      { iat: String(now) },
    ]) {
      const res = await postToken(google, {
        grant_type: JWT_BEARER,
        assertion: assertionFor(google.serviceAccountKey, claims),
      });
      expect(res.status, JSON.stringify(claims)).toBe(400);
      expect(await res.json()).toEqual(expected);
    }
    // within the allowed clock skew
    await tokenFrom(google, google.serviceAccountKey, { iat: now + 60, exp: now + 3660 });
  });

  it("needs a scope, and no domain-wide delegation", async () => {
    for (const scope of [undefined, "", "spreadsheets"]) {
      const res = await postToken(google, {
        grant_type: JWT_BEARER,
        assertion: assertionFor(google.serviceAccountKey, { scope }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe("invalid_scope");
    }
    const delegated = await postToken(google, {
      grant_type: JWT_BEARER,
      assertion: assertionFor(google.serviceAccountKey, { sub: "someone@datahaul.example" }),
    });
    expect(delegated.status).toBe(401);
    expect(((await delegated.json()) as { error: string }).error).toBe("unauthorized_client");
  });

  it("issues tokens for the configured lifetime and they stop working after it", async () => {
    const fake = await startFakeGoogle({ tokenLifetimeSeconds: 120 });
    try {
      const res = await postToken(fake, {
        grant_type: JWT_BEARER,
        assertion: assertionFor(fake.serviceAccountKey),
      });
      const { access_token, expires_in } = (await res.json()) as {
        access_token: string;
        expires_in: number;
      };
      expect(expires_in).toBe(120);
      const id = fake.addSpreadsheet({ title: "Lifetime" });
      const get = () => call(fake, "GET", `/v4/spreadsheets/${id}`, { token: access_token });
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
      vi.setSystemTime(Date.now() + 119_000);
      expect((await get()).status).toBe(200);
      vi.setSystemTime(Date.now() + 2_000);
      const expired = await expectGoogleError(await get(), 401, "UNAUTHENTICATED");
      expect(JSON.stringify(expired.error.details)).toContain("ACCESS_TOKEN_EXPIRED");
    } finally {
      await fake.close();
    }
  });

  it("gives google-auth-library's JWT client a token it can use", async () => {
    const key = google.serviceAccountKey;
    const seen: string[] = [];
    // The library posts to Google's hard-coded token URL; send that one request to the fake.
    const fetchImplementation = (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      const target =
        input instanceof URL ? input.href : typeof input === "string" ? input : input.url;
      seen.push(target);
      if (target !== GOOGLE_TOKEN_AUDIENCE) throw new Error(`unexpected request to ${target}`);
      return fetch(key.token_uri!, init);
    };
    const client = new JWT({
      email: key.client_email,
      key: key.private_key,
      scopes: [SHEETS_SCOPE],
      transporter: new gaxios.Gaxios({ fetchImplementation }),
    });
    const before = google.requests.length;
    const { token: issued } = await client.getAccessToken();
    expect(seen).toEqual([GOOGLE_TOKEN_AUDIENCE]);
    expect(issued).toMatch(/^ya29\./);
    const logged = google.requests.slice(before);
    expect(logged).toMatchObject([
      { method: "POST", path: "/token", status: 200, account: key.client_email },
    ]);
    const id = google.addSpreadsheet({ title: "Via library" });
    expect((await api("GET", `/v4/spreadsheets/${id}`, { token: issued! })).status).toBe(200);
  });
});

describe("fake Sheets API: who may call", () => {
  it("answers a missing, unknown or expired token 401 UNAUTHENTICATED", async () => {
    const id = google.addSpreadsheet({ title: "Auth" });
    const path = `/v4/spreadsheets/${id}/values/Sheet1`;
    const missing = await expectGoogleError(
      await api("GET", path, { token: null }),
      401,
      "UNAUTHENTICATED",
      /^Request is missing required authentication credential/,
    );
    expect(JSON.stringify(missing.error.details)).toContain("CREDENTIALS_MISSING");
    const basic = await fetch(`${google.url}${path}`, {
      headers: { authorization: `Basic ${token}` },
    });
    await expectGoogleError(basic, 401, "UNAUTHENTICATED");
    const unknown = await api("GET", path, { token: "ya29.made-up" });
    expect(unknown.headers.get("www-authenticate")).toMatch(/^Bearer /);
    await expectGoogleError(
      unknown,
      401,
      "UNAUTHENTICATED",
      /^Request had invalid authentication credentials/,
    );

    const own = await startFakeGoogle();
    try {
      const ownToken = await tokenFrom(own, own.serviceAccountKey);
      const ownId = own.addSpreadsheet({ title: "Expiring" });
      const get = () => call(own, "GET", `/v4/spreadsheets/${ownId}`, { token: ownToken });
      expect((await get()).status).toBe(200);
      own.expireTokens();
      await expectGoogleError(await get(), 401, "UNAUTHENTICATED");
      // a new JWT gets a new token that works
      const fresh = await tokenFrom(own, own.serviceAccountKey);
      expect((await call(own, "GET", `/v4/spreadsheets/${ownId}`, { token: fresh })).status).toBe(
        200,
      );
      // a token from another fake means nothing here
      expect((await call(own, "GET", `/v4/spreadsheets/${ownId}`)).status).toBe(401);
    } finally {
      await own.close();
    }
  });

  it("answers a token without a Sheets scope 403, and a read-only one 403 on writes", async () => {
    const id = google.addSpreadsheet({ title: "Scopes" });
    const bigquery = await tokenFrom(google, google.serviceAccountKey, {
      scope: "https://www.googleapis.com/auth/bigquery",
    });
    const scopeError = await expectGoogleError(
      await api("GET", `/v4/spreadsheets/${id}`, { token: bigquery }),
      403,
      "PERMISSION_DENIED",
      "Request had insufficient authentication scopes.",
    );
    expect(JSON.stringify(scopeError.error.details)).toContain("ACCESS_TOKEN_SCOPE_INSUFFICIENT");
    const readOnly = await tokenFrom(google, google.serviceAccountKey, {
      scope: "https://www.googleapis.com/auth/spreadsheets.readonly",
    });
    expect((await api("GET", `/v4/spreadsheets/${id}/values/A1`, { token: readOnly })).status).toBe(
      200,
    );
    await expectGoogleError(
      await api("PUT", `/v4/spreadsheets/${id}/values/A1?valueInputOption=RAW`, {
        token: readOnly,
        body: { values: [["x"]] },
      }),
      403,
      "PERMISSION_DENIED",
      "Request had insufficient authentication scopes.",
    );
    expect(google.values(id, "Sheet1")).toEqual([]);
  });

  it("answers 403 for a spreadsheet not shared with the account and 404 for an unknown one", async () => {
    const id = google.addSpreadsheet({ title: "Private" });
    const other = await tokenFrom(google, google.otherServiceAccountKey);
    await expectGoogleError(
      await api("GET", `/v4/spreadsheets/${id}`, { token: other }),
      403,
      "PERMISSION_DENIED",
      "The caller does not have permission",
    );
    await expectGoogleError(
      await api("PUT", `/v4/spreadsheets/${id}/values/A1?valueInputOption=RAW`, {
        token: other,
        body: { values: [["x"]] },
      }),
      403,
      "PERMISSION_DENIED",
    );
    const shared = google.addSpreadsheet({
      title: "Shared",
      sharedWith: [google.otherServiceAccountKey.client_email!],
    });
    expect((await api("GET", `/v4/spreadsheets/${shared}`, { token: other })).status).toBe(200);
    // sharing with one account does not share with the default one
    expect((await api("GET", `/v4/spreadsheets/${shared}`)).status).toBe(403);
    await expectGoogleError(
      await api("GET", "/v4/spreadsheets/1DoesNotExist0000000000000000000000000000000"),
      404,
      "NOT_FOUND",
      "Requested entity was not found.",
    );
    const log = google.requests.filter((r) => r.path === `/v4/spreadsheets/${id}`);
    expect(log.map((r) => [r.status, r.account])).toEqual([
      [403, google.otherServiceAccountKey.client_email],
    ]);
  });
});

describe("fake Sheets API: spreadsheets and values", () => {
  it("describes a spreadsheet with a 1000 × 26 grid per new sheet", async () => {
    const id = google.addSpreadsheet({ title: "Report", sheets: ["Sales 2026", "Notes"] });
    expect(id).toMatch(/^1[\w-]{43}$/);
    const res = await api("GET", `/v4/spreadsheets/${id}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      spreadsheetId: string;
      properties: { title: string };
      sheets: { properties: Record<string, unknown> }[];
    };
    expect(body.spreadsheetId).toBe(id);
    expect(body.properties.title).toBe("Report");
    expect(body.sheets.map((s) => s.properties)).toEqual([
      expect.objectContaining({
        sheetId: 0,
        title: "Sales 2026",
        index: 0,
        gridProperties: { rowCount: 1000, columnCount: 26 },
      }),
      expect.objectContaining({
        title: "Notes",
        index: 1,
        gridProperties: { rowCount: 1000, columnCount: 26 },
      }),
    ]);
  });

  it("writes with PUT to a percent-encoded range and reads back formatted or unformatted", async () => {
    const id = google.addSpreadsheet({ title: "Update", sheets: ["Sales 2026"] });
    const range = "'Sales 2026'!A1:D10";
    expect(enc(range)).toBe("%27Sales%202026%27%21A1%3AD10");
    const res = await api(
      "PUT",
      `/v4/spreadsheets/${id}/values/${enc(range)}?valueInputOption=RAW`,
      {
        body: {
          range,
          majorDimension: "ROWS",
          values: [
            ["region", "amount", "date"],
            ["EU", 10, "2026-11-01"],
            ["US", "20", true],
          ],
        },
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      spreadsheetId: id,
      updatedRange: "'Sales 2026'!A1:C3",
      updatedRows: 3,
      updatedColumns: 3,
      updatedCells: 9,
    });
    expect(google.values(id, "Sales 2026")).toEqual([
      ["region", "amount", "date"],
      ["EU", 10, "2026-11-01"],
      ["US", "20", true],
    ]);
    const formatted = (await (
      await api("GET", `/v4/spreadsheets/${id}/values/${enc("'Sales 2026'!A2:C3")}`)
    ).json()) as Record<string, unknown>;
    expect(formatted).toEqual({
      range: "'Sales 2026'!A2:C3",
      majorDimension: "ROWS",
      values: [
        ["EU", "10", "2026-11-01"],
        ["US", "20", "TRUE"],
      ],
    });
    const raw = (await (
      await api(
        "GET",
        `/v4/spreadsheets/${id}/values/${enc("'Sales 2026'")}?valueRenderOption=UNFORMATTED_VALUE&majorDimension=COLUMNS`,
      )
    ).json()) as Record<string, unknown>;
    expect(raw).toEqual({
      range: "'Sales 2026'!A1:Z1000",
      majorDimension: "COLUMNS",
      values: [
        ["region", "EU", "US"],
        ["amount", 10, "20"],
        ["date", "2026-11-01", true],
      ],
    });
    const empty = (await (
      await api("GET", `/v4/spreadsheets/${id}/values/${enc("'Sales 2026'!F5:G6")}`)
    ).json()) as Record<string, unknown>;
    expect(empty).toEqual({ range: "'Sales 2026'!F5:G6", majorDimension: "ROWS" });
  });

  it("requires valueInputOption, with Google's exact 400 body", async () => {
    const id = google.addSpreadsheet({ title: "VIO" });
    const res = await api("PUT", `/v4/spreadsheets/${id}/values/${enc("Sheet1!A1:C3")}`, {
      body: { values: [["a"]] },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        code: 400,
        message: "'valueInputOption' is required but not specified",
        errors: [
          {
            message: "'valueInputOption' is required but not specified",
            domain: "global",
            reason: "badRequest",
          },
        ],
        status: "INVALID_ARGUMENT",
      },
    });
    for (const option of ["INPUT_VALUE_OPTION_UNSPECIFIED", "raw", "PARSED"]) {
      await expectGoogleError(
        await api("PUT", `/v4/spreadsheets/${id}/values/A1?valueInputOption=${option}`, {
          body: { values: [["a"]] },
        }),
        400,
        "INVALID_ARGUMENT",
      );
    }
    expect(google.values(id, "Sheet1")).toEqual([]);
  });

  it("routes values.update by PUT and append/clear by their suffix only", async () => {
    const id = google.addSpreadsheet({ title: "Methods" });
    const body = { values: [["a"]] };
    for (const [method, path] of [
      ["POST", `values/${enc("Sheet1!A1")}?valueInputOption=RAW`],
      ["PATCH", `values/${enc("Sheet1!A1")}?valueInputOption=RAW`],
      ["POST", `values/${enc("Sheet1!A1")}%3Aappend?valueInputOption=RAW`],
      ["PUT", `values/${enc("Sheet1!A1")}:append?valueInputOption=RAW`],
      ["POST", `values/${enc("Sheet1!A1")}:remove`],
      ["GET", `values:batchUpdate`],
    ] as const) {
      const res = await api(method, `/v4/spreadsheets/${id}/${path}`, {
        body: method === "GET" ? undefined : body,
      });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    }
    expect(google.values(id, "Sheet1")).toEqual([]);
  });

  it("parses A1 ranges: quoted names with '' escapes, bare names, columns, rows and the first sheet", async () => {
    const id = google.addSpreadsheet({ title: "A1", sheets: ["Data", "Bob's data", "Q1"] });
    const put = (range: string, values: unknown[][]) =>
      api("PUT", `/v4/spreadsheets/${id}/values/${enc(range)}?valueInputOption=RAW`, {
        body: { values },
      });
    expect((await put("'Bob''s data'!B2", [["quoted"]])).status).toBe(200);
    expect(google.values(id, "Bob's data")).toEqual([[], ["", "quoted"]]);
    expect((await put("C3:D3", [["first", "sheet"]])).status).toBe(200);
    expect(google.values(id, "Data")).toEqual([[], [], ["", "", "first", "sheet"]]);
    expect((await put("'Q1'", [["sheet named Q1"]])).status).toBe(200);
    expect(google.values(id, "Q1")).toEqual([["sheet named Q1"]]);
    expect((await put("data!a1", [["case-insensitive"]])).status).toBe(200);
    expect(google.values(id, "Data")[0]).toEqual(["case-insensitive"]);

    const get = async (range: string) =>
      (await (await api("GET", `/v4/spreadsheets/${id}/values/${enc(range)}`)).json()) as {
        range: string;
        values?: unknown[][];
      };
    expect(await get("Data!C:D")).toEqual({
      range: "Data!C1:D1000",
      majorDimension: "ROWS",
      values: [[], [], ["first", "sheet"]],
    });
    expect((await get("Data!3:3")).values).toEqual([["", "", "first", "sheet"]]);
    expect((await get("Data!C3:D")).range).toBe("Data!C3:D1000");
    expect((await get("Data!$C$3")).values).toEqual([["first"]]);
    // Google's own examples leave ! and : bare in the path; that works too
    const bare = await api("GET", `/v4/spreadsheets/${id}/values/Data!C3:D3`);
    expect(((await bare.json()) as { values: unknown[][] }).values).toEqual([["first", "sheet"]]);

    for (const range of [
      "Nope!A1",
      "'Bob's data'!A1",
      "Data!A0",
      "Data!A1:B2:C3",
      "Data!1A",
      "Data!",
      "!A1",
      "Data!AAAA1",
      "Data!A:5",
      "'Data",
    ]) {
      await expectGoogleError(
        await api("GET", `/v4/spreadsheets/${id}/values/${enc(range)}`),
        400,
        "INVALID_ARGUMENT",
        `Unable to parse range: ${range}`,
      );
      await expectGoogleError(
        await put(range, [["x"]]),
        400,
        "INVALID_ARGUMENT",
        `Unable to parse range: ${range}`,
      );
    }
    await expectGoogleError(
      await api("GET", `/v4/spreadsheets/${id}/values/${enc("Data!A2000")}`),
      400,
      "INVALID_ARGUMENT",
      /exceeds grid limits\. Max rows: 1000, max columns: 26$/,
    );
  });

  it("refuses a body range that differs from the path's and values that overflow the range", async () => {
    const id = google.addSpreadsheet({ title: "Match" });
    const put = (range: string, body: unknown) =>
      api("PUT", `/v4/spreadsheets/${id}/values/${enc(range)}?valueInputOption=RAW`, { body });
    await expectGoogleError(
      await put("Sheet1!A1:B2", { range: "Sheet1!A1:B3", values: [["a"]] }),
      400,
      "INVALID_ARGUMENT",
      /does not match/,
    );
    await expectGoogleError(
      await put("Sheet1!A1:B2", { range: "Other!A1:B2", values: [["a"]] }),
      400,
      "INVALID_ARGUMENT",
      "Unable to parse range: Other!A1:B2",
    );
    // the same range written differently is the same range
    expect((await put("Sheet1!A1:B2", { range: "'Sheet1'!B2:A1", values: [["a"]] })).status).toBe(
      200,
    );
    await expectGoogleError(
      await put("Sheet1!A1:B2", { values: [["a"], ["b"], ["c"]] }),
      400,
      "INVALID_ARGUMENT",
      "Requested writing within range [Sheet1!A1:B2], but tried writing to row [3]",
    );
    await expectGoogleError(
      await put("Sheet1!A1:B2", { values: [["a", "b", "c"]] }),
      400,
      "INVALID_ARGUMENT",
      "Requested writing within range [Sheet1!A1:B2], but tried writing to column [C]",
    );
    expect(google.values(id, "Sheet1")).toEqual([["a"]]);
  });

  it("stores RAW values verbatim and parses USER_ENTERED numbers-looking strings", async () => {
    const id = google.addSpreadsheet({ title: "Input" });
    const values = [["0123", "1.50", "-2e3", "TRUE", "'0042", "12 apples", "=1+1", ""]];
    const put = (option: string, row: number) =>
      api(
        "PUT",
        `/v4/spreadsheets/${id}/values/${enc(`Sheet1!A${row}`)}?valueInputOption=${option}`,
        { body: { values } },
      );
    expect((await put("RAW", 1)).status).toBe(200);
    expect((await put("USER_ENTERED", 2)).status).toBe(200);
    expect(google.values(id, "Sheet1")).toEqual([
      ["0123", "1.50", "-2e3", "TRUE", "'0042", "12 apples", "=1+1"],
      [123, 1.5, -2000, true, "0042", "12 apples", "=1+1"],
    ]);
  });

  it('leaves cells under null alone and empties cells given ""', async () => {
    const id = google.addSpreadsheet({ title: "Nulls" });
    const put = (values: unknown[][]) =>
      api("PUT", `/v4/spreadsheets/${id}/values/A1?valueInputOption=RAW`, { body: { values } });
    await put([["a", "b", "c"]]);
    const res = await put([[null, "", "C"]]);
    expect(await res.json()).toMatchObject({ updatedRange: "Sheet1!A1:C1", updatedCells: 2 });
    expect(google.values(id, "Sheet1")).toEqual([["a", "", "C"]]);
  });

  it("appends under the table it finds, overwriting or inserting rows", async () => {
    const id = google.addSpreadsheet({ title: "Append" });
    const path = (range: string, query: string) =>
      `/v4/spreadsheets/${id}/values/${enc(range)}:append?${query}`;
    await api("PUT", `/v4/spreadsheets/${id}/values/${enc("Sheet1!B2:C3")}?valueInputOption=RAW`, {
      body: {
        values: [
          ["name", "n"],
          ["a", 1],
        ],
      },
    });
    await api("PUT", `/v4/spreadsheets/${id}/values/${enc("Sheet1!B6")}?valueInputOption=RAW`, {
      body: { values: [["footer"]] },
    });
    const first = await api("POST", path("Sheet1!A1:D4", "valueInputOption=RAW"), {
      body: { values: [["b", 2]] },
    });
    expect(await first.json()).toEqual({
      spreadsheetId: id,
      tableRange: "Sheet1!B2:C3",
      updates: {
        spreadsheetId: id,
        updatedRange: "Sheet1!B4:C4",
        updatedRows: 1,
        updatedColumns: 2,
        updatedCells: 2,
      },
    });
    const inserted = await api(
      "POST",
      path("Sheet1!A1:D4", "valueInputOption=USER_ENTERED&insertDataOption=INSERT_ROWS"),
      {
        body: { range: "Sheet1!A1:D4", values: [["c", "3"]] },
      },
    );
    expect(inserted.status).toBe(200);
    expect(google.values(id, "Sheet1")).toEqual([
      [],
      ["", "name", "n"],
      ["", "a", 1],
      ["", "b", 2],
      ["", "c", 3],
      [],
      ["", "footer"], // pushed down a row by INSERT_ROWS
    ]);
    const sheet = (await (await api("GET", `/v4/spreadsheets/${id}`)).json()) as {
      sheets: { properties: { gridProperties: { rowCount: number } } }[];
    };
    expect(sheet.sheets[0]!.properties.gridProperties.rowCount).toBe(1001);
    const emptySheet = google.addSpreadsheet({ title: "Empty" });
    const intoEmpty = await api(
      "POST",
      `/v4/spreadsheets/${emptySheet}/values/Sheet1:append?valueInputOption=RAW`,
      { body: { values: [["x"]] } },
    );
    expect(await intoEmpty.json()).toEqual({
      spreadsheetId: emptySheet,
      updates: {
        spreadsheetId: emptySheet,
        updatedRange: "Sheet1!A1",
        updatedRows: 1,
        updatedColumns: 1,
        updatedCells: 1,
      },
    });
    // from a lone cell the table is looked for over the whole sheet
    const underIt = await api(
      "POST",
      `/v4/spreadsheets/${emptySheet}/values/${enc("Sheet1!A1")}:append?valueInputOption=RAW`,
      { body: { values: [["y", "z"]] } },
    );
    expect(await underIt.json()).toMatchObject({
      tableRange: "Sheet1!A1",
      updates: { updatedRange: "Sheet1!A2:B2" },
    });
    expect(google.values(emptySheet, "Sheet1")).toEqual([["x"], ["y", "z"]]);

    await expectGoogleError(
      await api("POST", path("Sheet1", "valueInputOption=RAW&insertDataOption=APPEND"), {
        body: { values: [["x"]] },
      }),
      400,
      "INVALID_ARGUMENT",
    );
    const missing = await api("POST", path("Sheet1", ""), { body: { values: [["x"]] } });
    expect((await expectGoogleError(missing, 400, "INVALID_ARGUMENT")).error.message).toBe(
      "'valueInputOption' is required but not specified",
    );
    await expectGoogleError(
      await api("POST", path("Sheet1", "valueInputOption=RAW"), {
        body: { range: "Sheet1!A1", values: [["x"]] },
      }),
      400,
      "INVALID_ARGUMENT",
      /does not match/,
    );
  });

  it("clears a range and batch-clears several", async () => {
    const id = google.addSpreadsheet({ title: "Clear", sheets: ["One", "Two"] });
    for (const sheet of ["One", "Two"]) {
      await api("PUT", `/v4/spreadsheets/${id}/values/${sheet}?valueInputOption=RAW`, {
        body: {
          values: [
            ["a", "b"],
            ["c", "d"],
          ],
        },
      });
    }
    const cleared = await api("POST", `/v4/spreadsheets/${id}/values/${enc("One!B1:B")}:clear`, {
      body: {},
    });
    expect(await cleared.json()).toEqual({ spreadsheetId: id, clearedRange: "One!B1:B1000" });
    expect(google.values(id, "One")).toEqual([["a"], ["c"]]);
    const batch = await api("POST", `/v4/spreadsheets/${id}/values:batchClear`, {
      body: { ranges: ["One", "Two!A2:B2"] },
    });
    expect(await batch.json()).toEqual({
      spreadsheetId: id,
      clearedRanges: ["One!A1:Z1000", "Two!A2:B2"],
    });
    expect(google.values(id, "One")).toEqual([]);
    expect(google.values(id, "Two")).toEqual([["a", "b"]]);
    // one bad range and nothing is cleared
    await expectGoogleError(
      await api("POST", `/v4/spreadsheets/${id}/values:batchClear`, {
        body: { ranges: ["Two", "Three"] },
      }),
      400,
      "INVALID_ARGUMENT",
      "Unable to parse range: Three",
    );
    expect(google.values(id, "Two")).toEqual([["a", "b"]]);
  });

  it("batch-updates values with valueInputOption in the body, all or nothing", async () => {
    const id = google.addSpreadsheet({ title: "Batch", sheets: ["A", "B"] });
    const path = `/v4/spreadsheets/${id}/values:batchUpdate`;
    const res = await api("POST", path, {
      body: {
        valueInputOption: "USER_ENTERED",
        data: [
          {
            range: "A!A1:B2",
            values: [
              ["x", "1"],
              ["y", "2"],
            ],
          },
          { range: "B!C3", majorDimension: "COLUMNS", values: [["p", "q"]] },
        ],
      },
    });
    expect(await res.json()).toEqual({
      spreadsheetId: id,
      totalUpdatedRows: 4,
      totalUpdatedColumns: 3,
      totalUpdatedCells: 6,
      totalUpdatedSheets: 2,
      responses: [
        {
          spreadsheetId: id,
          updatedRange: "A!A1:B2",
          updatedRows: 2,
          updatedColumns: 2,
          updatedCells: 4,
        },
        {
          spreadsheetId: id,
          updatedRange: "B!C3:C4",
          updatedRows: 2,
          updatedColumns: 1,
          updatedCells: 2,
        },
      ],
    });
    expect(google.values(id, "A")).toEqual([
      ["x", 1],
      ["y", 2],
    ]);
    expect(google.values(id, "B")).toEqual([[], [], ["", "", "p"], ["", "", "q"]]);

    const missing = await api("POST", path, {
      body: { data: [{ range: "A!A1", values: [["z"]] }] },
    });
    expect(await missing.json()).toEqual({
      error: {
        code: 400,
        message: "'valueInputOption' is required but not specified",
        errors: [
          {
            message: "'valueInputOption' is required but not specified",
            domain: "global",
            reason: "badRequest",
          },
        ],
        status: "INVALID_ARGUMENT",
      },
    });
    // in the query string it is not a parameter of this method
    await expectGoogleError(
      await api("POST", `${path}?valueInputOption=RAW`, {
        body: { valueInputOption: "RAW", data: [] },
      }),
      400,
      "INVALID_ARGUMENT",
      /Cannot bind query parameter/,
    );
    await expectGoogleError(
      await api("POST", path, {
        body: {
          valueInputOption: "RAW",
          data: [{ range: "A!A1", values: [["z"]] }, { values: [["no range"]] }],
        },
      }),
      400,
      "INVALID_ARGUMENT",
    );
    await expectGoogleError(
      await api("POST", path, {
        body: {
          valueInputOption: "RAW",
          data: [
            { range: "A!A1", values: [["z"]] },
            { range: "C!A1", values: [["?"]] },
          ],
        },
      }),
      400,
      "INVALID_ARGUMENT",
      "Unable to parse range: C!A1",
    );
    expect(google.values(id, "A")[0]).toEqual(["x", 1]);
  });

  it("adds sheets and resizes grids with spreadsheets.batchUpdate, atomically", async () => {
    const id = google.addSpreadsheet({ title: "Structure" });
    const path = `/v4/spreadsheets/${id}:batchUpdate`;
    const res = await api("POST", path, {
      body: {
        requests: [
          {
            addSheet: {
              properties: { title: "Export", gridProperties: { rowCount: 5, columnCount: 3 } },
            },
          },
          {
            updateSheetProperties: {
              properties: { sheetId: 0, gridProperties: { rowCount: 50 } },
              fields: "gridProperties.rowCount",
            },
          },
        ],
      },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      replies: [{ addSheet: { properties: { sheetId: number } } }, unknown];
    };
    expect(body.replies[0].addSheet.properties).toMatchObject({
      title: "Export",
      index: 1,
      gridProperties: { rowCount: 5, columnCount: 3 },
    });
    expect(body.replies[1]).toEqual({});
    const exportId = body.replies[0].addSheet.properties.sheetId;

    const described = async () =>
      (
        (await (await api("GET", `/v4/spreadsheets/${id}`)).json()) as {
          sheets: { properties: { title: string; gridProperties: unknown } }[];
        }
      ).sheets.map((s) => [s.properties.title, s.properties.gridProperties]);
    expect(await described()).toEqual([
      ["Sheet1", { rowCount: 50, columnCount: 26 }],
      ["Export", { rowCount: 5, columnCount: 3 }],
    ]);

    // the first request would work, the second does not: nothing changes
    const duplicate = await api("POST", path, {
      body: {
        requests: [
          { addSheet: { properties: { title: "Later" } } },
          { addSheet: { properties: { title: "export" } } },
        ],
      },
    });
    await expectGoogleError(
      duplicate,
      400,
      "INVALID_ARGUMENT",
      /^Invalid requests\[1\]\.addSheet: A sheet with the name "export" already exists/,
    );
    expect((await described()).map(([title]) => title)).toEqual(["Sheet1", "Export"]);

    for (const requests of [
      [],
      [{ mergeEverything: {} }],
      [
        {
          updateSheetProperties: {
            properties: { sheetId: exportId, gridProperties: { rowCount: 9 } },
          },
        },
      ],
      [
        {
          updateSheetProperties: {
            properties: { sheetId: 424242, gridProperties: { rowCount: 9 } },
            fields: "gridProperties",
          },
        },
      ],
    ]) {
      await expectGoogleError(
        await api("POST", path, { body: { requests } }),
        400,
        "INVALID_ARGUMENT",
      );
    }
    expect((await described())[1]).toEqual(["Export", { rowCount: 5, columnCount: 3 }]);
  });

  it("grows the grid when values land past its edge", async () => {
    const id = google.addSpreadsheet({ title: "Grow" });
    const res = await api(
      "PUT",
      `/v4/spreadsheets/${id}/values/${enc("Sheet1!AB1500")}?valueInputOption=RAW`,
      { body: { values: [["far"]] } },
    );
    expect(res.status).toBe(200);
    const sheets = (
      (await (await api("GET", `/v4/spreadsheets/${id}`)).json()) as {
        sheets: { properties: { gridProperties: unknown } }[];
      }
    ).sheets;
    expect(sheets[0]!.properties.gridProperties).toEqual({ rowCount: 1500, columnCount: 28 });
    expect(google.values(id, "Sheet1")[1499]).toEqual([...Array<string>(27).fill(""), "far"]);
  });

  it("refuses bodies that are not JSON ValueRanges", async () => {
    const id = google.addSpreadsheet({ title: "Bodies" });
    const path = `/v4/spreadsheets/${id}/values/A1?valueInputOption=RAW`;
    const cases: CallOptions[] = [
      { body: JSON.stringify({ values: [["a"]] }), contentType: "text/plain" },
      { body: "values=a", contentType: "application/x-www-form-urlencoded" },
      { body: "{not json" },
      { body: [["a"]] },
      { body: { value: [["a"]] } },
      { body: { values: "a" } },
      { body: { values: ["a"] } },
      { body: { values: [[{ a: 1 }]] } },
      { body: { values: [["a"]], majorDimension: "DIAGONAL" } },
      { body: { values: [["x".repeat(50_001)]] } },
    ];
    for (const options of cases) {
      await expectGoogleError(await api("PUT", path, options), 400, "INVALID_ARGUMENT");
    }
    expect((await api("PUT", path, { body: { values: [["x".repeat(50_000)]] } })).status).toBe(200);
  });

  it("refuses a request body over 2 MB with 400", async () => {
    const id = google.addSpreadsheet({ title: "Big" });
    const path = `/v4/spreadsheets/${id}/values/${enc("Sheet1!A1:A")}?valueInputOption=RAW`;
    const rows = (cell: number, count: number) =>
      Array.from({ length: count }, () => ["y".repeat(cell)]);
    const limit = FAKE_GOOGLE_DEFAULTS.maxBodyBytes;
    const over = JSON.stringify({ values: rows(1000, Math.ceil(limit / 1000)) });
    expect(over.length).toBeGreaterThan(limit);
    await expectGoogleError(
      await api("PUT", path, { body: over }),
      400,
      "INVALID_ARGUMENT",
      `Request payload size exceeds the limit: ${limit} bytes.`,
    );
    expect(google.values(id, "Sheet1")).toEqual([]);
    expect(google.requests.at(-1)).toMatchObject({ status: 400, bytes: over.length });
    const under = JSON.stringify({ values: rows(1000, Math.floor(limit / 1010)) });
    expect(under.length).toBeLessThanOrEqual(limit);
    expect((await api("PUT", path, { body: under })).status).toBe(200);
  });

  it("takes a smaller body cap when configured", async () => {
    const fake = await startFakeGoogle({ maxBodyBytes: 100 });
    try {
      const own = await tokenFrom(fake, fake.serviceAccountKey);
      const id = fake.addSpreadsheet({ title: "Small" });
      const put = (text: string) =>
        call(fake, "PUT", `/v4/spreadsheets/${id}/values/A1?valueInputOption=RAW`, {
          token: own,
          body: { values: [[text]] },
        });
      expect((await put("x".repeat(50))).status).toBe(200);
      await expectGoogleError(
        await put("x".repeat(100)),
        400,
        "INVALID_ARGUMENT",
        "Request payload size exceeds the limit: 100 bytes.",
      );
    } finally {
      await fake.close();
    }
  });

  it("refuses writes that would take the workbook past the cell limit", async () => {
    const fake = await startFakeGoogle({ maxCells: 30_000 });
    try {
      const own = await tokenFrom(fake, fake.serviceAccountKey);
      const id = fake.addSpreadsheet({ title: "Cells" });
      const message =
        "This action would increase the number of cells in the workbook above the limit of 30000 cells.";
      const put = (range: string) =>
        call(fake, "PUT", `/v4/spreadsheets/${id}/values/${enc(range)}?valueInputOption=RAW`, {
          token: own,
          body: { values: [["x"]] },
        });
      // 1000 × 26 = 26,000 cells; row 1153 makes 29,978, row 1154 30,004
      expect((await put("Sheet1!A1153")).status).toBe(200);
      await expectGoogleError(await put("Sheet1!A1154"), 400, "INVALID_ARGUMENT", message);
      const appended = await call(
        fake,
        "POST",
        `/v4/spreadsheets/${id}/values/Sheet1:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS`,
        {
          token: own,
          body: { values: [["y"]] },
        },
      );
      await expectGoogleError(appended, 400, "INVALID_ARGUMENT", message);
      await expectGoogleError(
        await call(fake, "POST", `/v4/spreadsheets/${id}:batchUpdate`, {
          token: own,
          body: { requests: [{ addSheet: {} }] },
        }),
        400,
        "INVALID_ARGUMENT",
        message,
      );
      await expectGoogleError(
        await call(fake, "POST", `/v4/spreadsheets/${id}:batchUpdate`, {
          token: own,
          body: {
            requests: [
              {
                updateSheetProperties: {
                  properties: { sheetId: 0, gridProperties: { columnCount: 27 } },
                  fields: "gridProperties.columnCount",
                },
              },
            ],
          },
        }),
        400,
        "INVALID_ARGUMENT",
        message,
      );
      const sheets = (
        (await (await call(fake, "GET", `/v4/spreadsheets/${id}`, { token: own })).json()) as {
          sheets: { properties: { gridProperties: unknown } }[];
        }
      ).sheets;
      expect(sheets.map((s) => s.properties.gridProperties)).toEqual([
        { rowCount: 1153, columnCount: 26 },
      ]);
      expect(fake.values(id, "Sheet1").length).toBe(1153);
    } finally {
      await fake.close();
    }
  });
});

describe("fake Sheets API: quota and faults", () => {
  let fake: FakeGoogle;
  let own: string;
  const start = async (options: FakeGoogleOptions) => {
    fake = await startFakeGoogle(options);
    own = await tokenFrom(fake, fake.serviceAccountKey);
  };
  afterEach(() => fake.close());

  const write = (id: string, value: string, token = own) =>
    call(fake, "PUT", `/v4/spreadsheets/${id}/values/A1?valueInputOption=RAW`, {
      token,
      body: { values: [[value]] },
    });

  it("allows the configured writes per minute per account, then 429 without Retry-After", async () => {
    await start({ writesPerMinute: 3 });
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const other = await tokenFrom(fake, fake.otherServiceAccountKey);
    const id = fake.addSpreadsheet({
      title: "Quota",
      sharedWith: [fake.serviceAccountKey.client_email!, fake.otherServiceAccountKey.client_email!],
    });
    for (const n of [1, 2, 3]) expect((await write(id, `w${n}`)).status).toBe(200);
    const refused = await write(id, "w4");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeNull();
    expect(await refused.json()).toEqual({
      error: {
        code: 429,
        message: expect.stringMatching(
          /^Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets\.googleapis\.com' for consumer 'project_number:\d+'\.$/,
        ) as unknown,
        status: "RESOURCE_EXHAUSTED",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "RATE_LIMIT_EXCEEDED",
            domain: "googleapis.com",
            metadata: {
              quota_limit: "WriteRequestsPerMinutePerUser",
              quota_metric: "sheets.googleapis.com/write_requests",
              service: "sheets.googleapis.com",
              consumer: expect.stringMatching(/^projects\/\d+$/) as unknown,
            },
          },
        ],
      },
    });
    expect(fake.values(id, "Sheet1")).toEqual([["w3"]]);
    // reads are not writes; another account has its own minute
    expect(
      (await call(fake, "GET", `/v4/spreadsheets/${id}/values/A1`, { token: own })).status,
    ).toBe(200);
    expect((await write(id, "other", other)).status).toBe(200);

    // the minute slides: 59 s on it is still full, after 60 s it is empty again
    vi.setSystemTime(Date.now() + 59_000);
    expect((await write(id, "w5")).status).toBe(429);
    vi.setSystemTime(Date.now() + 1_001);
    expect((await write(id, "w6")).status).toBe(200);
    expect(fake.values(id, "Sheet1")).toEqual([["w6"]]);
  });

  it("counts every sub-request of a batch against the quota", async () => {
    await start({ writesPerMinute: 3 });
    const id = fake.addSpreadsheet({ title: "Batch quota" });
    const batch = (ranges: string[]) =>
      call(fake, "POST", `/v4/spreadsheets/${id}/values:batchClear`, {
        token: own,
        body: { ranges },
      });
    expect((await batch(["A1", "B1"])).status).toBe(200);
    // one write left; a batch of two does not fit, and is refused whole without using it
    expect((await batch(["A1", "B1"])).status).toBe(429);
    expect((await write(id, "last")).status).toBe(200);
    expect((await write(id, "over")).status).toBe(429);
  });

  it("defaults to 60 writes a minute", async () => {
    await start({});
    const id = fake.addSpreadsheet({ title: "Default quota" });
    const ranges = Array.from({ length: 60 }, (_, i) => `A${i + 1}`);
    const res = await call(fake, "POST", `/v4/spreadsheets/${id}/values:batchClear`, {
      token: own,
      body: { ranges },
    });
    expect(res.status).toBe(200);
    expect((await write(id, "61st")).status).toBe(429);
  });

  it("fails the next writes as told, leaving reads and later writes alone", async () => {
    await start({});
    const id = fake.addSpreadsheet({ title: "Faults" });
    fake.failNext(2, 503);
    expect((await call(fake, "GET", `/v4/spreadsheets/${id}`, { token: own })).status).toBe(200);
    await expectGoogleError(await write(id, "a"), 503, "UNAVAILABLE");
    await expectGoogleError(await write(id, "b"), 503, "UNAVAILABLE");
    expect((await write(id, "c")).status).toBe(200);
    expect(fake.values(id, "Sheet1")).toEqual([["c"]]);

    fake.failNext(1, 500, { error: { code: 500, message: "Internal error", status: "INTERNAL" } });
    const custom = await write(id, "d");
    expect(custom.status).toBe(500);
    expect(await custom.json()).toEqual({
      error: { code: 500, message: "Internal error", status: "INTERNAL" },
    });
    fake.failNext(1, 429);
    expect(((await (await write(id, "e")).json()) as GoogleError).error.status).toBe(
      "RESOURCE_EXHAUSTED",
    );
    expect(fake.values(id, "Sheet1")).toEqual([["c"]]);
    expect(fake.requests.filter((r) => r.method === "PUT").map((r) => r.status)).toEqual([
      503, 503, 200, 500, 429,
    ]);
  });
});
