// Who may call what. Every tRPC procedure, every REST route and every route file under app/api is
// listed here with the least role it needs; a new one without a line here fails the first tests,
// and each line is checked by calling it as a viewer, an operator and an admin (each through an
// API token of their own, which can never do more than its owner).
import fs from "node:fs";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TRole } from "@/server/auth/access";
import { startTestApp } from "./support/test-app";

type TRule = TRole | "public";

const PROCEDURES: Record<string, TRule> = {
  "alerts.list": "viewer",
  "alerts.sendTest": "admin",
  "audit.list": "admin",
  "batches.analyze": "operator",
  "batches.create": "operator",
  "batches.runAgain": "operator",
  "batches.skippedRows": "viewer",
  "connectors.list": "viewer",
  "connectors.save": "admin",
  "connectors.delete": "admin",
  "connectors.test": "admin",
  "destinations.push": "operator",
  "destinations.refresh": "operator",
  "destinations.deliveriesOf": "viewer",
  "jobs.list": "viewer",
  "jobs.page": "viewer",
  "jobs.progress": "viewer",
  "jobs.productItems": "viewer",
  "jobs.failedItems": "viewer",
  "jobs.cancel": "operator",
  "jobs.retryFailed": "operator",
  "jobs.delete": "operator",
  "jobs.deleteMany": "operator",
  "jobs.retryMany": "operator",
  "pipelines.list": "viewer",
  "pipelines.save": "operator",
  "pipelines.delete": "operator",
  "pipelines.run": "operator",
  "reports.list": "viewer",
  "reports.history": "viewer",
  "reports.save": "operator",
  "reports.delete": "operator",
  "reports.duplicate": "operator",
  "reports.importRequestJson": "operator",
  "reports.run": "operator",
  "reports.browse": "operator",
  "reports.parameters": "operator",
  "reports.preview": "operator",
  "reports.runProgress": "viewer",
  "schedules.list": "viewer",
  "schedules.history": "viewer",
  "schedules.preview": "viewer",
  "schedules.save": "operator",
  "schedules.setEnabled": "operator",
  "schedules.delete": "operator",
  "schedules.setEnabledMany": "operator",
  "schedules.duplicate": "operator",
  "schedules.runNow": "operator",
  "schedules.failedRuns": "viewer",
  "setup.createAdmin": "public",
  "setup.describePasswordLink": "public",
  "setup.setPassword": "public",
  "system.check": "viewer",
  "system.settings": "viewer",
  "system.processes": "viewer",
  "system.setRetentionDays": "admin",
  "system.version": "admin",
  "system.jobStorage": "admin",
  "system.deleteFinishedJob": "admin",
  "system.recentWarnings": "admin",
  "system.gettingStarted": "viewer",
  "system.setGettingStartedDismissed": "viewer",
  "tables.list": "viewer",
  "tables.get": "viewer",
  "tables.reportRuns": "viewer",
  "tables.createFromReport": "operator",
  "tables.rename": "operator",
  "tables.delete": "operator",
  "tables.transforms": "viewer",
  "tables.transform": "viewer",
  "tables.createTransform": "operator",
  "tables.updateTransform": "operator",
  "tables.deleteTransform": "operator",
  "tables.preview": "viewer",
  "tables.startExport": "operator",
  "tokens.list": "viewer",
  "tokens.create": "viewer",
  "tokens.revoke": "viewer",
  "users.me": "viewer",
  "users.list": "admin",
  "users.create": "admin",
  "users.update": "admin",
  "users.setDisabled": "admin",
  "users.newPasswordLink": "admin",
  "users.singleSignOn": "admin",
  "users.saveSingleSignOn": "admin",
};

