import fs from "node:fs";
import path from "node:path";
import { type Page } from "@playwright/test";
import { expect, test } from "./support/test";
import { signIn } from "./support/sign-in";

const shots = path.join("test-results", "screenshots");

/** A report to schedule, made through the API the pages use (the reports spec covers the forms). */
async function createReport(page: Page, name: string) {
  const call = async (procedure: string, json: unknown) => {
    const response = await page.request.post(`/api/trpc/${procedure}`, { data: { json } });
    expect(response.status(), await response.text()).toBe(200);
    return ((await response.json()) as { result: { data: { json: { id: string } } } }).result.data
      .json;
  };
  const connector = await call("connectors.save", {
    name: `Files for ${name}`,
    kind: "http",
    baseUrl: "http://127.0.0.1:9",
    settings: { authMethod: "none" },
    secrets: {},
  });
  await call("reports.save", { name, connectorId: connector.id, query: { url: "/sales.csv" } });
}

test("create a schedule, see its next five runs, pause and resume it", async ({ page }) => {
  fs.mkdirSync(shots, { recursive: true });
  await signIn(page, "/schedules");
  await createReport(page, "Weekly sales");
  await page.reload();

  await page.getByRole("button", { name: "Add schedule" }).click();
  const form = page.getByRole("form", { name: "Schedule" });
  await form.getByLabel("Name").fill("Berlin mornings");
  await form.getByRole("checkbox", { name: /Weekly sales/ }).check();

  // interval: five windows, the first 1 to 5 minutes from now
  const runs = page.getByTestId("next-run");
  await expect(runs).toHaveCount(5);
  await expect(runs.first()).toContainText("between");
  await expect(page.getByTestId("next-runs")).toContainText(
    "every 120 minutes, plus 1–20 minutes of jitter",
  );

  // cron in a time zone: five exact times, a wrong expression explained
  await form.getByLabel("Cron expression").check();
  await form.getByLabel(/Expression/).fill("0 6 * * 7");
  await form.getByLabel("Time zone").fill("Europe/Berlin");
  // The interval's five windows, or this expression still in UTC, are five rows too: wait until
  // every row is a Sunday at 06:00 in Berlin, not for a count the previous state already has.
  const sundaysAtSix = Array<RegExp>(5).fill(/^Sun,? \d{1,2} \w{3},? 06:00$/);
  await expect(runs).toHaveText(sundaysAtSix);
  expect(new Set(await runs.allTextContents()).size).toBe(5);
  await form.getByLabel(/Expression/).fill("61 6 * * *");
  await expect(page.getByTestId("next-runs")).toContainText("minute 61");
  await form.getByLabel(/Expression/).fill("0 6 * * 7");
  await expect(runs).toHaveText(sundaysAtSix);
  await page.screenshot({ path: path.join(shots, "schedule-editor.png"), fullPage: true });

  await form.getByRole("button", { name: "Save schedule" }).click();
  const row = page.getByTestId("schedule-row").filter({ hasText: "Berlin mornings" });
  await expect(row).toContainText("cron “0 6 * * 7” in Europe/Berlin");
  await expect(row).toContainText("missed runs: run once");
  await expect(row.getByTestId("schedule-next-run")).not.toHaveText("—");
  await row.getByRole("button", { name: "History" }).click();
  await expect(row.getByText("No finished runs yet.")).toBeVisible();
  await page.screenshot({ path: path.join(shots, "schedules.png"), fullPage: true });

  await row.getByRole("button", { name: "Pause" }).click();
  await expect(row).toContainText("paused");
  await expect(row.getByTestId("schedule-next-run")).toHaveText("—");
  await row.getByRole("button", { name: "Resume" }).click();
  await expect(row).not.toContainText("paused");
  await expect(row.getByTestId("schedule-next-run")).not.toHaveText("—");

  // the dashboard lists it among the next runs
  await page.goto("/");
  await expect(page.getByText("Berlin mornings")).toBeVisible();
  await page.screenshot({ path: path.join(shots, "dashboard.png"), fullPage: true });
});
