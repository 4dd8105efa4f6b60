// The dashboard's first-run checklist: on a fresh app nothing is done; each step is done once the
// database holds what it asks for; a user can hide it for themselves; it goes away by itself once
// every step their role can do is done; and it lists only the steps the role can do.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TRole } from "@/server/auth/access";
import { callerWithToken, startTestApp } from "./support/test-app";

let app: Awaited<ReturnType<typeof startTestApp>>;
const tokenOf = {} as Record<TRole, string>;

beforeAll(async () => {
  app = await startTestApp();
  const { createApiToken } = await import("@/server/services/tokens/api-tokens");
  tokenOf.admin = (await createApiToken(app.userId, { name: "admin", scope: "admin" })).token;
});

afterAll(async () => {
  await app?.stop();
});

const callerAs = callerWithToken;

/** "connector: done" for each step, in order: the whole list in one comparable value. */
const stateOf = (steps: { id: string; isDone: boolean }[]) =>
  steps.map((step) => `${step.id}: ${step.isDone ? "done" : "to do"}`);

/** A second person on the app (a teammate, for the admin's checklist), with a token of their own. */
async function addUser(role: TRole) {
  const { createApiToken } = await import("@/server/services/tokens/api-tokens");
  const user = await app.db.user.create({
    data: { id: crypto.randomUUID(), name: role, email: `${role}@example.com`, role },
  });
  const scope = ({ viewer: "read", operator: "run", admin: "admin" } as const)[role];
  tokenOf[role] = (await createApiToken(user.id, { name: role, scope })).token;
  return user.id;
}

describe("getting started", () => {
  it("says nothing is done on a fresh app, and shows the card", async () => {
    const checklist = await (await callerAs(tokenOf.admin)).system.gettingStarted();
    expect(checklist.isShown).toBe(true);
    expect(checklist.isDismissed).toBe(false);
    expect(stateOf(checklist.steps)).toEqual([
      "connector: to do",
      "report: to do",
      "run: to do",
      "schedule: to do",
      "destination: to do",
      "teammate: to do",
    ]);
    expect(checklist.steps.map((step) => step.href)).toEqual([
      "/connectors",
      "/reports",
      "/reports",
      "/schedules",
      "/destinations",
      "/users",
    ]);
    expect(checklist.steps.filter((step) => step.isOptional).map((step) => step.id)).toEqual([
      "destination",
    ]);
  });

  it("marks the steps done as the connector, report, run and schedule are added", async () => {
    const { saveConnector } = await import("@/server/services/connectors/connectors");
    const { saveReport } = await import("@/server/services/reports/reports");
    const { startReportRun } = await import("@/server/services/reports/start-report-run");
    const { saveSchedule } = await import("@/server/services/schedules/schedules");
    const api = await callerAs(tokenOf.admin);

    // a destination is a connector too, but not one a report can fetch from
    await saveConnector({
      name: "Share",
      kind: "folder",
      baseUrl: "",
      settings: {},
      secrets: {},
    });
    expect(stateOf((await api.system.gettingStarted()).steps)).toEqual([
      "connector: to do",
      "report: to do",
      "run: to do",
      "schedule: to do",
      "destination: done",
      "teammate: to do",
    ]);

    const { id: connectorId } = await saveConnector({
      name: "Shop exports",
      kind: "http",
      baseUrl: "http://127.0.0.1:9",
      settings: { authMethod: "none" },
      secrets: {},
    });
    const { id: reportId } = await saveReport({
      name: "Sales",
      connectorId,
      query: { url: "/sales.csv" },
    });
    expect(stateOf((await api.system.gettingStarted()).steps).slice(0, 4)).toEqual([
      "connector: done",
      "report: done",
      "run: to do",
      "schedule: to do",
    ]);

    // queued is enough: the step is about pressing Run now, not about the upstream answering
    await startReportRun({ reportIds: [reportId], createdById: app.userId });
    await saveSchedule(
      {
        name: "Nightly sales",
        kind: "cron",
        cronExpression: "0 2 * * *",
        timeZone: "UTC",
        reportIds: [reportId],
        isEnabled: false,
      },
      app.userId,
    );
    const checklist = await api.system.gettingStarted();
    expect(stateOf(checklist.steps)).toEqual([
      "connector: done",
      "report: done",
      "run: done",
      "schedule: done",
      "destination: done",
      "teammate: to do",
    ]);
    // the teammate is still to do
    expect(checklist.isShown).toBe(true);
  });

  it("lists no admin step for a viewer or an operator, and nothing at all to show a viewer", async () => {
    await addUser("operator");
    await addUser("viewer");
    const operator = await (await callerAs(tokenOf.operator)).system.gettingStarted();
    expect(operator.steps.map((step) => step.id)).toEqual(["report", "run", "schedule"]);
    // all an operator can do is done: the card goes by itself
    expect(operator.isShown).toBe(false);
    const viewer = await (await callerAs(tokenOf.viewer)).system.gettingStarted();
    expect(viewer.steps).toEqual([]);
    expect(viewer.isShown).toBe(false);
  });

  it("goes away by itself once every step is done (the optional one too, or not)", async () => {
    // the two users added above are the admin's teammates
    const checklist = await (await callerAs(tokenOf.admin)).system.gettingStarted();
    expect(stateOf(checklist.steps).at(-1)).toBe("teammate: done");
    expect(checklist.isShown).toBe(false);

    // an optional step left open does not keep the card
    await app.db.connector.deleteMany({ where: { kind: "folder" } });
    const withoutDestination = await (await callerAs(tokenOf.admin)).system.gettingStarted();
    expect(stateOf(withoutDestination.steps)).toContain("destination: to do");
    expect(withoutDestination.isShown).toBe(false);
  });

  it("is hidden for the user who dismisses it, and only for them, until they show it again", async () => {
    // a schedule deleted: the checklist has a step open again for the admin and the operator
    await app.db.schedule.deleteMany({});
    const admin = await callerAs(tokenOf.admin);
    const operator = await callerAs(tokenOf.operator);
    expect((await admin.system.gettingStarted()).isShown).toBe(true);
    expect((await operator.system.gettingStarted()).isShown).toBe(true);

    expect(await admin.system.setGettingStartedDismissed({ isDismissed: true })).toEqual({
      isDismissed: true,
    });
    const dismissed = await admin.system.gettingStarted();
    expect(dismissed).toMatchObject({ isShown: false, isDismissed: true });
    // still the facts, for a page that offers to show it again
    expect(stateOf(dismissed.steps)).toContain("schedule: to do");
    expect((await operator.system.gettingStarted()).isShown).toBe(true);
    // the dismissal is a change of a setting: it is in the audit log with who made it
    const audit = await app.db.auditEvent.findMany({
      where: { action: "system.setGettingStartedDismissed" },
    });
    expect(audit.map((line) => line.target)).toEqual([
      "getting-started checklist hidden (API token)",
    ]);

    await admin.system.setGettingStartedDismissed({ isDismissed: false });
    expect(await admin.system.gettingStarted()).toMatchObject({
      isShown: true,
      isDismissed: false,
    });
  });

  it("lets a viewer hide their own checklist", async () => {
    const viewer = await callerAs(tokenOf.viewer);
    await viewer.system.setGettingStartedDismissed({ isDismissed: true });
    expect((await viewer.system.gettingStarted()).isDismissed).toBe(true);
  });
});
