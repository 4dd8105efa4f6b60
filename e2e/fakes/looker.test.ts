// The fake Looker holds to what it stands for: it refuses what Looker refuses, answers in Looker's
// shapes, and its Looks, queries, datagroups and PDT builds behave the way clients depend on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bigTable } from "../../test-support/fakes/report-data";
import { FAKE_LOOKER_CUSTOMER_ROWS, startFakeLooker, type FakeLooker } from "./looker";

let looker: FakeLooker;
let token: string;

beforeAll(async () => {
  looker = await startFakeLooker();
  token = await login(looker);
});
afterAll(() => looker.close());

const DOCS = expect.stringMatching(/^https:\/\/cloud\.google\.com\/looker\/docs\/r\/err\/4\.0\//);
const NOT_FOUND = { message: "Not found", documentation_url: DOCS };
const UNAUTHENTICATED = { message: "Requires authentication.", documentation_url: DOCS };

function form(id: string, secret: string) {
  return new URLSearchParams({ client_id: id, client_secret: secret });
}

async function login(fake: FakeLooker): Promise<string> {
  const res = await fetch(`${fake.url}/api/4.0/login`, {
    method: "POST",
    body: form(fake.clientId, fake.clientSecret),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

type CallOptions = { method?: string; body?: unknown; auth?: string | null; fake?: FakeLooker };

function call(path: string, options: CallOptions = {}) {
  const fake = options.fake ?? looker;
  const headers: Record<string, string> = {};
  const auth = options.auth === undefined ? `token ${token}` : options.auth;
  if (auth !== null) headers.authorization = auth;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  }
  return fetch(`${fake.url}/api/4.0${path}`, { method: options.method ?? "GET", headers, body });
}

// Status and JSON body together, so each rejection is one assertion.
async function outcome(res: Response) {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}

const callOutcome = async (path: string, options?: CallOptions) =>
  outcome(await call(path, options));

describe("login and logout", () => {
  it("issues a Bearer token for credentials in a form body", async () => {
    const res = await fetch(`${looker.url}/api/4.0/login`, {
      method: "POST",
      body: form(looker.clientId, looker.clientSecret),
    });
    expect(await outcome(res)).toEqual({
      status: 200,
      body: {
        access_token: expect.stringMatching(/^[A-Za-z0-9]{40}$/),
        token_type: "Bearer",
        expires_in: 3600,
        refresh_token: null,
      },
    });
  });

  it("still takes the deprecated query-string credentials", async () => {
    const res = await fetch(
      `${looker.url}/api/4.0/login?${form(looker.clientId, looker.clientSecret)}`,
      { method: "POST" },
    );
    expect(res.status).toBe(200);
  });

  it("refuses a wrong secret with Looker's 404", async () => {
    const res = await fetch(`${looker.url}/api/4.0/login`, {
      method: "POST",
      body: form(looker.clientId, "wrong"),
    });
    expect(await outcome(res)).toEqual({ status: 404, body: NOT_FOUND });
  });

  it("refuses an unknown client id", async () => {
    const res = await fetch(`${looker.url}/api/4.0/login`, {
      method: "POST",
      body: form("someone-else", looker.clientSecret),
    });
    expect(await outcome(res)).toEqual({ status: 404, body: NOT_FOUND });
  });

  it("refuses missing credentials", async () => {
    const res = await fetch(`${looker.url}/api/4.0/login`, { method: "POST" });
    expect(await outcome(res)).toEqual({ status: 404, body: NOT_FOUND });
  });

  it("does not read credentials from a JSON body", async () => {
    const res = await fetch(`${looker.url}/api/4.0/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: looker.clientId, client_secret: looker.clientSecret }),
    });
    expect(await outcome(res)).toEqual({ status: 404, body: NOT_FOUND });
  });

  it("links the login error to its documentation page", async () => {
    const res = await fetch(`${looker.url}/api/4.0/login`, { method: "POST" });
    expect(((await res.json()) as { documentation_url: string }).documentation_url).toBe(
      "https://cloud.google.com/looker/docs/r/err/4.0/404/post/login",
    );
  });

  it("only logs in by POST", async () => {
    const res = await fetch(`${looker.url}/api/4.0/login?${form(looker.clientId, "x")}`);
    expect(res.status).toBe(404);
  });

  it("logs out with 204, after which the token is refused", async () => {
    const own = await login(looker);
    const res = await call("/logout", { method: "DELETE", auth: `token ${own}` });
    expect(res.status).toBe(204);
    expect(await callOutcome("/looks", { auth: `token ${own}` })).toEqual({
      status: 401,
      body: UNAUTHENTICATED,
    });
  });

  it("needs a token to log out", async () => {
    expect((await call("/logout", { method: "DELETE", auth: null })).status).toBe(401);
  });

  it("states the configured lifetime, and a token past it is refused", async () => {
    const shortLived = await startFakeLooker({ tokenLifetimeSeconds: 0 });
    try {
      const res = await fetch(`${shortLived.url}/api/4.0/login`, {
        method: "POST",
        body: form(shortLived.clientId, shortLived.clientSecret),
      });
      const body = (await res.json()) as { access_token: string; expires_in: number };
      expect(body.expires_in).toBe(0);
      expect(
        (await call("/looks", { fake: shortLived, auth: `Bearer ${body.access_token}` })).status,
      ).toBe(401);
    } finally {
      await shortLived.close();
    }
  });
});

describe("authentication", () => {
  it("accepts the documented `token` scheme and the SDKs' `Bearer`", async () => {
    expect((await call("/looks", { auth: `token ${token}` })).status).toBe(200);
    expect((await call("/looks", { auth: `Bearer ${token}` })).status).toBe(200);
  });

  it("refuses a call without an Authorization header", async () => {
    expect(await callOutcome("/looks", { auth: null })).toEqual({
      status: 401,
      body: UNAUTHENTICATED,
    });
  });

  it("refuses another scheme", async () => {
    expect(await callOutcome("/looks", { auth: `Basic ${token}` })).toEqual({
      status: 401,
      body: UNAUTHENTICATED,
    });
  });

  it("refuses a bare token", async () => {
    expect((await call("/looks", { auth: token })).status).toBe(401);
  });

  it("refuses an unknown token", async () => {
    expect(
      (await call("/looks", { auth: "token 4QDkCyCtZzYgj4C2p2cj3csJH7zqS5RzKs2kTnG4" })).status,
    ).toBe(401);
  });

  it("refuses a token in the query string", async () => {
    expect((await call(`/looks?access_token=${token}`, { auth: null })).status).toBe(401);
  });

  it("refuses the client secret in place of a token", async () => {
    expect((await call("/looks", { auth: `token ${looker.clientSecret}` })).status).toBe(401);
  });

  it("guards unknown routes too, so a bad token learns nothing", async () => {
    expect((await call("/nothing/here", { auth: null })).status).toBe(401);
  });

  it("refuses every token after expireTokens(), and a new login works", async () => {
    const fake = await startFakeLooker();
    try {
      const before = await login(fake);
      fake.expireTokens();
      expect(await callOutcome("/looks", { fake, auth: `token ${before}` })).toEqual({
        status: 401,
        body: UNAUTHENTICATED,
      });
      const after = await login(fake);
      expect((await call("/looks", { fake, auth: `token ${after}` })).status).toBe(200);
    } finally {
      await fake.close();
    }
  });
});

type Row = Record<string, string | number | null>;

describe("run_look and run_query", () => {
  it("runs the small Look as CSV with field labels as the header, RFC 4180 quoted", async () => {
    const res = await call("/looks/1/run/csv");
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(await res.text()).toBe(
      'Sales Region,Sales Amount\nEU,10\n"US, East",20\n"APAC ""North""",30.5\n',
    );
  });

  it("runs it as JSON rows keyed view.field", async () => {
    const res = await call("/looks/1/run/json");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual([
      { "sales.region": "EU", "sales.amount": 10 },
      { "sales.region": "US, East", "sales.amount": 20 },
      { "sales.region": 'APAC "North"', "sales.amount": 30.5 },
    ]);
  });

  it("runs it as tab-separated text", async () => {
    expect(await (await call("/looks/1/run/txt")).text()).toBe(
      'Sales Region\tSales Amount\nEU\t10\nUS, East\t20\nAPAC "North"\t30.5\n',
    );
  });

  it("formats values only with apply_formatting=true", async () => {
    const rows = (await (await call("/looks/1/run/json?apply_formatting=true")).json()) as Row[];
    expect(rows[0]).toEqual({ "sales.region": "EU", "sales.amount": "$10.00" });
  });

  it("stops the big Look at its saved limit unless limit=-1 overrides it", async () => {
    const saved = (await (await call("/looks/2/run/json")).json()) as Row[];
    expect(saved).toHaveLength(5000);
    const all = (await (await call("/looks/2/run/json?limit=-1")).json()) as Row[];
    expect(all).toHaveLength(FAKE_LOOKER_CUSTOMER_ROWS);
    const table = bigTable(FAKE_LOOKER_CUSTOMER_ROWS);
    const last = table.row(FAKE_LOOKER_CUSTOMER_ROWS - 1);
    expect(all.at(-1)).toEqual({
      "customers.id": last[0],
      "customers.name": last[1],
      "customers.amount": last[2],
      "customers.created_time": String(last[3]).slice(0, 19).replace("T", " "),
    });
  });

  it("caps rows at a smaller limit", async () => {
    const csv = await (await call("/looks/2/run/csv?limit=3")).text();
    expect(csv.trimEnd().split("\n")).toEqual([
      "Customers ID,Customers Name,Customers Amount,Customers Created Time",
      "0,customer-0,0.5,2024-01-01 00:00:00",
      "1,customer-1,37.5,2024-01-01 00:01:00",
      "2,customer-2,74.5,2024-01-01 00:02:00",
    ]);
  });

  it("accepts the other documented query parameters", async () => {
    const res = await call(
      "/looks/1/run/csv?apply_vis=false&cache=true&cache_only=false&force_production=true&rebuild_pdts=false&server_table_calcs=false&generate_drill_links=false",
    );
    expect(res.status).toBe(200);
  });

  it("runs a Look's saved query by its query_id", async () => {
    const byQuery = await (await call(`/queries/${looker.looks[0]!.queryId}/run/json`)).json();
    expect(byQuery).toEqual(await (await call("/looks/1/run/json")).json());
  });

  it("answers an unknown Look 404", async () => {
    expect(await callOutcome("/looks/999/run/csv")).toEqual({ status: 404, body: NOT_FOUND });
  });

  it("answers a Look id that is not one 404", async () => {
    expect((await call("/looks/abc/run/csv")).status).toBe(404);
  });

  it("answers an unknown query 404", async () => {
    expect((await call("/queries/999/run/csv")).status).toBe(404);
  });

  it("refuses a result_format outside the documented list with 400", async () => {
    expect((await call("/looks/1/run/pdf")).status).toBe(400);
  });

  it("refuses a documented format it does not render with 400", async () => {
    expect(await callOutcome("/looks/1/run/xlsx")).toEqual({
      status: 400,
      body: { message: expect.stringMatching(/does not render xlsx/), documentation_url: DOCS },
    });
  });

  it("runs a Look by GET only", async () => {
    expect((await call("/looks/1/run/csv", { method: "POST", body: {} })).status).toBe(404);
  });

  it("refuses a limit that is not an integer", async () => {
    expect((await call("/looks/1/run/csv?limit=ten")).status).toBe(400);
  });
});

describe("run_inline_query", () => {
  const inline = (body: unknown, format = "csv", query = "") =>
    call(`/queries/run/${format}${query}`, { method: "POST", body });
  const STATUS_COUNT = {
    model: "thelook",
    view: "orders",
    fields: ["orders.status", "orders.count"],
  };
  const validation = (...errors: { field: string; code: string }[]) => ({
    status: 422,
    body: {
      message: "Validation Failed",
      errors: errors.map((error) => ({
        ...error,
        message: expect.any(String),
        documentation_url: DOCS,
      })),
      documentation_url: DOCS,
    },
  });

  it("answers the contract's example: filtered, sorted, every row", async () => {
    const res = await inline(
      {
        ...STATUS_COUNT,
        filters: { "orders.created_date": "7 days" },
        sorts: ["orders.count desc"],
        limit: "-1",
      },
      "csv",
      "?apply_formatting=false",
    );
    expect(await res.text()).toBe(
      "Orders Status,Orders Count\ncomplete,84\nshipped,28\npending,14\ncancelled,14\n",
    );
  });

  it("sorts by the first measure, descending, when no sort is given", async () => {
    expect(await (await inline(STATUS_COUNT, "json")).json()).toEqual([
      { "orders.status": "complete", "orders.count": 300 },
      { "orders.status": "shipped", "orders.count": 100 },
      { "orders.status": "pending", "orders.count": 50 },
      { "orders.status": "cancelled", "orders.count": 50 },
    ]);
  });

  it("sorts by a date dimension, descending, before any measure", async () => {
    const rows = (await (
      await inline({ ...STATUS_COUNT, fields: ["orders.created_date", "orders.count"] }, "json")
    ).json()) as Row[];
    const days = rows.map((row) => String(row["orders.created_date"]));
    expect(days).toEqual([...days].sort().reverse());
  });

  it("honours the body's limit, a string", async () => {
    const rows = (await (await inline({ ...STATUS_COUNT, limit: "2" }, "json")).json()) as Row[];
    expect(rows.map((row) => row["orders.status"])).toEqual(["complete", "shipped"]);
  });

  it("lets the limit query parameter override the body's", async () => {
    const rows = (await (
      await inline({ ...STATUS_COUNT, limit: "-1" }, "json", "?limit=1")
    ).json()) as Row[];
    expect(rows).toHaveLength(1);
  });

  it("filters strings with lists, exclusions and wildcards", async () => {
    const statuses = async (filter: string) => {
      const res = await inline({ ...STATUS_COUNT, filters: { "orders.status": filter } }, "json");
      return ((await res.json()) as Row[]).map((row) => row["orders.status"]);
    };
    expect(await statuses("pending,cancelled")).toEqual(["pending", "cancelled"]);
    expect(await statuses("-complete,-shipped")).toEqual(["pending", "cancelled"]);
    expect(await statuses("%PLE%")).toEqual(["complete"]);
  });

  it("filters measures after grouping", async () => {
    const res = await inline({ ...STATUS_COUNT, filters: { "orders.count": ">60" } }, "json");
    expect(((await res.json()) as Row[]).map((row) => row["orders.status"])).toEqual([
      "complete",
      "shipped",
    ]);
  });

  it("answers a measure-only query with one row", async () => {
    const res = await inline({ ...STATUS_COUNT, fields: ["orders.count"] }, "json");
    expect(await res.json()).toEqual([{ "orders.count": 500 }]);
  });

  it("refuses a query without model", async () => {
    const { model: _model, ...body } = STATUS_COUNT;
    expect(await outcome(await inline(body))).toEqual(
      validation({ field: "model", code: "missing" }),
    );
  });

  it("refuses a query without view", async () => {
    const { view: _view, ...body } = STATUS_COUNT;
    expect(await outcome(await inline(body))).toEqual(
      validation({ field: "view", code: "missing" }),
    );
  });

  it("lists every missing field", async () => {
    expect(await outcome(await inline({ fields: ["orders.count"] }))).toEqual(
      validation({ field: "model", code: "missing" }, { field: "view", code: "missing" }),
    );
  });

  it("refuses a numeric limit", async () => {
    expect(await outcome(await inline({ ...STATUS_COUNT, limit: 10 }))).toEqual(
      validation({ field: "limit", code: "invalid" }),
    );
  });

  it("refuses fields that are not an array", async () => {
    expect(await outcome(await inline({ ...STATUS_COUNT, fields: "orders.status" }))).toEqual(
      validation({ field: "fields", code: "invalid" }),
    );
  });

  it("refuses filters that are not strings", async () => {
    expect(
      await outcome(await inline({ ...STATUS_COUNT, filters: { "orders.count": 5 } })),
    ).toEqual(validation({ field: "filters", code: "invalid" }));
  });

  it("refuses a field the explore does not have", async () => {
    expect(
      await outcome(await inline({ ...STATUS_COUNT, fields: ["orders.status", "orders.nope"] })),
    ).toEqual(validation({ field: "fields", code: "invalid" }));
  });

  it("refuses a query without fields", async () => {
    expect(await outcome(await inline({ ...STATUS_COUNT, fields: [] }))).toEqual(
      validation({ field: "fields", code: "missing" }),
    );
  });

  it("answers an unknown model 404", async () => {
    expect(await outcome(await inline({ ...STATUS_COUNT, model: "nolook" }))).toEqual({
      status: 404,
      body: NOT_FOUND,
    });
  });

  it("answers an unknown explore 404", async () => {
    expect((await inline({ ...STATUS_COUNT, view: "returns" })).status).toBe(404);
  });

  it("refuses a body that is not JSON", async () => {
    expect((await inline("model=thelook&view=orders")).status).toBe(400);
  });

  it("refuses a filter expression it cannot evaluate, saying so", async () => {
    const res = await inline({
      ...STATUS_COUNT,
      filters: { "orders.created_date": "this quarter" },
    });
    expect(await outcome(res)).toEqual({
      status: 400,
      body: { message: expect.stringMatching(/cannot evaluate/), documentation_url: DOCS },
    });
  });

  it("refuses pivots, which it does not compute", async () => {
    expect((await inline({ ...STATUS_COUNT, pivots: ["orders.status"] })).status).toBe(400);
  });

  it("runs inline queries by POST only", async () => {
    expect((await call("/queries/run/csv")).status).toBe(404);
  });
});

describe("Looks for a picker", () => {
  it("lists Looks with only the requested fields, ids as strings", async () => {
    expect(await (await call("/looks?fields=id,title")).json()).toEqual(
      looker.looks.map((look) => ({ id: String(look.id), title: look.title })),
    );
  });

  it("searches titles case-insensitively with SQL LIKE wildcards", async () => {
    const titles = async (pattern: string) => {
      const res = await call(`/looks/search?title=${encodeURIComponent(pattern)}&fields=title`);
      return ((await res.json()) as { title: string }[]).map((look) => look.title);
    };
    expect(await titles("sales%")).toEqual(["Sales by Region"]);
    expect(await titles("%ROWS%")).toEqual(["Customers (5,200 rows)"]);
    expect(await titles("sales")).toEqual([]);
  });

  it("pages and sorts a search", async () => {
    const res = await call("/looks/search?sorts=title%20desc&limit=1&offset=1&fields=id");
    expect(await res.json()).toEqual([{ id: "2" }]);
  });

  it("refuses a negative offset", async () => {
    expect((await call("/looks/search?offset=-1")).status).toBe(400);
  });

  it("gets a Look with its query", async () => {
    expect(await (await call("/looks/1")).json()).toMatchObject({
      id: "1",
      title: "Sales by Region",
      query_id: "101",
      query: { id: "101", model: "thelook", view: "sales" },
    });
  });

  it("answers an unknown Look 404", async () => {
    expect(await callOutcome("/looks/42")).toEqual({ status: 404, body: NOT_FOUND });
  });
});

describe("datagroups", () => {
  const patch = (id: string, body: unknown) => call(`/datagroups/${id}`, { method: "PATCH", body });
  const validation = (field: string) => ({
    status: 422,
    body: {
      message: "Validation Failed",
      errors: [{ field, code: "invalid", message: expect.any(String), documentation_url: DOCS }],
      documentation_url: DOCS,
    },
  });
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const ordersGroupId = () => looker.datagroups().find((g) => g.name === "orders_datagroup")!.id;

  it("lists datagroups with every documented property", async () => {
    const groups = (await (await call("/datagroups")).json()) as Record<string, unknown>[];
    expect(groups.map((group) => `${group.model_name}::${group.name}`)).toContain(
      "thelook::orders_datagroup",
    );
    for (const group of groups) {
      expect(Object.keys(group).sort()).toEqual(
        [
          "can",
          "created_at",
          "id",
          "model_name",
          "name",
          "stale_before",
          "trigger_check_at",
          "trigger_error",
          "trigger_value",
          "triggered_at",
        ].sort(),
      );
    }
  });

  it("invalidates the cache with a past stale_before", async () => {
    const staleBefore = nowSeconds() - 5;
    const res = await patch(ordersGroupId(), { stale_before: staleBefore });
    expect(await outcome(res)).toMatchObject({
      status: 200,
      body: { id: ordersGroupId(), name: "orders_datagroup", stale_before: staleBefore },
    });
    expect(looker.datagroups().find((g) => g.id === ordersGroupId())?.stale_before).toBe(
      staleBefore,
    );
  });

  it("triggers the datagroup, which rebuilds the PDTs it persists", async () => {
    const builds = () => looker.derivedTables().find((t) => t.view === "daily_orders")!.builds;
    const before = builds();
    const triggeredAt = nowSeconds();
    expect((await patch(ordersGroupId(), { triggered_at: triggeredAt })).status).toBe(200);
    expect(looker.datagroups().find((g) => g.id === ordersGroupId())?.triggered_at).toBe(
      triggeredAt,
    );
    expect(builds()).toBe(before + 1);
  });

  it("refuses a stale_before in the future", async () => {
    expect(
      await outcome(await patch(ordersGroupId(), { stale_before: nowSeconds() + 3600 })),
    ).toEqual(validation("stale_before"));
  });

  it("refuses a triggered_at in the future", async () => {
    expect(
      await outcome(await patch(ordersGroupId(), { triggered_at: nowSeconds() + 3600 })),
    ).toEqual(validation("triggered_at"));
  });

  it("refuses a timestamp that is not a whole number of seconds", async () => {
    expect(await outcome(await patch(ordersGroupId(), { stale_before: "2026-01-01" }))).toEqual(
      validation("stale_before"),
    );
  });

  it("leaves the datagroup alone when refusing", async () => {
    const before = looker.datagroups();
    await patch(ordersGroupId(), { stale_before: nowSeconds() + 3600 });
    expect(looker.datagroups()).toEqual(before);
  });

  it("answers an unknown datagroup 404", async () => {
    expect(await outcome(await patch("999", { stale_before: nowSeconds() }))).toEqual({
      status: 404,
      body: NOT_FOUND,
    });
  });

  it("refuses a body that is not JSON", async () => {
    expect((await patch(ordersGroupId(), "stale_before=1")).status).toBe(400);
  });
});

describe("PDT builds", () => {
  type Materialization = { materialization_id: string; resp_text: string | null };
  const start = (model: string, view: string, query = "?force_rebuild=true&workspace=production") =>
    call(`/derived_table/${model}/${view}/start${query}`);
  const status = async (id: string, fake = looker, auth?: string) => {
    const res = await call(`/derived_table/${id}/status`, { fake, auth });
    const body = (await res.json()) as Materialization;
    return (JSON.parse(body.resp_text!) as { status: string }).status;
  };
  const builds = (fake = looker) =>
    fake.derivedTables().find((t) => t.model === "thelook" && t.view === "daily_orders")!.builds;

  it("starts a build, which runs for a few polls and then completes once", async () => {
    const before = builds();
    const res = await start("thelook", "daily_orders");
    const body = (await res.json()) as Materialization;
    expect(body).toEqual({ materialization_id: expect.stringMatching(/^\d+$/), resp_text: null });
    const id = body.materialization_id;
    expect(await status(id)).toBe("running");
    expect(await status(id)).toBe("running");
    expect(builds()).toBe(before);
    expect(await status(id)).toBe("complete");
    expect(await status(id)).toBe("complete");
    expect(builds()).toBe(before + 1);
  });

  it("completes on the configured poll", async () => {
    const quick = await startFakeLooker({ pdtPollsUntilDone: 1 });
    try {
      const auth = `token ${await login(quick)}`;
      const res = await call("/derived_table/thelook/daily_orders/start", { fake: quick, auth });
      const id = ((await res.json()) as Materialization).materialization_id;
      expect(await status(id, quick, auth)).toBe("complete");
      expect(builds(quick)).toBe(1);
    } finally {
      await quick.close();
    }
  });

  it("stops a running build, which then never completes", async () => {
    const before = builds();
    const id = ((await (await start("thelook", "daily_orders")).json()) as Materialization)
      .materialization_id;
    const stop = (await (await call(`/derived_table/${id}/stop`)).json()) as Materialization;
    expect(JSON.parse(stop.resp_text!)).toMatchObject({ success: true });
    for (let i = 0; i < 4; i++) expect(await status(id)).toBe("killed");
    expect(builds()).toBe(before);
  });

  it("answers an unknown view 404", async () => {
    expect(await outcome(await start("thelook", "weekly_orders"))).toEqual({
      status: 404,
      body: NOT_FOUND,
    });
  });

  it("answers an unknown model 404", async () => {
    expect((await start("otherlook", "daily_orders")).status).toBe(404);
  });

  it("answers the status of an unknown materialization 404", async () => {
    expect((await call("/derived_table/123456789/status")).status).toBe(404);
  });

  it("answers stopping an unknown materialization 404", async () => {
    expect((await call("/derived_table/123456789/stop")).status).toBe(404);
  });

  it("refuses a workspace other than dev or production", async () => {
    expect((await start("thelook", "daily_orders", "?workspace=staging")).status).toBe(400);
  });

  it("starts builds by GET only, as the spec has it", async () => {
    expect(
      (await call("/derived_table/thelook/daily_orders/start", { method: "POST", body: {} }))
        .status,
    ).toBe(404);
  });
});

describe("faults and bookkeeping", () => {
  it("answers the next requests 429 without Retry-After, then recovers", async () => {
    looker.failNext(2, 429);
    const first = await call("/looks");
    expect(first.headers.get("retry-after")).toBeNull();
    expect(await outcome(first)).toEqual({
      status: 429,
      body: { message: "Too Many Requests", documentation_url: DOCS },
    });
    const loginRes = await fetch(`${looker.url}/api/4.0/login`, {
      method: "POST",
      body: form(looker.clientId, looker.clientSecret),
    });
    expect(loginRes.status).toBe(429);
    expect((await call("/looks")).status).toBe(200);
  });

  it("answers a chosen status and body", async () => {
    looker.failNext(1, 503, { message: "Looker is restarting" });
    expect(await callOutcome("/datagroups")).toEqual({
      status: 503,
      body: { message: "Looker is restarting" },
    });
  });

  it("records every request with its status and Authorization header", async () => {
    await call("/looks/1/run/csv?limit=2", { auth: `Bearer ${token}` });
    await call("/looks", { auth: null });
    expect(looker.requests.slice(-2)).toEqual([
      {
        method: "GET",
        path: "/api/4.0/looks/1/run/csv?limit=2",
        at: expect.any(Number),
        status: 200,
        auth: `Bearer ${token}`,
      },
      { method: "GET", path: "/api/4.0/looks", at: expect.any(Number), status: 401 },
    ]);
  });

  it("has no endpoint that takes rows", async () => {
    expect(
      await callOutcome("/looks/1/rows", { method: "POST", body: { rows: [{ a: 1 }] } }),
    ).toEqual({ status: 404, body: NOT_FOUND });
  });

  it("serves API 4.0 only", async () => {
    const res = await fetch(`${looker.url}/api/3.1/looks`, {
      headers: { authorization: `token ${token}` },
    });
    expect(res.status).toBe(404);
  });
});