/** Route files under app/, by method; "delegated": the file hands over to rules listed above. */
const APP_ROUTES: Record<string, TRule | "delegated" | "signed link"> = {
  "GET /api/auth/[...all]": "public",
  "POST /api/auth/[...all]": "public",
  "GET /api/deliveries/[deliveryId]/files/[index]": "signed link",
  "GET /api/exports/[jobId]/archive": "viewer",
  "GET /api/exports/[jobId]/files/[outputId]": "viewer",
  "GET /api/jobs/[jobId]/archive": "viewer",
  "GET /api/jobs/[jobId]/events": "viewer",
  "GET /api/jobs/[jobId]/failed": "viewer",
  "GET /api/jobs/[jobId]/items/[itemId]/image": "viewer",
  "GET /api/jobs/[jobId]/manifest": "viewer",
  "GET /api/jobs/[jobId]/products/[product]/archive": "viewer",
  "GET /api/jobs/[jobId]/skipped": "viewer",
  "GET /api/reports/request-json": "viewer",
  "GET /api/runs/[jobId]/archive": "viewer",
  "GET /api/runs/[jobId]/files/[fileId]": "viewer",
  "GET /api/runs/[jobId]/summary": "viewer",
  "POST /api/tables": "operator",
  "GET /api/trpc/[trpc]": "delegated",
  "POST /api/trpc/[trpc]": "delegated",
  "GET /api/v1/[...path]": "delegated",
  "POST /api/v1/[...path]": "delegated",
  "PUT /api/v1/[...path]": "delegated",
  "DELETE /api/v1/[...path]": "delegated",
  // and a token with the "metrics" scope (tests/metrics.int.test.ts)
  "GET /metrics": "admin",
};

const REST: Record<string, TRule> = {
  "GET /tables": "viewer",
  "POST /tables": "operator",
  "GET /tables/{tableId}": "viewer",
  "DELETE /tables/{tableId}": "operator",
  "GET /transforms": "viewer",
  "POST /transforms": "operator",
  "GET /transforms/{transformId}": "viewer",
  "PUT /transforms/{transformId}": "operator",
  "DELETE /transforms/{transformId}": "operator",
  "POST /transforms/{transformId}/preview": "viewer",
  "POST /exports": "operator",
  "GET /exports/{jobId}": "viewer",
  "GET /exports/{jobId}/download": "viewer",
  "GET /exports/{jobId}/files/{outputId}": "viewer",
  "POST /exports/{jobId}/cancel": "operator",
  "GET /destinations": "viewer",
  "POST /destinations/{connectorId}/test": "admin",
  "POST /pushes": "operator",
  "POST /refreshes": "operator",
  "GET /pushes/{jobId}": "viewer",
  "GET /jobs/{jobId}/deliveries": "viewer",
  "GET /reports/{reportId}/history": "viewer",
  "GET /schedules/{scheduleId}/history": "viewer",
  "GET /reports": "viewer",
  "POST /reports/runs": "operator",
  "GET /jobs/{jobId}": "viewer",
  "POST /jobs/{jobId}/cancel": "operator",
  "POST /jobs/{jobId}/retry": "operator",
  "DELETE /jobs/{jobId}": "operator",
};

const ROLE_ORDER: TRole[] = ["viewer", "operator", "admin"];
const reaches = (role: TRole, needed: TRole) =>
  ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf(needed);

let app: Awaited<ReturnType<typeof startTestApp>>;
const tokenOf = {} as Record<TRole, string>;
const userOf = {} as Record<TRole, string>;

beforeAll(async () => {
  app = await startTestApp();
  const { createApiToken } = await import("@/server/services/tokens/api-tokens");
  const scopeOf = { viewer: "read", operator: "run", admin: "admin" } as const;
  for (const role of ROLE_ORDER) {
    const user = await app.db.user.create({
      data: { id: crypto.randomUUID(), name: role, email: `${role}@example.com`, role },
    });
    userOf[role] = user.id;
    tokenOf[role] = (await createApiToken(user.id, { name: role, scope: scopeOf[role] })).token;
  }
});

afterAll(async () => {
  await app?.stop();
});

