import fs from "node:fs";
import path from "node:path";
import { type Page } from "@playwright/test";
import { IMAGE_HOST_PORT } from "../playwright.config";
import { expect, test } from "./support/test";
import { signIn } from "./support/sign-in";

const shots = path.join("test-results", "screenshots");
const host = `http://127.0.0.1:${IMAGE_HOST_PORT}`;
const DESKTOP = { width: 1280, height: 720 };
const PHONE = { width: 390, height: 844 };

test.use({ viewport: DESKTOP });
test.beforeAll(() => fs.mkdirSync(shots, { recursive: true }));

/** A call to the API the pages use; the data of other specs may be there too, so names are tagged. */
async function call<T = { id: string }>(page: Page, procedure: string, json: unknown): Promise<T> {
  const response = await page.request.post(`/api/trpc/${procedure}`, { data: { json } });
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

async function query<T>(page: Page, procedure: string, json: unknown): Promise<T> {
  const input = encodeURIComponent(JSON.stringify({ json }));
  const response = await page.request.get(`/api/trpc/${procedure}?input=${input}`);
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

/** Full-page screenshots at desktop and phone width; neither may scroll sideways. */
async function capture(page: Page, name: string) {
  for (const [size, suffix] of [
    [DESKTOP, "1280"],
    [PHONE, "390"],
  ] as const) {
    await page.setViewportSize(size);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow, `${name} at ${suffix} px scrolls sideways`).toBeLessThanOrEqual(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(shots, `${name}-${suffix}.png`), fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
}

test("the jobs list pages past 50, searches, filters and sorts, all kept in the URL", async ({
  page,
}) => {
  await signIn(page, "/jobs");
  const tag = `list${Date.now().toString(36)}`;
  for (let i = 0; i < 52; i++) {
    await call(page, "batches.create", {
      source: "paste",
      title: `${tag} run ${String(i).padStart(2, "0")}`,
      text: `${tag}-P${i}\t${host}/img/${tag}-${i}.png`,
    });
  }
  const broken = await call<{ jobId: string }>(page, "batches.create", {
    source: "paste",
    title: `${tag} broken`,
    text: `X\t${host}/status/404`,
  });
  // the filter below asks for failed jobs: wait until this one is
  await expect
    .poll(
      async () =>
        (await query<{ job: { status: string } }>(page, "jobs.progress", { jobId: broken.jobId }))
          .job.status,
      {
        timeout: 30_000,
      },
    )
    .toBe("failed");

  await page.reload();
  const rows = page.getByTestId("job-row");
  const count = page.getByTestId("list-count");
  await page.getByLabel("Search", { exact: true }).fill(tag);
  await expect(page).toHaveURL(new RegExp(`/jobs\\?q=${tag}$`));
  await expect(count).toHaveText("Showing 50 of 53 matching jobs");
  await expect(rows).toHaveCount(50);
  await capture(page, "jobs-first-page");
  await page.getByRole("button", { name: "Load 3 more" }).click();
  await expect(rows).toHaveCount(53);
  await expect(count).toHaveText("Showing 53 of 53 matching jobs");
  await expect(page.getByRole("button", { name: /^Load \d+ more$/ })).toHaveCount(0);

  await page.getByLabel("Status").selectOption({ label: "Failed" });
  await expect(page).toHaveURL(new RegExp(`/jobs\\?q=${tag}&status=failed$`));
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`${tag} broken`);
  await expect(count).toHaveText("Showing 1 of 1 matching jobs");

  // a filtered list survives a reload, and can be linked
  await page.reload();
  await expect(page.getByLabel("Search", { exact: true })).toHaveValue(tag);
  await expect(page.getByLabel("Status")).toHaveValue("failed");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`${tag} broken`);
  await capture(page, "jobs-filtered");

  // the sort by title goes by the URL too, and pages of a filter that matches nothing say so
  await page.getByLabel("Status").selectOption({ label: "Any status" });
  await page.getByLabel("Sort").selectOption({ label: "Title A–Z" });
  await expect(page).toHaveURL(new RegExp(`/jobs\\?q=${tag}&sort=title$`));
  await expect(rows.first()).toContainText(`${tag} broken`);
  await expect(rows.nth(1)).toContainText(`${tag} run 00`);
  await page.getByLabel("Kind").selectOption({ label: "Report run" });
  await expect(page.getByText("No jobs match this search and these filters.")).toBeVisible();
  await expect(rows).toHaveCount(0);
  await capture(page, "jobs-no-match");
  await page.getByRole("button", { name: "Clear filters" }).first().click();
  await expect(page).toHaveURL(/\/jobs\?sort=title$/);
  await expect(page.getByLabel("Search", { exact: true })).toHaveValue("");
  await expect(page.getByLabel("Kind")).toHaveValue("");
  await expect(rows).not.toHaveCount(0);

  // a whole product number finds its batch, whatever the batch's title
  await page.getByLabel("Search", { exact: true }).fill(`${tag}-P7`);
  await expect(page).toHaveURL(new RegExp(`/jobs\\?sort=title&q=${tag}-P7$`));
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`${tag} run 07`);
});

