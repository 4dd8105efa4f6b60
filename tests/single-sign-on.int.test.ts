// Single sign-on against a real OpenID Connect provider started here (oidc-provider): the whole
// redirect dance through better-auth's handler, people matched by the email the provider verified,
// new people added or refused as the admin set, and the answers a careful client must refuse: an
// ID token for another audience, an expired one, an unverified email, a replayed callback.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  signInAtProvider,
  startOidcProvider,
  type TOidcProvider,
} from "@/test-support/oidc-provider";
import { startTestApp } from "./support/test-app";

const APP = "http://127.0.0.1";
const CLIENT = { clientId: "datahaul", clientSecret: "provider-given-secret-0123456789" };

let app: Awaited<ReturnType<typeof startTestApp>>;
let provider: TOidcProvider;

beforeAll(async () => {
  app = await startTestApp();
  provider = await startOidcProvider({
    clients: [{ ...CLIENT, redirectUris: [`${APP}/api/auth/sso/callback`] }],
    accounts: {
      ada: { email: "Ada@Example.com", emailVerified: true, name: "Ada Lovelace" },
      newcomer: { email: "newcomer@example.com", emailVerified: true, name: "New Comer" },
      unverified: { email: "unverified@example.com", emailVerified: false },
      expired: { email: "ada@example.com", emailVerified: true, quirk: "expired" },
      elsewhere: { email: "ada@example.com", emailVerified: true, quirk: "wrongAudience" },
      gone: { email: "gone@example.com", emailVerified: true },
    },
  });
  const { createUser, setUserDisabled } = await import("@/server/services/accounts/users");
  await createUser({ name: "Ada Lovelace", email: "ada@example.com", role: "operator" });
  const gone = await createUser({ name: "Gone", email: "gone@example.com", role: "viewer" });
  const admin = await app.db.user.findFirstOrThrow({ where: { role: "admin" } });
  await setUserDisabled(admin.id, gone.user.id, true);
});

afterAll(async () => {
  await provider?.close();
  await app?.stop();
});

async function configure(overrides: Record<string, unknown> = {}) {
  const { saveSingleSignOn } = await import("@/server/services/accounts/single-sign-on");
  return saveSingleSignOn({
    isEnabled: true,
    issuer: provider.issuer,
    clientId: CLIENT.clientId,
    clientSecret: CLIENT.clientSecret,
    newUsers: "refuse",
    defaultRole: "viewer",
    ...overrides,
  });
}

const cookiePair = (response: Response, name: string) =>
  response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(";")[0]!)
    .find((pair) => pair.startsWith(`${name}=`) && pair.length > name.length + 1) ?? null;

/** Start at DataHaul, sign in at the provider as `login`, come back: where the app sends the browser. */
async function signInAs(login: string, next = "/jobs") {
  const { auth } = await import("@/server/auth/auth");
  const start = await auth.handler(
    new Request(`${APP}/api/auth/sso/start?next=${encodeURIComponent(next)}`),
  );
  expect(start.status).toBe(302);
  const authorizeUrl = start.headers.get("location")!;
  expect(authorizeUrl.startsWith(`${provider.issuer}/`)).toBe(true);
  const pending = cookiePair(start, "better-auth.sso_pending");
  expect(pending).not.toBeNull();
  const callbackUrl = await signInAtProvider(authorizeUrl, login);
  expect(callbackUrl.startsWith(`${APP}/api/auth/sso/callback?`)).toBe(true);
  const back = await auth.handler(new Request(callbackUrl, { headers: { cookie: pending! } }));
  expect(back.status).toBe(302);
  return {
    location: back.headers.get("location")!,
    session: cookiePair(back, "better-auth.session_token"),
    callbackUrl,
    pending: pending!,
  };
}

async function userOf(session: string | null) {
  const { getSessionUser } = await import("@/server/auth/auth");
  return session ? getSessionUser(new Headers({ cookie: session })) : null;
}

async function lastAudit() {
  return app.db.auditEvent.findFirstOrThrow({ orderBy: { at: "desc" } });
}

