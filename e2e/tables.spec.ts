import fs from "node:fs";
import path from "node:path";
import ExcelJS from "exceljs";
import Papa from "papaparse";
import { expect, test } from "./support/test";
import { expectNoSeriousA11yViolations } from "./support/axe";
import { signIn } from "./support/sign-in";

const shots = path.join("test-results", "screenshots");

/** An orders workbook as a spreadsheet user sends it: a notes sheet first, codes with leading zeros. */
async function writeOrdersWorkbook(file: string) {
  const workbook = new ExcelJS.Workbook();
  workbook.addWorksheet("Notes").addRow(["Exported from the shop"]);
  const sheet = workbook.addWorksheet("Orders");
  sheet.addRow(["order_id", "region", "sku", "units", "price", "ordered"]);
  const regions = ["North", "South", "East", "West"];
  for (let i = 1; i <= 240; i++)
    sheet.addRow([
      i,
      regions[i % 4],
      String(i % 37).padStart(5, "0"),
      (i * 7) % 20,
      ((i * 13) % 1000) / 10,
      new Date(Date.UTC(2024, i % 12, 1 + (i % 27))),
    ]);
  await workbook.xlsx.writeFile(file);
}

test("upload a workbook, build a transform with its preview, export XLSX and CSV, and drive the same export from a script with a token", async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(150_000);
  const workbookPath = path.join(testInfo.outputDir, "orders.xlsx");
  fs.mkdirSync(testInfo.outputDir, { recursive: true });
  await writeOrdersWorkbook(workbookPath);

  await signIn(page, "/tables");
  await page.getByLabel("File", { exact: true }).setInputFiles(workbookPath);
  await page.getByLabel(/^Name/).fill("E2E orders");
  await page.getByLabel(/^Sheet/).fill("Orders");
  await page.getByRole("button", { name: "Upload" }).click();
  // reading a workbook is the server's work: 0.6 s here, more on a busy CI machine
  await expect(page.getByText("E2E orders: 240 rows, 6 columns.")).toBeVisible({
    timeout: 30_000,
  });
  const row = page.getByTestId("table-row").filter({ hasText: "E2E orders" });
  await row.getByRole("button", { name: "Columns" }).click();
  await expect(row.getByText("sku text")).toBeVisible();
  await expect(row.getByText("ordered date")).toBeVisible();
  await expectNoSeriousA11yViolations(page, "the tables page");

  await row.getByRole("link", { name: "Transform" }).click();
  await expect(page.getByTestId("preview-count")).toHaveText(
    "The table as read: 240 rows, the first 100 shown",
  );
  await page.getByLabel("Name", { exact: true }).fill("E2E north revenue");

  await page.getByLabel("Add a step").selectOption("filter");
  await page.getByLabel("Condition 1 column").selectOption("region");
  await page.getByLabel("Condition 1 value").fill("North");
  await expect(page.getByTestId("preview-count")).toHaveText("After step 1: 60 rows");

  await page.getByLabel("Add a step").selectOption("compute");
  await page.getByLabel("Column name").fill("revenue");
  await page.getByLabel("Expression", { exact: true }).fill("units * price");
  await expect(page.getByRole("columnheader", { name: /revenue/ })).toBeVisible();

  // a step that names a missing column says so in plain words, and the preview shows the step before
  await page.getByLabel("Add a step").selectOption("sort");
  await page.getByLabel("Add a step").selectOption("compute");
  const steps = page.getByTestId("step");
  await steps.nth(3).getByLabel("Expression", { exact: true }).fill("discount * 2");
  await expect(steps.nth(3).getByTestId("step-error")).toHaveText(
    "column 'discount' not found; columns are: order_id, region, sku, units, price, ordered, revenue",
  );
  await expect(page.getByTestId("preview-count")).toHaveText("After step 3: 60 rows");
  await steps.nth(3).getByRole("button", { name: "Remove step 4" }).click();
  await steps.nth(2).getByLabel("Sort column 1").selectOption("revenue");
  await steps.nth(2).getByLabel("Order 1").selectOption("desc");
  await expect(page.getByTestId("preview-count")).toHaveText("After step 3: 60 rows");
  const firstRow = page.getByTestId("preview-table").locator("tbody tr").first();
  await expect(firstRow).toContainText("North");

  await page.getByLabel("Excel (XLSX)").check();
  await page.getByLabel(/Byte order mark/).check();
  await expect(page.getByRole("button", { name: "Save and export" })).toBeEnabled();
  await expect(page.getByText("Updating…")).toBeHidden();
  await page.screenshot({ path: path.join(shots, "transform-editor.png"), fullPage: true });
  await expectNoSeriousA11yViolations(page, "the transform editor");
  await page.getByRole("button", { name: "Save and export" }).click();
  await expect(page).toHaveURL(/\/jobs\//);
  await expect(page.getByTestId("export-output")).toHaveCount(2);
  await expect(page.locator('[data-testid="export-output"][data-state="succeeded"]')).toHaveCount(
    2,
    { timeout: 60_000 },
  );
  await page.screenshot({ path: path.join(shots, "export-job.png"), fullPage: true });

  const csvDownload = page.waitForEvent("download");
  await page.getByRole("link", { name: "E2E north revenue.csv" }).click();
  const csvPath = path.join(testInfo.outputDir, "export.csv");
  await (await csvDownload).saveAs(csvPath);
  const csvBytes = fs.readFileSync(csvPath);
  expect([...csvBytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const csvRows = Papa.parse<string[]>(csvBytes.toString("utf8").slice(1).trim()).data;
  expect(csvRows[0]).toEqual(["order_id", "region", "sku", "units", "price", "ordered", "revenue"]);
  expect(csvRows).toHaveLength(61);
  const revenues = csvRows.slice(1).map((r) => Number(r[6]));
  expect(revenues).toEqual([...revenues].sort((a, b) => b - a));
  expect(csvRows.slice(1).every((r) => r[1] === "North" && /^\d{5}$/.test(r[2]!))).toBe(true);

  const xlsxDownload = page.waitForEvent("download");
  await page.getByRole("link", { name: "E2E north revenue.xlsx" }).click();
  const xlsxPath = path.join(testInfo.outputDir, "export.xlsx");
  await (await xlsxDownload).saveAs(xlsxPath);
  const book = new ExcelJS.Workbook();
  await book.xlsx.readFile(xlsxPath);
  const sheet = book.worksheets[0]!;
  expect(sheet.rowCount).toBe(61);
  expect(sheet.getRow(1).getCell(1).font?.bold).toBe(true);
  expect(sheet.getRow(2).getCell(3).value).toMatch(/^\d{5}$/);
  expect(sheet.getRow(2).getCell(6).value).toBeInstanceOf(Date);
  expect(typeof sheet.getRow(2).getCell(7).value).toBe("number");

  // a script: a token made on the API page, then plain HTTP requests as curl would send them
  await page.getByRole("link", { name: "API", exact: true }).first().click();
  await page.getByLabel("Name").fill("e2e script");
  await page.getByLabel("Scope").selectOption("run");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.getByTestId("new-token").locator("code").textContent())!.trim();
  expect(token).toMatch(/^dh_/);
  await expect(page.getByTestId("api-reference")).toContainText("/api/v1/exports/{jobId}/download");
  await page.screenshot({ path: path.join(shots, "api-page.png"), fullPage: true });
  await expectNoSeriousA11yViolations(page, "the API page");

  const auth = { authorization: `Bearer ${token}` };
  const transforms = (await (
    await request.get("/api/v1/transforms", { headers: auth })
  ).json()) as { id: string; name: string }[];
  const transform = transforms.find((t) => t.name === "E2E north revenue")!;
  expect(transform).toBeTruthy();
  const started = await request.post("/api/v1/exports", {
    headers: auth,
    data: { transformId: transform.id, outputs: [{ format: "csv" }] },
  });
  expect(started.status()).toBe(202);
  const { jobId } = (await started.json()) as { jobId: string };
  await expect
    .poll(
      async () =>
        (
          (await (await request.get(`/api/v1/exports/${jobId}`, { headers: auth })).json()) as {
            job: { status: string };
          }
        ).job.status,
      { timeout: 60_000 },
    )
    .toBe("completed");
  const download = await request.get(`/api/v1/exports/${jobId}/download`, { headers: auth });
  expect(download.status()).toBe(200);
  const body = await download.body();
  expect(Number(download.headers()["content-length"])).toBe(body.byteLength);
  expect(Papa.parse(body.toString("utf8").trim()).data).toHaveLength(61);

  const refused = await request.get("/api/v1/transforms", {
    headers: { authorization: "Bearer dh_wrong" },
  });
  expect(refused.status()).toBe(401);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
});
