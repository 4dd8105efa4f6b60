// The audit log: sign-ins through the real sign-in route (taken and refused), changes made through
// the procedures the pages call and the REST API, never a secret's value, filters, and retention.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
let adminToken: string;

beforeAll(async () => {
  app = await startTestApp();
  const { createApiToken } = await import("@/server/services/tokens/api-tokens");
  adminToken = (await createApiToken(app.userId, { name: "audit", scope: "admin" })).token;
});

afterAll(async () => {
  await app?.stop();
});

async function caller(address: string) {
  const { createCaller } = await import("@/server/api/root");
  const { createTRPCContext } = await import("@/server/api/trpc");
  const { CLIENT_ADDRESS_HEADER } = await import("@/server/auth/client-address");
  return createCaller(
    await createTRPCContext({
      headers: new Headers({
        authorization: `Bearer ${adminToken}`,
        [CLIENT_ADDRESS_HEADER]: address,
      }),
    }),
  );
}

async function signIn(email: string, password: string, address: string) {
  const route = await import("@/app/api/auth/[...all]/route");
  const { CLIENT_ADDRESS_HEADER } = await import("@/server/auth/client-address");
  const response = await route.POST(
    new Request("http://127.0.0.1/api/auth/sign-in/email", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        origin: "http://127.0.0.1",
        [CLIENT_ADDRESS_HEADER]: address,
      },
      body: JSON.stringify({ email, password }),
    }),
  );
  return response.status;
}

const lines = async (action = "") => {
  const { listAudit } = await import("@/server/services/audit/audit");
  return (await listAudit({ action })).lines;
};

describe("audit log", () => {
  it("records sign-ins and failed ones, with the address they came from", async () => {
    const { createUser, setPasswordWithLink } = await import("@/server/services/accounts/users");
    const { linkPath } = await createUser({
      name: "Ana",
      email: "ana@example.com",
      role: "viewer",
    });
    await setPasswordWithLink({ token: linkPath.split("#")[1]!, password: "anas-password" });
    expect(await signIn("ana@example.com", "wrong-password", "10.0.0.7")).toBe(401);
    expect(await signIn("ana@example.com", "anas-password", "10.0.0.8")).toBe(200);
    expect(await signIn("nobody@example.com", "whatever-it-is", "10.0.0.9")).toBe(401);
    const signIns = await lines("sign-in");
    expect(signIns.map((l) => [l.action, l.actor, l.target, l.address])).toEqual([
      ["sign-in failed", "nobody@example.com", "wrong email or password", "10.0.0.9"],
      ["sign-in", "Ana <ana@example.com>", "", "10.0.0.8"],
      ["sign-in failed", "Ana <ana@example.com>", "wrong email or password", "10.0.0.7"],
    ]);
  });

  it("records user, connector and token changes made through the procedures, never a secret's value", async () => {
    const api = await caller("10.0.0.20");
    const { user } = await api.users.create({
      name: "Olga",
      email: "olga@example.com",
      role: "viewer",
    });
    await api.users.update({ id: user.id, name: "Olga", role: "operator" });
    await api.connectors.save({
      name: "Sales Metabase",
      kind: "metabase",
      baseUrl: "http://127.0.0.1:9",
      settings: { authMethod: "api_key" },
      secrets: { apiKey: "mb_the_secret_value" },
    });
    await api.tokens.create({ name: "nightly", scope: "read" });
    // a refused change is not a change
    await expect(api.users.setDisabled({ id: app.userId, isDisabled: true })).rejects.toThrow();

    const recorded = await lines();
    const text = JSON.stringify(recorded);
    expect(text).not.toContain("mb_the_secret_value");
    const byAction = (action: string) => recorded.filter((line) => line.action === action);
    expect(byAction("users.create")[0]).toMatchObject({
      actor: expect.stringMatching(/^Tester </),
      target: "olga@example.com as viewer (API token)",
      address: "10.0.0.20",
    });
    expect(byAction("users.update")[0]!.target).toBe(
      `olga@example.com (user ${user.id}) as operator (API token)`,
    );
    expect(byAction("connectors.save")[0]!.target).toMatch(
      /^Sales Metabase \(metabase, new\) · connector [0-9a-f-]{36} · secrets set: apiKey \(API token\)$/,
    );
    expect(byAction("tokens.create")[0]!.target).toBe("nightly (read) (API token)");
    expect(byAction("users.setDisabled")).toEqual([]);
    // the filter takes an action's start
    expect((await lines("users.")).map((line) => line.action).sort()).toEqual([
      "users.create",
      "users.update",
    ]);
  });

  it("records what a script changes through the REST API", async () => {
    const { dispatchRest } = await import("@/server/api/rest/dispatch");
    const jobId = "00000000-0000-4000-8000-000000000000";
    const request = new Request(`http://127.0.0.1/api/v1/jobs/${jobId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${adminToken}` },
    });
    const response = await dispatchRest(request, ["jobs", jobId]);
    // deleting a job that is not there answers 404 and changes nothing: not recorded
    expect(response.status).toBe(404);
    expect(await lines("DELETE")).toEqual([]);
    const upload = await dispatchRest(
      new Request("http://127.0.0.1/api/v1/tables?name=orders", {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "text/csv" },
        body: "a,b\n1,2\n",
      }),
      ["tables"],
    );
    expect(upload.status).toBe(201);
    expect((await lines("POST /tables"))[0]).toMatchObject({
      action: "POST /tables",
      target: "(API token)",
    });
  });

  it("forgets lines older than the retention, and keeps them all at 0", async () => {
    const { purgeOldAudit } = await import("@/server/services/audit/audit");
    await app.db.auditEvent.create({
      data: { actor: "old", action: "sign-in", at: new Date(Date.now() - 40 * 24 * 3600_000) },
    });
    const before = await app.db.auditEvent.count();
    expect(await purgeOldAudit(0)).toBe(0);
    expect(await purgeOldAudit(30)).toBe(1);
    expect(await app.db.auditEvent.count()).toBe(before - 1);
  });
});
