// The REST API (/api/v1) as a script uses it: API tokens and their scopes, the export flow from
// upload to download, the error envelope, and the OpenAPI document made from the same routes.
import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, waitFor } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let tokens: Record<"read" | "run" | "admin", string>;

async function api(
  method: string,
  path: string,
  init: { token?: string; json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {},
) {
  const { dispatchRest } = await import("@/server/api/rest/dispatch");
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  const request = new Request(`http://127.0.0.1/api/v1${path}`, {
    method,
    headers,
    body,
    ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
  const segments = new URL(request.url).pathname.split("/").filter(Boolean).slice(2);
  return dispatchRest(request, segments);
}

beforeAll(async () => {
  app = await startTestApp();
  const { startWorker } = await import("@/server/boot");
  await startWorker();
  const { createApiToken } = await import("@/server/services/tokens/api-tokens");
  tokens = {
    read: (await createApiToken(app.userId, { name: "reader", scope: "read" })).token,
    run: (await createApiToken(app.userId, { name: "runner", scope: "run" })).token,
    admin: (await createApiToken(app.userId, { name: "admin", scope: "admin" })).token,
  };
});

afterAll(async () => {
  await app?.stop();
});

describe("tokens", () => {
  it("refuses a request without a token, with a wrong one, and a scope too small, in one error shape", async () => {
    const none = await api("GET", "/tables");
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({
      error: {
        code: "UNAUTHORIZED",
        message:
          "Send an API token as 'Authorization: Bearer <token>'; create one on the API page.",
      },
    });
    const wrong = await api("GET", "/tables", { token: "dh_not-a-token" });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error.code).toBe("UNAUTHORIZED");
    const narrow = await api("POST", "/exports", { token: tokens.read, json: { tableId: "x" } });
    expect(narrow.status).toBe(403);
    expect(await narrow.json()).toEqual({
      error: {
        code: "FORBIDDEN",
        message: 'This API token\'s scope is "read"; POST /exports needs "run".',
      },
    });
    expect((await api("GET", "/tables", { token: tokens.read })).status).toBe(200);
  });

  it("stores only a hash, records the last use, and stops working once revoked", async () => {
    const { createApiToken, revokeApiToken } = await import("@/server/services/tokens/api-tokens");
    const { token, view } = await createApiToken(app.userId, {
      name: "short-lived",
      scope: "read",
    });
    const row = await app.db.apiToken.findUniqueOrThrow({ where: { id: view.id } });
    expect(row.tokenHash).not.toContain(token.slice(3));
    expect(row.lastUsedAt).toBeNull();
    expect((await api("GET", "/reports", { token })).status).toBe(200);
    expect(
      (await app.db.apiToken.findUniqueOrThrow({ where: { id: view.id } })).lastUsedAt,
    ).not.toBeNull();
    await revokeApiToken(app.userId, view.id);
    expect((await api("GET", "/reports", { token })).status).toBe(401);
  });

  it("works on the procedures a session uses, within its scope", async () => {
    const { createTRPCContext } = await import("@/server/api/trpc");
    const { createCaller } = await import("@/server/api/root");
    const as = async (token: string) =>
      createCaller(
        await createTRPCContext({ headers: new Headers({ authorization: `Bearer ${token}` }) }),
      );
    expect(Array.isArray(await (await as(tokens.read)).tables.list())).toBe(true);
    await expect(
      (await as(tokens.read)).tables.createTransform({
        name: "x",
        tableId: "y",
        steps: [],
        outputs: [],
      }),
    ).rejects.toThrow('This API token\'s scope is "read"; this needs "run".');
    await expect((await as(tokens.run)).system.setRetentionDays({ days: 5 })).rejects.toThrow(
      'this needs "admin"',
    );
    await (await as(tokens.admin)).system.setRetentionDays({ days: 30 });
  });
});

describe("the export flow", () => {
  it("uploads, creates a transform, exports, follows the status and downloads the file", async () => {
    const csv = "region,units,price\nNorth,3,9.5\nSouth,10,2.25\nNorth,7,4\n";
    const uploaded = await api("POST", "/tables?fileName=sales.csv&name=Sales", {
      token: tokens.run,
      body: csv,
    });
    expect(uploaded.status).toBe(201);
    const table = (await uploaded.json()) as { id: string; rows: number };
    expect(table.rows).toBe(3);

    const created = await api("POST", "/transforms", {
      token: tokens.run,
      json: {
        name: "North revenue",
        tableId: table.id,
        steps: [
          {
            kind: "filter",
            conditions: [{ column: "region", operator: "equals", value: "North" }],
          },
          { kind: "compute", name: "revenue", expression: "units * price" },
          { kind: "select", columns: [{ column: "region" }, { column: "revenue" }] },
        ],
        outputs: [{ format: "csv" }],
      },
    });
    expect(created.status).toBe(201);
    const transform = (await created.json()) as { id: string };

    const started = await api("POST", "/exports", {
      token: tokens.run,
      json: { transformId: transform.id },
    });
    expect(started.status).toBe(202);
    const { jobId, statusUrl } = (await started.json()) as { jobId: string; statusUrl: string };
    expect(statusUrl).toBe(`/api/v1/exports/${jobId}`);

    const finished = await waitFor(async () => {
      const status = (await (
        await api("GET", `/exports/${jobId}`, { token: tokens.read })
      ).json()) as {
        job: { status: string };
        outputs: { rows: number | null }[];
      };
      return status.job.status === "completed" ? status : null;
    });
    expect(finished.outputs[0]!.rows).toBe(2);

    const download = await api("GET", `/exports/${jobId}/download`, { token: tokens.read });
    expect(download.status).toBe(200);
    expect(download.headers.get("content-disposition")).toContain('filename="North revenue.csv"');
    const text = await download.text();
    expect(Number(download.headers.get("x-content-length"))).toBe(Buffer.byteLength(text));
    expect(Papa.parse(text.trim()).data).toEqual([
      ["region", "revenue"],
      ["North", "28.5"],
      ["North", "28.0"],
    ]);
    expect((await api("GET", `/jobs/${jobId}`, { token: tokens.read })).status).toBe(200);

    const late = await api("POST", `/exports/${jobId}/cancel`, { token: tokens.run });
    expect(late.status).toBe(409);
    expect(await late.json()).toEqual({
      error: { code: "CONFLICT", message: "This job has already finished." },
    });
  });

  it("answers bad input, unknown routes and wrong methods in the same error shape", async () => {
    const bad = await api("POST", "/transforms", {
      token: tokens.run,
      json: { name: "", steps: [{ kind: "nope" }] },
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as {
      error: { code: string; message: string; fields: Record<string, string> };
    };
    expect(body.error.code).toBe("BAD_REQUEST");
    expect(Object.keys(body.error.fields)).toEqual(expect.arrayContaining(["name", "tableId"]));
    const notJson = await api("POST", "/exports", {
      token: tokens.run,
      body: "{",
      headers: { "content-type": "application/json" },
    });
    expect(await notJson.json()).toEqual({
      error: { code: "BAD_REQUEST", message: "The request body is not JSON." },
    });
    const missing = await api("GET", "/exports/no-such-job", { token: tokens.read });
    expect(missing.status).toBe(404);
    const unknown = await api("GET", "/nothing-here", { token: tokens.read });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe("NOT_FOUND");
    const method = await api("PUT", "/exports", { token: tokens.run });
    expect(method.status).toBe(405);
    expect(method.headers.get("allow")).toBe("POST");
  });
});

describe("the OpenAPI document", () => {
  it("lists every route with its scope, parameters and the request body schema its handler validates with", async () => {
    const response = await api("GET", "/openapi.json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            "x-datahaul-scope"?: string;
            parameters: { name: string; in: string }[];
            requestBody?: {
              content: Record<string, { schema: { properties?: Record<string, unknown> } }>;
            };
          }
        >
      >;
    };
    expect(document.openapi).toBe("3.1.0");
    const { REST_ROUTES } = await import("@/server/api/rest/routes");
    for (const route of REST_ROUTES)
      expect(document.paths[route.path]?.[route.method.toLowerCase()]?.["x-datahaul-scope"]).toBe(
        route.scope,
      );
    const start = document.paths["/exports"]!.post!;
    expect(Object.keys(start.requestBody!.content["application/json"]!.schema.properties!)).toEqual(
      expect.arrayContaining(["transformId", "tableId", "steps", "outputs"]),
    );
    expect(document.paths["/exports/{jobId}"]!.get!.parameters).toEqual([
      expect.objectContaining({ name: "jobId", in: "path" }),
    ]);
  });
});