describe("single sign-on", () => {
  it("refuses to switch on for an address that is no OpenID provider, and keeps the secret out of the view", async () => {
    await expect(configure({ issuer: `${provider.issuer}/nowhere` })).rejects.toThrow(
      /Could not read http:\/\/127\.0\.0\.1:\d+\/nowhere\/\.well-known\/openid-configuration/,
    );
    const view = await configure();
    expect(view).toMatchObject({ isEnabled: true, hasClientSecret: true });
    expect(JSON.stringify(view)).not.toContain(CLIENT.clientSecret);
    const stored = await app.db.setting.findUniqueOrThrow({ where: { key: "singleSignOn" } });
    expect(stored.value).not.toContain(CLIENT.clientSecret);
  });

  it("asks for the client secret again when the issuer moves to another origin", async () => {
    await configure();
    const { saveSingleSignOn } = await import("@/server/services/accounts/single-sign-on");
    await expect(
      saveSingleSignOn({
        isEnabled: false,
        issuer: "https://login.example.net/tenant/v2.0",
        clientId: CLIENT.clientId,
        newUsers: "refuse",
        defaultRole: "viewer",
      }),
    ).rejects.toThrow(/enter the client secret again/);
  });

  it("signs a known person in by the email the provider verified, into better-auth's own session", async () => {
    await configure();
    const result = await signInAs("ada", "/jobs?status=failed");
    expect(result.location).toBe(`${APP}/jobs?status=failed`);
    expect(await userOf(result.session)).toMatchObject({
      email: "ada@example.com",
      role: "operator",
    });
    expect(await lastAudit()).toMatchObject({
      action: "sign-in",
      target: "single sign-on",
      actor: "Ada Lovelace <ada@example.com>",
    });
  });

  it("refuses a replayed callback: the pending sign-in is used up", async () => {
    await configure();
    const { auth } = await import("@/server/auth/auth");
    const first = await signInAs("ada");
    expect(first.session).not.toBeNull();
    const again = await auth.handler(
      new Request(first.callbackUrl, { headers: { cookie: first.pending } }),
    );
    // the cookie still matches, but the provider takes a code once
    expect(again.headers.get("location")).toBe(`${APP}/sign-in?sso_error=invalid_answer`);
    const noCookie = await auth.handler(new Request(first.callbackUrl));
    expect(noCookie.headers.get("location")).toBe(`${APP}/sign-in?sso_error=expired_attempt`);
    expect(cookiePair(noCookie, "better-auth.session_token")).toBeNull();
  });

  it("refuses people without an account, or adds them with the default role when the admin allows it", async () => {
    await configure({ newUsers: "refuse" });
    const refused = await signInAs("newcomer");
    expect(refused.location).toBe(`${APP}/sign-in?sso_error=no_account`);
    expect(refused.session).toBeNull();
    expect(await app.db.user.findUnique({ where: { email: "newcomer@example.com" } })).toBeNull();
    expect(await lastAudit()).toMatchObject({
      action: "sign-in failed",
      actor: "newcomer@example.com",
      target: "single sign-on: no account uses this email",
    });

    await configure({ newUsers: "create", defaultRole: "operator" });
    const added = await signInAs("newcomer");
    expect(await userOf(added.session)).toMatchObject({
      email: "newcomer@example.com",
      name: "New Comer",
      role: "operator",
    });
    expect((await lastAudit()).target).toBe("single sign-on; account added as operator");
  });

  it("refuses an unverified email, a disabled account, an expired ID token and one for another audience", async () => {
    await configure({ newUsers: "create" });
    const cases = [
      ["unverified", "email_unverified", /has not verified this email/],
      ["gone", "account_disabled", /disabled/],
      ["expired", "invalid_answer", /"exp"/],
      ["elsewhere", "invalid_answer", /"aud"/],
    ] as const;
    for (const [login, code, reason] of cases) {
      const result = await signInAs(login);
      expect(result.location, login).toBe(`${APP}/sign-in?sso_error=${code}`);
      expect(result.session, login).toBeNull();
      const line = await lastAudit();
      expect(line.action, login).toBe("sign-in failed");
      expect(line.target, login).toMatch(reason);
    }
    expect(await app.db.user.findUnique({ where: { email: "unverified@example.com" } })).toBeNull();
  });

  it("sends people back to the sign-in page when single sign-on is off", async () => {
    await configure({ isEnabled: false });
    const { auth } = await import("@/server/auth/auth");
    const start = await auth.handler(new Request(`${APP}/api/auth/sso/start`));
    expect(start.headers.get("location")).toBe(`${APP}/sign-in?sso_error=not_configured`);
  });
});
