import fs from "node:fs";
import path from "node:path";
import { createReport } from "./support/api";
import { signIn } from "./support/sign-in";
import { expect, test } from "./support/test";

const shots = path.join("test-results", "screenshots");
test.beforeAll(() => fs.mkdirSync(shots, { recursive: true }));

test("a cleared or half-typed time zone is a message under the field, and the form stays", async ({
  page,
}) => {
  await signIn(page, "/schedules");
  await createReport(page, "Zone report");
  await page.reload();
  await page.getByRole("button", { name: "Add schedule" }).click();
  const form = page.getByRole("form", { name: "Schedule" });
  await form.getByLabel("Name").fill("Zone check");
  await form.getByRole("checkbox", { name: /Zone report/ }).check();
  await form.getByLabel("Cron expression").check();
  const zone = form.getByLabel("Time zone");
  const nextRuns = page.getByTestId("next-runs");
  await zone.fill("Europe/Berlin");
  await expect(page.getByTestId("next-run")).toHaveCount(5);

  await zone.fill("");
  await expect(form.getByText("Choose a time zone from the list")).toBeVisible();
  await expect(zone).toHaveAttribute("aria-invalid", "true");
  await expect(nextRuns).toContainText("Cannot show the next runs until the time zone is valid.");
  await expect(page.getByTestId("next-run")).toHaveCount(0);

  await zone.pressSequentially("Europe/Ber");
  await expect(
    form.getByText("“Europe/Ber” is not a time zone: choose one from the list"),
  ).toBeVisible();
  await expect(nextRuns).toContainText("Cannot show the next runs until the time zone is valid.");
  // the page did not fall over: what was typed is all still there
  await expect(form.getByLabel("Name")).toHaveValue("Zone check");
  await expect(page.getByText(/This page couldn.t load/)).toHaveCount(0);
  await page.screenshot({ path: path.join(shots, "schedule-zone-problem.png"), fullPage: true });

  // the list offers the zones (UTC among them), and finishing the name brings the preview back
  await expect(page.locator("datalist#time-zones option[value='UTC']")).toHaveCount(1);
  await expect(page.locator("datalist#time-zones option[value='Europe/Berlin']")).toHaveCount(1);
  await zone.pressSequentially("lin");
  await expect(form.getByText("is not a time zone")).toHaveCount(0);
  await expect(page.getByTestId("next-run")).toHaveCount(5);
  await form.getByRole("button", { name: "Save schedule" }).click();
  await expect(page.getByTestId("schedule-row").filter({ hasText: "Zone check" })).toContainText(
    "in Europe/Berlin",
  );
});
