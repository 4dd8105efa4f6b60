import { type Page, type Route } from "@playwright/test";
import { createReport, trpcMutation } from "./support/api";
import { signIn } from "./support/sign-in";
import { expect, test } from "./support/test";

/**
 * Holds the app's answers to calls of `procedure` (batched or not) until the returned release is
 * called, so a test can look at the page while its data is on the way, without timing anything.
 */
async function holdAnswers(page: Page, procedure: string): Promise<() => Promise<void>> {
  const held: Route[] = [];
  let isReleased = false;
  await page.route(
    (url) => url.pathname.startsWith("/api/trpc/") && url.pathname.includes(procedure),
    async (route) => {
      if (isReleased) await route.continue();
      else held.push(route);
    },
  );
  return async () => {
    isReleased = true;
    await Promise.all(held.map((route) => route.continue()));
  };
}

test("the dashboard says it is loading, not that nothing is scheduled, until the list is in", async ({
  page,
}) => {
  await signIn(page, "/schedules");
  const report = await createReport(page, "Loading: report");
  await trpcMutation(page, "schedules.save", {
    name: "Loading: hourly",
    reportIds: [report.id],
    kind: "interval",
    intervalMinutes: 60,
  });

  const release = await holdAnswers(page, "schedules.list");
  await page.goto("/");
  const next = page
    .locator("section")
    .filter({ has: page.getByRole("heading", { name: "Next scheduled runs" }) });
  await expect(next.getByRole("status")).toHaveText("Loading the schedules…");
  await expect(page.getByText("Nothing scheduled.")).toHaveCount(0);
  await release();
  await expect(next.getByText("Loading: hourly")).toBeVisible();
  await expect(next.getByRole("status")).toHaveCount(0);
});

test("the system page says it is checking until the checks are in", async ({ page }) => {
  await signIn(page, "/schedules");
  const release = await holdAnswers(page, "system.check");
  await page.goto("/system");
  await expect(
    page.getByText("Checking the database, the data folder and the job worker…"),
  ).toBeVisible();
  await expect(page.getByTestId("system-checks").getByRole("listitem")).toHaveCount(0);
  await release();
  await expect(page.getByTestId("system-checks").getByRole("listitem").first()).toBeVisible();
  await expect(page.getByText("Checking the database")).toHaveCount(0);
});