test("reports, connectors and schedules: search, filters and sort, with counts", async ({
  page,
}) => {
  await signIn(page, "/reports");
  const tag = `lists${Date.now().toString(36)}`;
  const files = await call(page, "connectors.save", {
    name: `${tag} files`,
    kind: "http",
    baseUrl: "http://127.0.0.1:9",
    settings: { authMethod: "none" },
    secrets: {},
  });
  const metabase = await call(page, "connectors.save", {
    name: `${tag} metabase`,
    kind: "metabase",
    baseUrl: "http://127.0.0.1:9",
    settings: { authMethod: "api_key" },
    secrets: { apiKey: "mb-key" },
  });
  const orders = await call(page, "reports.save", {
    name: `${tag} orders`,
    connectorId: files.id,
    query: { url: "/orders.csv" },
  });
  await call(page, "reports.save", {
    name: `${tag} stock`,
    connectorId: files.id,
    query: { url: "/stock.csv" },
  });
  const revenue = await call(page, "reports.save", {
    name: `${tag} revenue`,
    connectorId: metabase.id,
    query: { target: "card", cardId: 7 },
  });
  const morning = await call(page, "schedules.save", {
    name: `${tag} mornings`,
    kind: "cron",
    cronExpression: "0 6 * * *",
    reportIds: [orders.id],
  });
  await call(page, "schedules.save", {
    name: `${tag} hourly`,
    kind: "interval",
    intervalMinutes: 60,
    reportIds: [revenue.id],
  });
  await call(page, "schedules.setEnabled", { id: morning.id, isEnabled: false });

  await test.step("reports", async () => {
    await page.reload();
    const rows = page.getByTestId("report-row");
    const total = (await query<unknown[]>(page, "reports.list", undefined)).length;
    await page.getByLabel("Search names").fill(tag);
    await expect(page).toHaveURL(new RegExp(`/reports\\?q=${tag}$`));
    await expect(page.getByTestId("list-count")).toHaveText(`3 of ${total} reports`);
    await expect(rows).toHaveText([/orders/, /revenue/, /stock/]);
    // the last changed first: they were saved orders, stock, revenue
    await page.getByLabel("Sort").selectOption({ label: "Last changed" });
    await expect(page).toHaveURL(new RegExp(`/reports\\?q=${tag}&sort=changed$`));
    await expect(rows).toHaveText([/revenue/, /stock/, /orders/]);
    await page.getByLabel("Sort").selectOption({ label: "Name A–Z" });
    await expect(page).toHaveURL(new RegExp(`/reports\\?q=${tag}$`));
    await page.getByLabel("Connector kind").selectOption({ label: "Metabase" });
    await expect(page).toHaveURL(new RegExp(`/reports\\?q=${tag}&kind=metabase$`));
    await expect(rows).toHaveText([/revenue/]);
    await page.reload();
    await expect(page.getByLabel("Search names")).toHaveValue(tag);
    await expect(page.getByTestId("list-count")).toHaveText(`1 of ${total} reports`);
    await capture(page, "reports-filtered");
    await page.getByLabel("Last run").selectOption({ label: "Last run failed" });
    await expect(page.getByText("No reports match this search and these filters.")).toBeVisible();
    await page.getByRole("button", { name: "Clear filters" }).first().click();
    await expect(page).toHaveURL(/\/reports$/);
    await expect(page.getByTestId("list-count")).toHaveText(`${total} reports`);
  });

  await test.step("connectors", async () => {
    await page.goto(`/connectors?q=${tag}`);
    const rows = page.getByTestId("connector-row");
    await expect(rows).toHaveText([/files/, /metabase/]);
    await page.getByLabel("Kind").selectOption({ label: "CSV or JSON at a URL" });
    await expect(page).toHaveURL(new RegExp(`/connectors\\?q=${tag}&kind=http$`));
    await expect(rows).toHaveText([/files/]);
    await page.getByLabel("Connection test").selectOption({ label: "Connection works" });
    await expect(
      page.getByText("No connectors match this search and these filters."),
    ).toBeVisible();
    await capture(page, "connectors-no-match");
    await page.getByLabel("Connection test").selectOption({ label: "Not tested yet" });
    await expect(rows).toHaveText([/files/]);
  });

  await test.step("schedules", async () => {
    await page.goto(`/schedules?q=${tag}`);
    const rows = page.getByTestId("schedule-row");
    await expect(rows).toHaveText([/hourly/, /mornings/]);
    await page.getByLabel("State").selectOption({ label: "Paused" });
    await expect(page).toHaveURL(new RegExp(`/schedules\\?q=${tag}&status=paused$`));
    await expect(rows).toHaveText([/mornings/]);
    await page.reload();
    await expect(rows).toHaveText([/mornings/]);
    await expect(page.getByLabel("State")).toHaveValue("paused");
    await capture(page, "schedules-filtered");
    await page.getByLabel("State").selectOption({ label: "Any" });
    await page.getByLabel("Timing").selectOption({ label: "Every N minutes" });
    await expect(rows).toHaveText([/hourly/]);
  });
});
