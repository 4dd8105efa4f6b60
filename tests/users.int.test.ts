// Users an admin manages: created with a role and a one-time link to set a password with, signed in
// through the real sign-in endpoint, disabled (their sessions end at once) and enabled again, and
// never left without an admin.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;

beforeAll(async () => {
  app = await startTestApp();
});

afterAll(async () => {
  await app?.stop();
});

const services = () => import("@/server/services/accounts/users");

let signIns = 0;

async function signIn(email: string, password: string) {
  const { auth } = await import("@/server/auth/auth");
  const { CLIENT_ADDRESS_HEADER } = await import("@/server/auth/client-address");
  // sign-in is rate limited per client address: each attempt here comes from another one
  signIns += 1;
  const response = await auth.handler(
    new Request("http://127.0.0.1/api/auth/sign-in/email", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        origin: "http://127.0.0.1",
        [CLIENT_ADDRESS_HEADER]: `127.0.0.${signIns}`,
      },
      body: JSON.stringify({ email, password }),
    }),
  );
  const cookie = response.headers.get("set-cookie")?.split(";")[0] ?? null;
  return { status: response.status, body: await response.json().catch(() => null), cookie };
}

async function sessionUser(cookie: string) {
  const { getSessionUser } = await import("@/server/auth/auth");
  return getSessionUser(new Headers({ cookie }));
}

const tokenOf = (linkPath: string) => linkPath.split("#")[1]!;

