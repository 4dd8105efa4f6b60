import fs from "node:fs";
import path from "node:path";
import { type Locator, type Page } from "@playwright/test";
import { IMAGE_HOST_PORT } from "../playwright.config";
import { openForm, trpcMutation } from "./support/api";
import { signIn } from "./support/sign-in";
import { expect, test } from "./support/test";

const shots = path.join("test-results", "screenshots");
const PHONE = { width: 390, height: 844 };
test.use({ viewport: PHONE });
test.beforeAll(() => fs.mkdirSync(shots, { recursive: true }));

/** The element is inside the phone's width, and shows all of its text (nothing cut or hidden). */
async function expectWhollyShown(element: Locator) {
  await expect(element).toBeVisible();
  const box = (await element.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
  const cut = await element.evaluate(
    (node) => node.scrollWidth > node.clientWidth || node.scrollHeight > node.clientHeight,
  );
  expect(cut, "the text is cut off").toBe(false);
}

async function expectNoSidewaysScroll(page: Page) {
  const { overflow, culprits } = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    // the outermost elements that reach past the screen's edge, to say what to fix
    const past = [...document.body.querySelectorAll("*")].filter(
      (node) => node.getBoundingClientRect().right > width + 1,
    );
    const outermost = past.filter((node) => !past.includes(node.parentElement!));
    return {
      overflow: document.documentElement.scrollWidth - width,
      culprits: outermost
        .slice(0, 5)
        .map((node) => `${node.tagName.toLowerCase()}.${[...node.classList].join(".")}`),
    };
  });
  expect(
    overflow,
    `the page scrolls sideways; past the edge: ${culprits.join(" | ")}`,
  ).toBeLessThanOrEqual(0);
}

test("on a phone the dashboard shows a job's whole title", async ({ page }) => {
  await signIn(page, "/");
  const title = "Spring catalogue photos for the outlet stores";
  await trpcMutation(page, "batches.create", {
    source: "paste",
    text: "Product Number\tImage Src\nSKU-PHONE\thttp://127.0.0.1:9/a.png",
    title,
  });
  await page.goto("/");
  const link = page.getByTestId("recent-job").getByRole("link", { name: `Images: ${title}` });
  await expectWhollyShown(link);
  await expectNoSidewaysScroll(page);
  await page.screenshot({ path: path.join(shots, "dashboard-phone.png"), fullPage: true });
});

test("on a phone the New batch analysis shows each entry's message", async ({ page }) => {
  await signIn(page, "/batches/new");
  await page
    .getByLabel("Rows")
    .fill(["Product Number\tImage Src", "bad sku!\thttp://127.0.0.1:9/x.png"].join("\n"));
  await page.getByRole("button", { name: "Analyze" }).click();
  const errorRow = page.locator('[data-verdict="error"]');
  await expect(errorRow).toHaveCount(1);
  const message = errorRow.getByTestId("entry-message");
  await expect(message).toContainText("http://127.0.0.1:9/x.png");
  await expectWhollyShown(message);
  await expectWhollyShown(errorRow.getByText("error", { exact: true }));
  await expectNoSidewaysScroll(page);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, "new-batch-phone.png"), fullPage: true });
});

test("on a phone the forms and the System page fit the screen", async ({ page }) => {
  await signIn(page, "/schedules");
  for (const [url, button, form] of [
    ["/schedules", "Add schedule", "Schedule"],
    ["/connectors", "Add connector", "Connector"],
    ["/reports", "Add report", "Report"],
  ] as const) {
    await page.goto(url);
    await openForm(page, button, form);
    await expectNoSidewaysScroll(page);
    await page.screenshot({
      path: path.join(shots, `${form.toLowerCase()}-form-phone.png`),
      fullPage: true,
    });
  }
  // a job that keeps a file, so the storage table (wider than a phone, in its own scroll) shows
  await trpcMutation(page, "batches.create", {
    text: `PHONE-1\thttp://127.0.0.1:${IMAGE_HOST_PORT}/img/phone-storage.png`,
    source: "paste",
    title: `A long title for a phone ${"to wrap ".repeat(8)}`,
  });
  await expect(async () => {
    await page.goto("/system");
    await expect(page.getByTestId("job-storage")).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.getByTestId("system-checks").getByRole("listitem").first()).toBeVisible();
  await expectNoSidewaysScroll(page);
  await page.screenshot({ path: path.join(shots, "system-phone.png"), fullPage: true });
  for (const [url, heading, name] of [
    ["/tables", "Tables", "tables"],
    ["/api-docs", "API", "api"],
  ] as const) {
    await page.goto(url);
    await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
    await expect(page.getByTestId("loading")).toHaveCount(0);
    await expectNoSidewaysScroll(page);
    await page.screenshot({ path: path.join(shots, `${name}-phone.png`), fullPage: true });
  }
});
