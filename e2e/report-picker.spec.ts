import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, test } from "./support/test";
import { METABASE_PORT } from "../playwright.config";
import { openForm, trpcMutation } from "./support/api";
import { expectNoSeriousA11yViolations } from "./support/axe";
import { signIn } from "./support/sign-in";

const metabase = `http://127.0.0.1:${METABASE_PORT}`;
const shots = path.join("test-results", "screenshots");
const REPORT = "EU sales from the picker";
const CONNECTOR = "Metabase for the picker";

/** The page must not scroll sideways at this width; then a full-page screenshot for review. */
async function captureAt(page: Page, name: string, width: number) {
  await page.setViewportSize({ width, height: 900 });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, `${name}: the page scrolls sideways`).toBeLessThanOrEqual(0);
  // a full-page capture draws the sticky header where the page was scrolled to
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

test.beforeAll(() => fs.mkdirSync(shots, { recursive: true }));

test("pick a Metabase card, fill its template tag, preview it and save it", async ({ page }) => {
  await signIn(page, "/reports");
  const connector = await trpcMutation(page, "connectors.save", {
    name: CONNECTOR,
    kind: "metabase",
    baseUrl: metabase,
    settings: { authMethod: "api_key" },
    secrets: { apiKey: "mb_test_key" },
  });
  await page.reload();
  const form = await openForm(page, "Add report", "Report");
  await form.getByLabel("Connector").selectOption({ label: `${CONNECTOR} (Metabase)` });

  const picker = form.getByTestId("report-picker");
  await test.step("the list is capped and says how many match", async () => {
    await expect(picker.getByText(/^Showing 25 of 67: refine the search/)).toBeVisible();
    await picker.getByRole("searchbox").fill("kpi 0");
    await expect(picker.getByText("9 found.")).toBeVisible();
    await picker.getByRole("searchbox").fill("no such thing at all");
    await expect(picker.getByText("Nothing matches “no such thing at all”.")).toBeVisible();
  });

  await test.step("choosing a card fills the query and asks for its parameter", async () => {
    await picker.getByRole("searchbox").fill("sales by");
    await picker.getByRole("button", { name: /Sales by region/ }).click();
    await expect(picker.getByRole("button", { name: /Sales by region/ })).toHaveAttribute(
      "aria-pressed",
      "true",
    );
    await expect(form.getByLabel("Card id")).toHaveValue("1");
    await expect(form.getByLabel("Name", { exact: true })).toHaveValue("Sales by region");
    await form.getByLabel("Name", { exact: true }).fill(REPORT);
    const parameters = form.getByTestId("report-parameters");
    await expect(parameters.getByText("region (category · optional)")).toBeVisible();
    await parameters.getByLabel("Region").fill("EU");
    // the typed value becomes the parameter list the export takes, in the advanced JSON box
    await expect(form.getByLabel("Parameters (JSON array)")).toHaveValue(
      '[{"type":"category","target":["variable",["template-tag","region"]],"value":"EU"}]',
    );
  });

  await test.step("the preview shows the first rows the export answers", async () => {
    const preview = form.getByTestId("report-preview");
    await preview.getByRole("button", { name: "Preview first 20 rows" }).click();
    const table = preview.getByRole("table");
    await expect(table.getByRole("columnheader")).toHaveText(["region", "amount"]);
    await expect(table.getByRole("row")).toHaveCount(2);
    await expect(table.getByRole("cell")).toHaveText(["EU", "10"]);
    await expect(preview.getByText("The report's one row.")).toBeVisible();
    await expectNoSeriousA11yViolations(page, "the report form with picker and preview");
    await captureAt(page, "report-picker-preview", 1280);
    await captureAt(page, "report-picker-preview-phone", 390);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  await test.step("a broken card's error is one sentence", async () => {
    await picker.getByRole("searchbox").fill("broken query");
    await picker.getByRole("button", { name: /^Broken query question/ }).click();
    const preview = form.getByTestId("report-preview");
    await preview.getByRole("button", { name: "Preview first 20 rows" }).click();
    await expect(preview.getByRole("alert")).toHaveText(
      /^The preview failed: Metabase reported an error instead of the CSV: ERROR: relation "missing_table" does not exist/,
    );
    await expect(preview.getByRole("table")).toHaveCount(0);
    // back to the card with its parameter
    await picker.getByRole("searchbox").fill("sales by");
    await picker.getByRole("button", { name: /Sales by region/ }).click();
    await form.getByTestId("report-parameters").getByLabel("Region").fill("EU");
  });

  await test.step("saving keeps the picked card and its parameter", async () => {
    await form.getByRole("button", { name: "Save report" }).click();
    await expect(form).toBeHidden();
    await expect(page.getByText(REPORT, { exact: true })).toBeVisible();
    const response = await page.request.get("/api/trpc/reports.list");
    const reports = (
      (await response.json()) as {
        result: { data: { json: { name: string; query: unknown; connectorId: string }[] } };
      }
    ).result.data.json;
    expect(reports.find((report) => report.name === REPORT)).toMatchObject({
      connectorId: connector.id,
      query: {
        target: "card",
        cardId: 1,
        parameters: [
          { type: "category", target: ["variable", ["template-tag", "region"]], value: "EU" },
        ],
        formatRows: false,
      },
    });
  });
});
