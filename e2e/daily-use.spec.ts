import path from "node:path";
import { IMAGE_HOST_PORT } from "../playwright.config";
import { createReport, trpcMutation } from "./support/api";
import { expectNoSeriousA11yViolations } from "./support/axe";
import { signIn } from "./support/sign-in";
import { expect, test } from "./support/test";

const shots = path.join("test-results", "screenshots");
const host = `http://127.0.0.1:${IMAGE_HOST_PORT}`;

test("several jobs are deleted at once after an in-page confirmation, and several schedules paused; a schedule is duplicated paused", async ({
  page,
}) => {
  test.setTimeout(120_000);
  await signIn(page, "/jobs");
  const titles = ["Bulk one", "Bulk two", "Bulk three"];
  for (const [i, title] of titles.entries())
    await trpcMutation(page, "batches.create", {
      text: `BULK-${i}\t${host}/img/bulk-${i}.png`,
      source: "paste",
      title,
    });
  await page.goto("/jobs?q=Bulk");
  const rows = page.getByTestId("job-row");
  await expect(rows).toHaveCount(3);
  await page.getByRole("checkbox", { name: "Select Bulk one" }).check();
  await page.getByRole("checkbox", { name: "Select Bulk three" }).check();
  const bar = page.getByTestId("bulk-bar");
  await expect(bar).toContainText("2 jobs selected");
  await bar.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("alertdialog", { name: "Delete 2 jobs and their files?" });
  await expect(dialog).toBeVisible();
  await page.screenshot({ path: path.join(shots, "bulk-delete-confirm.png") });
  await expectNoSeriousA11yViolations(page, "the jobs list asking to confirm");
  // Cancel leaves everything as it was
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(rows).toHaveCount(3);
  await bar.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Delete 2 jobs" }).click();
  await expect(page.getByTestId("toast").filter({ hasText: "Deleted 2 jobs." })).toBeVisible();
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText("Bulk two");
  await expect(bar).toHaveCount(0);

  const report = await createReport(page, "Bulk report");
  for (const name of ["Bulk yearly A", "Bulk yearly B"])
    await trpcMutation(page, "schedules.save", {
      name,
      kind: "cron",
      cronExpression: "0 3 1 1 *",
      timeZone: "UTC",
      reportIds: [report.id],
      isEnabled: true,
    });
  await page.goto("/schedules?q=Bulk yearly");
  const scheduleRows = page.getByTestId("schedule-row");
  await expect(scheduleRows).toHaveCount(2);
  await page.getByRole("checkbox", { name: "Select Bulk yearly A" }).check();
  await page.getByRole("checkbox", { name: "Select Bulk yearly B" }).check();
  await page.getByTestId("bulk-bar").getByRole("button", { name: "Pause" }).click();
  await expect(page.getByTestId("toast").filter({ hasText: "Paused 2 schedules." })).toBeVisible();
  await expect(scheduleRows.filter({ hasText: "paused" })).toHaveCount(2);

  await scheduleRows
    .filter({ hasText: "Bulk yearly A" })
    .getByRole("button", { name: "Duplicate" })
    .click();
  await expect(page.getByTestId("toast").filter({ hasText: "Bulk yearly A (copy)" })).toBeVisible();
  const copy = scheduleRows.filter({ hasText: "Bulk yearly A (copy)" });
  await expect(copy).toContainText("paused");
  await page.screenshot({ path: path.join(shots, "schedules-bulk.png"), fullPage: true });

  // leave no schedule behind for the specs after this one
  const listed = await page.request.get("/api/trpc/schedules.list");
  const all = (await listed.json()) as {
    result: { data: { json: { id: string; name: string }[] } };
  };
  for (const schedule of all.result.data.json.filter((s) => s.name.startsWith("Bulk yearly")))
    await trpcMutation(page, "schedules.delete", { id: schedule.id });
});