describe("users", () => {
  it("creates an operator with a one-time link, who sets a password once and signs in with it", async () => {
    const { createUser, describePasswordLink, setPasswordWithLink, listUsers } = await services();
    const { user, linkPath } = await createUser({
      name: "Olive Operator",
      email: "Olive@Example.com",
      role: "operator",
    });
    expect(user).toMatchObject({
      email: "olive@example.com",
      role: "operator",
      hasPassword: false,
    });
    expect(linkPath).toMatch(/^\/set-password#[A-Za-z0-9_-]{43}$/);
    // only the token's hash is kept
    const stored = await app.db.passwordLink.findFirstOrThrow({ where: { userId: user.id } });
    expect(stored.tokenHash).not.toContain(tokenOf(linkPath));

    expect((await signIn("olive@example.com", "a-long-password")).status).toBe(401);
    expect(await describePasswordLink(tokenOf(linkPath))).toEqual({
      name: "Olive Operator",
      email: "olive@example.com",
    });
    await setPasswordWithLink({ token: tokenOf(linkPath), password: "a-long-password" });
    await expect(
      setPasswordWithLink({ token: tokenOf(linkPath), password: "another-password" }),
    ).rejects.toThrow("This link was used already. Ask your admin for a new one.");

    const signedIn = await signIn("olive@example.com", "a-long-password");
    expect(signedIn.status).toBe(200);
    expect(await sessionUser(signedIn.cookie!)).toMatchObject({
      email: "olive@example.com",
      role: "operator",
    });
    const listed = (await listUsers()).find((row) => row.id === user.id)!;
    expect(listed).toMatchObject({ hasPassword: true, hasOpenLink: false });
    expect(listed.lastSeenAt).not.toBeNull();

    await expect(
      createUser({ name: "Again", email: "olive@example.com", role: "viewer" }),
    ).rejects.toThrow("olive@example.com has an account already.");
  });

  it("refuses a link replaced by a newer one, an expired link and a mistyped one", async () => {
    const { createUser, newPasswordLink, setPasswordWithLink } = await services();
    const { user, linkPath: first } = await createUser({
      name: "Vera",
      email: "vera@example.com",
      role: "viewer",
    });
    const { linkPath: second } = await newPasswordLink(user.id);
    await expect(
      setPasswordWithLink({ token: tokenOf(first), password: "0123456789" }),
    ).rejects.toThrow("a newer link replaced it");
    await app.db.passwordLink.updateMany({
      where: { userId: user.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await expect(
      setPasswordWithLink({ token: tokenOf(second), password: "0123456789" }),
    ).rejects.toThrow("This link expired (links work for 7 days).");
    await expect(
      setPasswordWithLink({ token: "x".repeat(43), password: "0123456789" }),
    ).rejects.toThrow("This link does not work");
    expect(await app.db.account.count({ where: { userId: user.id } })).toBe(0);
  });

  it("ends a disabled user's sessions at once, refuses their sign-in in plain words, and lets them back when enabled", async () => {
    const { createUser, setPasswordWithLink, setUserDisabled } = await services();
    const { user, linkPath } = await createUser({
      name: "Dan",
      email: "dan@example.com",
      role: "viewer",
    });
    await setPasswordWithLink({ token: tokenOf(linkPath), password: "dans-password" });
    const { cookie } = await signIn("dan@example.com", "dans-password");
    expect(await sessionUser(cookie!)).not.toBeNull();

    await setUserDisabled(app.userId, user.id, true);
    expect(await sessionUser(cookie!)).toBeNull();
    expect(await app.db.session.count({ where: { userId: user.id } })).toBe(0);
    const refused = await signIn("dan@example.com", "dans-password");
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      code: "ACCOUNT_DISABLED",
      message: "This account is disabled. Ask your admin to enable it again.",
    });
    expect(await app.db.session.count({ where: { userId: user.id } })).toBe(0);

    await setUserDisabled(app.userId, user.id, false);
    expect((await signIn("dan@example.com", "dans-password")).status).toBe(200);
  });

  it("never leaves the app without an enabled admin, and no admin disables themself", async () => {
    const { createUser, setUserDisabled, updateUser } = await services();
    await app.db.user.updateMany({
      where: { role: "admin", id: { not: app.userId } },
      data: { role: "viewer" },
    });
    await expect(setUserDisabled(app.userId, app.userId, true)).rejects.toThrow(
      "You cannot disable your own account.",
    );
    await expect(
      updateUser(app.userId, { id: app.userId, name: "Tester", role: "operator" }),
    ).rejects.toThrow("You are the only admin: make someone else an admin before you change");
    const { user: second } = await createUser({
      name: "Second admin",
      email: "second@example.com",
      role: "admin",
    });
    await setUserDisabled(second.id, app.userId, true);
    await expect(
      updateUser(app.userId, { id: second.id, name: "Second admin", role: "viewer" }),
    ).rejects.toThrow("This is the only admin left");
    await setUserDisabled(second.id, app.userId, false);
    await updateUser(second.id, { id: app.userId, name: "Tester", role: "operator" });
    expect((await app.db.user.findUniqueOrThrow({ where: { id: app.userId } })).role).toBe(
      "operator",
    );
  });
});

describe("who made it", () => {
  it("records who added and who last changed a connector, a report and a schedule", async () => {
    const { createUser } = await services();
    const { saveConnector, listConnectors } =
      await import("@/server/services/connectors/connectors");
    const { saveReport, listReports } = await import("@/server/services/reports/reports");
    const { saveSchedule, listSchedules } = await import("@/server/services/schedules/schedules");
    const { user: editor } = await createUser({
      name: "Eddie Editor",
      email: "eddie@example.com",
      role: "operator",
    });
    const connector = {
      name: "Files by Tester",
      kind: "http",
      baseUrl: "http://127.0.0.1:9",
      settings: { authMethod: "none" },
      secrets: {},
    } as const;
    const { id: connectorId } = await saveConnector(connector, app.userId);
    const report = { name: "Sales by Tester", connectorId, query: { url: "/sales.csv" } };
    const { id: reportId } = await saveReport(report, app.userId);
    const schedule = {
      name: "Mornings by Tester",
      kind: "cron" as const,
      cronExpression: "0 6 * * *",
      timeZone: "UTC",
      reportIds: [reportId],
      isEnabled: false,
    };
    const { id: scheduleId } = await saveSchedule(schedule, app.userId);
    const authorship = async () => [
      (await listConnectors()).find((row) => row.id === connectorId)!,
      (await listReports()).find((row) => row.id === reportId)!,
      (await listSchedules()).find((row) => row.id === scheduleId)!,
    ];
    for (const row of await authorship())
      expect(row).toMatchObject({ createdByName: "Tester", updatedByName: "Tester" });

    await saveConnector(
      { ...connector, id: connectorId, baseUrl: "http://127.0.0.1:8" },
      editor.id,
    );
    await saveReport({ ...report, id: reportId, format: "csv" }, editor.id);
    await saveSchedule({ ...schedule, id: scheduleId, cronExpression: "0 7 * * *" }, editor.id);
    for (const row of await authorship())
      expect(row).toMatchObject({ createdByName: "Tester", updatedByName: "Eddie Editor" });
  });
});