function bearer(token: string | null): Headers {
  const headers = new Headers();
  if (token) headers.set("authorization", `Bearer ${token}`);
  return headers;
}

async function callProcedure(name: string, token: string | null): Promise<string> {
  const { createCaller } = await import("@/server/api/root");
  const { createTRPCContext } = await import("@/server/api/trpc");
  const caller = createCaller(await createTRPCContext({ headers: bearer(token) }));
  const [router, procedure] = name.split(".");
  const call = (caller as unknown as Record<string, Record<string, (input: unknown) => unknown>>)[
    router!
  ]![procedure!]!;
  try {
    // input that parses for no procedure: an allowed call stops at its input, never runs
    await call("not an input");
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

describe("every procedure and route has a rule", () => {
  it("lists every tRPC procedure", async () => {
    const { appRouter } = await import("@/server/api/root");
    const procedures = Object.keys(appRouter._def.procedures).sort();
    expect(procedures).toEqual(Object.keys(PROCEDURES).sort());
  });

  it("lists every route file's methods under app/", () => {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name === "route.ts") {
          const route = `/${path.relative("app", path.dirname(full))}`;
          const exported = fs
            .readFileSync(full, "utf8")
            .split("\n")
            .filter((line) => line.startsWith("export"))
            .join(" ");
          for (const method of new Set(exported.match(/\b(GET|POST|PUT|PATCH|DELETE|HEAD)\b/g)))
            found.push(`${method} ${route}`);
        }
      }
    };
    walk("app");
    expect(found.sort()).toEqual(Object.keys(APP_ROUTES).sort());
  });

  it("lists every REST route", async () => {
    const { REST_ROUTES } = await import("@/server/api/rest/routes");
    const routes = REST_ROUTES.map((r) => `${r.method} ${r.path}`).sort();
    expect(routes).toEqual(Object.keys(REST).sort());
  });
});

describe("procedures", () => {
  it("refuses each role below a procedure's rule, lets the others through to the input check, and a stranger nowhere but the public ones", async () => {
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const [name, rule] of Object.entries(PROCEDURES)) {
      const stranger = await callProcedure(name, null);
      outcomes.push(`${name} stranger ${stranger === "UNAUTHORIZED" ? "refused" : "let in"}`);
      expected.push(`${name} stranger ${rule === "public" ? "let in" : "refused"}`);
      if (rule === "public") continue;
      for (const role of ROLE_ORDER) {
        const code = await callProcedure(name, tokenOf[role]);
        outcomes.push(`${name} ${role} ${code === "FORBIDDEN" ? "refused" : "let in"}`);
        expected.push(`${name} ${role} ${reaches(role, rule) ? "let in" : "refused"}`);
        expect(code).not.toBe("UNAUTHORIZED");
      }
    }
    expect(outcomes).toEqual(expected);
  });

  it("says why in words a person can act on", async () => {
    const { createCaller } = await import("@/server/api/root");
    const { createTRPCContext } = await import("@/server/api/trpc");
    const caller = createCaller(await createTRPCContext({ headers: bearer(tokenOf.viewer) }));
    await expect(caller.connectors.delete({ id: crypto.randomUUID() })).rejects.toThrow(
      "This API token belongs to a viewer; this needs an admin.",
    );
  });
});

