import fs from "node:fs";
import path from "node:path";
import { type Page } from "@playwright/test";
import { createReport, openForm, trpcMutation } from "./support/api";
import { expectNoSeriousA11yViolations } from "./support/axe";
import { signIn } from "./support/sign-in";
import { expect, test } from "./support/test";

const shots = path.join("test-results", "screenshots");
test.beforeAll(() => fs.mkdirSync(shots, { recursive: true }));

async function capture(page: Page, name: string) {
  await page.screenshot({ path: path.join(shots, `a11y-${name}.png`), fullPage: true });
}

/** Opens a signed-in page and waits until its data is in (no part says it is loading). */
async function openPage(page: Page, url: string, heading: string) {
  await page.goto(url);
  await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
  await expect(page.getByTestId("loading")).toHaveCount(0);
}

test("the sign-in page has no serious accessibility problem", async ({ page }) => {
  await page.goto("/sign-in");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await expectNoSeriousA11yViolations(page, "the sign-in page");
});

test("the app's pages and forms have no serious accessibility problem", async ({ page }) => {
  await signIn(page, "/");
  const report = await createReport(page, "Accessible report");
  await trpcMutation(page, "schedules.save", {
    name: "Accessible mornings",
    reportIds: [report.id],
    kind: "cron",
    cronExpression: "0 6 * * 1-5",
    timeZone: "Europe/Berlin",
  });

  await openPage(page, "/", "Dashboard");
  await expectNoSeriousA11yViolations(page, "the dashboard");
  await capture(page, "dashboard");

  await openPage(page, "/batches/new", "New image batch");
  await expectNoSeriousA11yViolations(page, "New batch");
  await page
    .getByLabel("Rows")
    .fill(["Product Number\tImage Src", "bad sku!\thttp://127.0.0.1:9/x.png"].join("\n"));
  await page.getByRole("button", { name: "Analyze" }).click();
  await expect(page.getByRole("tab", { name: "Errors (1)" })).toBeVisible();
  await expectNoSeriousA11yViolations(page, "New batch with its analysis");
  await capture(page, "new-batch");

  await openPage(page, "/connectors", "Connectors");
  await expectNoSeriousA11yViolations(page, "the connectors");
  await openForm(page, "Add connector", "Connector");
  await expectNoSeriousA11yViolations(page, "the connector form");
  await capture(page, "connector-form");

  await openPage(page, "/reports", "Reports");
  await expectNoSeriousA11yViolations(page, "the reports");
  const reportForm = await openForm(page, "Add report", "Report");
  await reportForm
    .getByLabel("Connector")
    .selectOption({ label: "Files for Accessible report (CSV or JSON at a URL)" });
  await expectNoSeriousA11yViolations(page, "the report form");
  await capture(page, "report-form");

  await openPage(page, "/schedules", "Schedules");
  await expectNoSeriousA11yViolations(page, "the schedules");
  const schedule = await openForm(page, "Add schedule", "Schedule");
  await expect(page.getByTestId("next-run")).toHaveCount(5);
  await expectNoSeriousA11yViolations(page, "the schedule form");
  await schedule.getByLabel("Cron expression").check();
  await schedule.getByLabel("Time zone").fill("Nowhere/Else");
  await expectNoSeriousA11yViolations(page, "the schedule form with a problem");
  await capture(page, "schedule-form");

  await openPage(page, "/destinations", "Destinations");
  await expectNoSeriousA11yViolations(page, "the destinations");
  const destination = await openForm(page, "Add destination", "Connector");
  await destination.getByLabel("System").selectOption("powerbi");
  await expect(destination.getByTestId("destination-note")).toBeVisible();
  await expectNoSeriousA11yViolations(page, "the destination form");
  await capture(page, "destination-form");

  await openPage(page, "/pipelines", "Pipelines");
  await expectNoSeriousA11yViolations(page, "the pipelines");
  await openForm(page, "New pipeline", "Pipeline");
  await expectNoSeriousA11yViolations(page, "the pipeline form");
  await capture(page, "pipeline-form");

  await openPage(page, "/system", "System check");
  await expect(page.getByTestId("system-checks").getByRole("listitem").first()).toBeVisible();
  // the server under test is one process running pages and the worker, listed by its heartbeat
  const thisProcess = page.getByTestId("processes").getByRole("row").filter({
    hasText: "answering this page",
  });
  await expect(thisProcess).toHaveCount(1);
  await expect(thisProcess).toContainText("pages and worker");
  await expectNoSeriousA11yViolations(page, "the System page");
  await capture(page, "system");
});