describe("REST routes", () => {
  it("refuses each role below a route's rule with 403, and a stranger with 401", async () => {
    const { dispatchRest } = await import("@/server/api/rest/dispatch");
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const [route, rule] of Object.entries(REST)) {
      const [method, pattern] = route.split(" ") as [string, string];
      const url = `http://127.0.0.1/api/v1${pattern.replace(/\{[^}]+\}/g, "00000000-0000-4000-8000-000000000000")}`;
      const status = async (token: string | null) => {
        const request = new Request(url, { method, headers: bearer(token) });
        const segments = new URL(url).pathname.split("/").filter(Boolean).slice(2);
        const response = await dispatchRest(request, segments);
        await response.body?.cancel();
        return response.status;
      };
      const stranger = await status(null);
      outcomes.push(`${route} stranger ${stranger === 401 ? "refused" : "let in"}`);
      expected.push(`${route} stranger ${rule === "public" ? "let in" : "refused"}`);
      if (rule === "public") continue;
      for (const role of ROLE_ORDER) {
        const code = await status(tokenOf[role]);
        outcomes.push(`${route} ${role} ${code === 403 ? "refused" : "let in"}`);
        expected.push(`${route} ${role} ${reaches(role, rule) ? "let in" : "refused"}`);
      }
    }
    expect(outcomes).toEqual(expected);
  });
});

describe("route files", () => {
  it("refuses each role below a route's rule with 403, and a stranger with 401", async () => {
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const [route, rule] of Object.entries(APP_ROUTES)) {
      if (rule === "delegated" || rule === "public") continue;
      const [method, pattern] = route.split(" ") as [string, string];
      const routeModule = (await import(path.resolve(`app${pattern}/route.ts`))) as Record<
        string,
        (
          request: Request,
          context: { params: Promise<Record<string, string>> },
        ) => Promise<Response>
      >;
      const params = Object.fromEntries(
        [...pattern.matchAll(/\[([^\]]+)\]/g)].map((match) => [
          match[1]!,
          "00000000-0000-4000-8000-000000000000",
        ]),
      );
      const status = async (token: string | null) => {
        const abort = new AbortController();
        const request = new Request(`http://127.0.0.1${pattern}`, {
          method,
          headers: bearer(token),
          signal: abort.signal,
        });
        const response = await routeModule[method]!(request, { params: Promise.resolve(params) });
        abort.abort();
        await response.body?.cancel().catch(() => {});
        return response.status;
      };
      const stranger = await status(null);
      outcomes.push(
        `${route} stranger ${stranger === 401 || stranger === 403 ? "refused" : "let in"}`,
      );
      expected.push(`${route} stranger refused`);
      if (rule === "signed link") continue;
      for (const role of ROLE_ORDER) {
        const code = await status(tokenOf[role]);
        outcomes.push(`${route} ${role} ${code === 403 ? "refused" : "let in"}`);
        expected.push(`${route} ${role} ${reaches(role, rule) ? "let in" : "refused"}`);
      }
    }
    expect(outcomes).toEqual(expected);
  });
});

describe("tokens and accounts", () => {
  it("never makes a token that does more than its owner", async () => {
    const { createApiToken } = await import("@/server/services/tokens/api-tokens");
    await expect(createApiToken(userOf.viewer, { name: "too wide", scope: "run" })).rejects.toThrow(
      'Your role is viewer; a token with the "run" scope needs an operator or an admin.',
    );
  });

  it("narrows a token at once when its owner is demoted, and stops it when the owner is disabled", async () => {
    const { createApiToken } = await import("@/server/services/tokens/api-tokens");
    const { setUserDisabled, updateUser } = await import("@/server/services/accounts/users");
    const user = await app.db.user.create({
      data: {
        id: crypto.randomUUID(),
        name: "Demoted",
        email: "demoted@example.com",
        role: "admin",
      },
    });
    const { token } = await createApiToken(user.id, { name: "wide", scope: "admin" });
    expect(await callProcedure("users.list", token)).toBe("OK");
    await updateUser(userOf.admin, { id: user.id, name: "Demoted", role: "operator" });
    expect(await callProcedure("users.list", token)).toBe("FORBIDDEN");
    expect(await callProcedure("reports.run", token)).toBe("BAD_REQUEST");
    await setUserDisabled(userOf.admin, user.id, true);
    expect(await callProcedure("jobs.list", token)).toBe("UNAUTHORIZED");
    await setUserDisabled(userOf.admin, user.id, false);
    expect(await callProcedure("jobs.list", token)).toBe("OK");
  });
});
