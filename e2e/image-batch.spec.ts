import fs from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { expect, test } from "./support/test";
import { E2E_ADMIN, IMAGE_HOST_PORT } from "../playwright.config";
import { expectNoSeriousA11yViolations } from "./support/axe";
import { signIn } from "./support/sign-in";
import { isZipIntact, makeZip, zipEntries, zipEntryText } from "../test-support/zip";

const host = `http://127.0.0.1:${IMAGE_HOST_PORT}`;
const shots = path.join("test-results", "screenshots");

test.beforeAll(() => fs.mkdirSync(shots, { recursive: true }));

test("pages and API refuse a visitor who is not signed in", async ({ page, request }) => {
  await page.goto("/jobs");
  await expect(page).toHaveURL(/\/sign-in/);
  await page.screenshot({ path: path.join(shots, "sign-in.png"), fullPage: true });
  const api = await request.get("/api/trpc/jobs.list");
  expect(api.status()).toBe(401);
  // sign-in from another site's page is refused (CSRF), from our own page it works
  const foreign = await request.post("/api/auth/sign-in/email", {
    data: E2E_ADMIN,
    headers: { origin: "http://evil.example" },
  });
  expect(foreign.status()).toBe(403);
  const setup = await request.get("/setup");
  expect(new URL(setup.url()).pathname).toBe("/sign-in"); // the setup page closed itself: an admin exists
});

test("paste, analyze, queue, watch progress, download the ZIPs", async ({ page }, testInfo) => {
  await signIn(page, "/batches/new");
  await expect(page.getByRole("heading", { name: "New image batch" })).toBeVisible();
  const rows = [
    ["Product Number", "Image Src"],
    ["SKU-A", `${host}/img/a1.png`],
    ["SKU-A", `${host}/img/a2.jpg ${host}/img/a3.webp`],
    ["SKU-B", `${host}/img/b1.gif`],
    ["SKU-B", `${host}/img/b1.gif`],
    ["bad sku!", `${host}/img/x.png`],
    ["SKU-C", `${host}/status/404`],
    ["SKU-C", `${host}/img/c1.avif`],
  ];
  await page.getByLabel("Rows").fill(rows.map((r) => r.join("\t")).join("\n"));
  await page.getByRole("button", { name: "Analyze" }).click();

  await expect(page.getByRole("tab", { name: "Errors (1)" })).toBeVisible();
  await expect(page.getByRole("tab", { name: "Duplicates (1)" })).toBeVisible();
  const errorRow = page.locator('[data-verdict="error"]');
  await expect(errorRow).toHaveCount(1);
  await expect(errorRow).toContainText("bad sku!");
  // the tabs work from the keyboard: arrows move between them, the panel follows
  await page.getByRole("tab", { name: "Errors (1)" }).focus();
  await page.keyboard.press("ArrowRight");
  await expect(page.getByRole("tab", { name: "Duplicates (1)" })).toBeFocused();
  await expect(page.getByRole("tabpanel").locator('[data-verdict="duplicate"]')).toHaveCount(1);
  await page.keyboard.press("ArrowLeft");
  await expect(page.getByRole("tab", { name: "Errors (1)" })).toHaveAttribute(
    "aria-selected",
    "true",
  );
  // the keyboard check scrolled the page; a full-page capture draws the sticky header there
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, "new-batch-analyzed.png"), fullPage: true });

  await page.getByRole("button", { name: /Queue downloads \(6 images\)/ }).click();
  await expect(page).toHaveURL(/\/jobs\/[0-9a-f-]{36}$/);
  await expect(page.getByTestId("overall-count")).toHaveText(/6 of 6 done \(100 %\)/, {
    timeout: 60_000,
  });
  await expect(page.getByText("completed with errors")).toBeVisible();
  // the bad product number and the repeated GIF were left out at Analyze, and the job says so
  await expect(page.getByTestId("skipped-entries")).toHaveText(
    "2 entries were skipped at Analyze (errors or duplicates)",
  );
  await expect(page.getByTestId("failed-items")).toContainText("404 Not Found");
  // the 404 would fail the same way again: only the button that takes it anyway offers it
  await expect(page.getByRole("button", { name: "Retry failed items" })).toBeDisabled();
  await expect(page.getByRole("button", { name: "Retry 1 failed anyway" })).toBeEnabled();
  await expectNoSeriousA11yViolations(page, "a finished image job with a failure");
  // the skipped entries themselves, behind a summary, and as a file
  const skipped = page.getByTestId("skipped-rows");
  await skipped.locator("summary").click();
  await expect(skipped.locator('[data-verdict="error"]')).toContainText(
    "product number contains a space: only letters, digits, - and _ are allowed",
  );
  await expect(skipped.locator('[data-verdict="error"]')).toContainText("line 6");
  await expect(skipped.locator('[data-verdict="duplicate"]')).toContainText(
    "duplicate of line 4 (same product and URL)",
  );
  const skippedHref = await skipped
    .getByRole("link", { name: "Download skipped.csv" })
    .getAttribute("href");
  const skippedCsv = await page.request.get(String(skippedHref));
  expect((await skippedCsv.text()).split("\r\n")).toEqual([
    "line,product,image_url,verdict,message",
    `5,SKU-B,${host}/img/b1.gif,duplicate,duplicate of line 4 (same product and URL)`,
    `6,bad sku!,${host}/img/x.png,error,"product number contains a space: only letters, digits, - and _ are allowed"`,
    "",
  ]);
  const skuA = page.locator('[data-testid="product-card"][data-product="SKU-A"]');
  await expect(skuA.locator("img")).toHaveCount(3);
  // the PNG, JPEG and WebP thumbnails are really drawn, not broken or empty images
  for (const position of [1, 2, 3]) {
    await expect
      .poll(() =>
        skuA
          .locator(`img[alt="SKU-A image ${position}"]`)
          .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth),
      )
      .toBeGreaterThan(0);
  }
  await page.screenshot({ path: path.join(shots, "job-detail.png"), fullPage: true });
  await skipped.scrollIntoViewIfNeeded();
  await skipped.screenshot({ path: path.join(shots, "job-skipped-rows.png") });
  const jobUrl = page.url();
  await expect(page).toHaveTitle(/^6 images of 3 products .* · DataHaul$/);

  const masterDownload = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download master ZIP" }).click();
  const master = path.join(testInfo.outputDir, "master.zip");
  await (await masterDownload).saveAs(master);
  // `npm start` serves through scripts/server.mjs, which gives archives their exact length
  const archiveUrl = (await masterDownload).url();
  const head = await page.request.get(archiveUrl);
  expect(Number(head.headers()["content-length"])).toBe(fs.statSync(master).size);
  expect(isZipIntact(master)).toBe(true);
  expect(zipEntries(master).sort()).toEqual(
    [
      "SKU-A/SKU-A_001.png",
      "SKU-A/SKU-A_002.jpg",
      "SKU-A/SKU-A_003.webp",
      "SKU-B/SKU-B_001.gif",
      "SKU-C/SKU-C_002.avif",
      "manifest.csv",
      "manifest.json",
      "skipped.csv",
    ].sort(),
  );
  const manifest = JSON.parse(zipEntryText(master, "manifest.json"));
  expect(manifest.items).toHaveLength(6);
  const failed = manifest.items.find((i: { status: string }) => i.status === "failed");
  expect(failed).toMatchObject({
    product: "SKU-C",
    position: 1,
    error: "404 Not Found",
    fileName: null,
    // the pasted line it came from, counting the header
    line: 7,
  });
  const csv = zipEntryText(master, "manifest.csv");
  expect(csv.split(/\r?\n/)[0]).toBe(
    "product,position,source_url,file_name,bytes,sha256,content_type,status,attempts,error,line",
  );

  const productDownload = page.waitForEvent("download");
  // each product's ZIP link names its product, so a list of the page's links tells them apart
  const linkNames = [
    ...(await page.locator("main").ariaSnapshot()).matchAll(/- link "([^"]+)"/g),
  ].map((match) => match[1]!);
  expect(linkNames.filter((name) => name.includes("ZIP")).sort()).toEqual([
    "Download master ZIP",
    "ZIP of SKU-A",
    "ZIP of SKU-B",
    "ZIP of SKU-C",
  ]);
  expect(new Set(linkNames).size, `link names: ${linkNames.join(", ")}`).toBe(linkNames.length);
  await skuA.getByRole("link", { name: "ZIP of SKU-A", exact: true }).click();
  const product = path.join(testInfo.outputDir, "sku-a.zip");
  await (await productDownload).saveAs(product);
  expect(isZipIntact(product)).toBe(true);
  expect(zipEntries(product).sort()).toEqual([
    "SKU-A_001.png",
    "SKU-A_002.jpg",
    "SKU-A_003.webp",
    "manifest.csv",
    "manifest.json",
  ]);

  await page.getByRole("link", { name: "Jobs" }).first().click();
  await expect(page.getByRole("heading", { name: "Jobs" })).toBeVisible();
  await expect(page.getByText("completed with errors").first()).toBeVisible();
  await page.screenshot({ path: path.join(shots, "jobs-list.png"), fullPage: true });

  await page.getByRole("link", { name: "System" }).first().click();
  await expect(page.getByTestId("system-checks")).toContainText("Storage writable");
  await expect(page.getByTestId("system-checks").getByText("problem")).toHaveCount(0);
  await page.screenshot({ path: path.join(shots, "system.png"), fullPage: true });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/batches/new");
  await page.screenshot({ path: path.join(shots, "new-batch-phone.png"), fullPage: true });

  // a long error line in a product card must not widen the page past a phone's screen
  await page.goto(jobUrl);
  await expect(skuA.locator("img")).toHaveCount(3);
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, "the job page scrolls sideways on a phone").toBeLessThanOrEqual(0);
  await page.screenshot({ path: path.join(shots, "job-detail-phone.png"), fullPage: true });

  const missing = await page.goto("/jobs/00000000-0000-4000-8000-000000000000");
  expect(missing?.status()).toBe(404);
  await expect(page.getByText("This job does not exist (it may have been deleted).")).toBeVisible();
  await expect(page).toHaveTitle("Job not found · DataHaul");
  await page.screenshot({ path: path.join(shots, "job-missing-phone.png"), fullPage: true });
});

/** "Product Number;Image Src" and two rows as Excel's "CSV (Comma delimited)" writes them on Windows. */
function windows1252Csv(): Buffer {
  return Buffer.concat([
    Buffer.from("Product Number;Image Src\r\n"),
    Buffer.from([0xc4, 0xd6, 0xdc]), // ÄÖÜ
    Buffer.from(`-1;${host}/img/caf`),
    Buffer.from([0xe9]), // é
    Buffer.from(".jpg\r\nbad "),
    Buffer.from([0x80]), // €, at 0x80 where Node's own decoder has a control character
    Buffer.from(`;${host}/img/x.png\r\n`),
  ]);
}

test("an upload is read from its bytes: Windows-1252 with a note, a workbook refused in one sentence", async ({
  page,
}) => {
  await signIn(page, "/batches/new");
  await page.getByLabel("CSV or ZIP file").setInputFiles({
    name: "excel-export.csv",
    mimeType: "text/csv",
    buffer: windows1252Csv(),
  });
  await expect(
    page.getByText("The file is not UTF-8, so it was read as Windows-1252"),
  ).toBeVisible();
  await expect(page.getByText("· from excel-export.csv")).toBeVisible();
  const panel = page.getByRole("tabpanel");
  await page.getByRole("tab", { name: /All entries/ }).click();
  await expect(panel.locator('[data-verdict="ok"]')).toContainText("ÄÖÜ-1");
  await expect(panel.locator('[data-verdict="ok"]')).toContainText(`${host}/img/café.jpg`);
  await expect(panel.locator('[data-verdict="error"]')).toContainText("bad €");
  await expect(panel.locator('[data-verdict="error"]')).toContainText(
    "product number contains a space",
  );
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, "new-batch-windows-1252.png"), fullPage: true });
  await expectFitsPhone(
    page,
    "new-batch-analyzed-phone",
    "the analyzed page scrolls sideways on a phone",
  );

  // the bytes of a workbook: one sentence, no rows
  await page.getByLabel("CSV or ZIP file").setInputFiles({
    name: "images.xlsx",
    mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    buffer: Buffer.concat([
      Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0x06, 0]),
      Buffer.from("[Content_Types].xml"),
      Buffer.alloc(64),
      Buffer.from("xl/workbook.xml"),
    ]),
  });
  await expect(page.getByRole("alert").filter({ hasText: "This file is" })).toHaveText(
    /^This file is an Excel workbook \(\.xlsx\), not a CSV file\. In the spreadsheet choose File › Save As/,
  );
  await expect(page.getByRole("tab")).toHaveCount(0);
});

test("a ZIP upload: the image list inside is read, another can be chosen, a locked one is refused", async ({
  page,
}) => {
  await signIn(page, "/batches/new");
  await page.getByLabel("CSV or ZIP file").setInputFiles({
    name: "spring-export.zip",
    mimeType: "application/zip",
    buffer: makeZip({
      "Spring/readme.txt": "Images for the spring catalogue.\n",
      "Spring/images.csv": `SKU,Image\nZIP-1,${host}/img/a1.png\nZIP-1,${host}/img/a2.jpg\n`,
      "Spring/sale-images.csv": `ZIP-2,${host}/img/b1.gif\n`,
      "__MACOSX/Spring/._images.csv": "fork",
    }),
  });
  await expect(page.getByText("· from Spring/images.csv in spring-export.zip")).toBeVisible();
  await expect(
    page.getByText("Read “Spring/images.csv” of the 3 spreadsheets in the ZIP"),
  ).toBeVisible();
  const choice = page.getByLabel("Spreadsheet in spring-export.zip");
  await expect(choice.locator("option")).toHaveText([
    /^Spring\/images\.csv/,
    /^Spring\/readme\.txt/,
    /^Spring\/sale-images\.csv/,
  ]);
  await expect(page.getByRole("button", { name: "Queue downloads (2 images)" })).toBeEnabled();
  await page.screenshot({ path: path.join(shots, "new-batch-zip.png"), fullPage: true });
  await expectFitsPhone(page, "new-batch-zip-phone", "the ZIP choice scrolls sideways on a phone");

  await choice.selectOption("Spring/sale-images.csv");
  await expect(page.getByText("· from Spring/sale-images.csv in spring-export.zip")).toBeVisible();
  await expect(page.getByRole("button", { name: "Queue downloads (1 image)" })).toBeEnabled();
  await expect(page.getByLabel("Rows")).toHaveValue(`ZIP-2,${host}/img/b1.gif\n`);

  await page.getByLabel("CSV or ZIP file").setInputFiles({
    name: "locked.zip",
    mimeType: "application/zip",
    buffer: makeZip({ "images.csv": `ZIP-3,${host}/img/c1.avif\n` }, ["-P", "secret"]),
  });
  await expect(page.getByRole("alert").filter({ hasText: "password" })).toHaveText(
    "The ZIP is password-protected (“images.csv” is encrypted), so it cannot be read. Make the ZIP without a password, or upload the CSV file itself.",
  );
  await expect(page.getByRole("tab")).toHaveCount(0);
});

/** At a phone's width the page does not scroll sideways; a screenshot of it is kept. */
async function expectFitsPhone(page: Page, shot: string, message: string) {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, message).toBeLessThanOrEqual(0);
  await page.screenshot({ path: path.join(shots, `${shot}.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
}

test("a clipboard paste keeps a cell's quotes, and queueing sends a key that gets the same job again", async ({
  page,
  context,
}) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signIn(page, "/batches/new");
  // as Excel puts the cells on the clipboard: "XL"-P9 as it is, a cell with a line break quoted
  const clipboard = [
    "SKU\tImage",
    `"XL"-P9\t${host}/img/q1.png`,
    `产品-7\t"${host}/img/q2.png\n${host}/img/q3.png"`,
  ].join("\r\n");
  await page.evaluate((text) => navigator.clipboard.writeText(text), clipboard);
  await page.getByLabel("Rows").focus();
  await page.keyboard.press("ControlOrMeta+V");
  // a paste is analyzed without pressing Analyze
  await expect(page.getByRole("tab", { name: "Errors (1)" })).toBeVisible();
  await expect(page.locator('[data-verdict="error"]')).toContainText(
    'product number contains “"”: only letters, digits, - and _ are allowed',
  );
  await expect(page.locator('[data-verdict="error"]')).toContainText('"XL"-P9');

  const requests: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("batches.create")) requests.push(request.postData() ?? "");
  });
  await page.getByRole("button", { name: /Queue downloads \(2 images\)/ }).click();
  await expect(page).toHaveURL(/\/jobs\/[0-9a-f-]{36}$/);
  const jobId = page.url().split("/").at(-1);
  expect(requests).toHaveLength(1);
  const body = JSON.parse(requests[0]!) as { json: { idempotencyKey?: string } };
  expect(body.json.idempotencyKey).toMatch(/^[0-9a-f]{32}$/);
  // the same request again, as a client whose answer was cut off would send it: the same job
  const again = await page.request.post("/api/trpc/batches.create", {
    data: requests[0],
    headers: { "content-type": "application/json" },
  });
  expect(again.ok()).toBe(true);
  expect((await again.json()).result.data.json.jobId).toBe(jobId);
});

/** Creates a batch from pasted rows through the API the New batch page calls; returns its page. */
async function createBatch(page: Page, rows: string[][]): Promise<string> {
  const response = await page.request.post("/api/trpc/batches.create", {
    data: { json: { text: rows.map((r) => r.join("\t")).join("\n"), source: "paste" } },
    headers: { "content-type": "application/json" },
  });
  expect(response.ok(), await response.text()).toBe(true);
  const { jobId } = (await response.json()).result.data.json as { jobId: string };
  return `/jobs/${jobId}`;
}

test("a job whose images all failed shows them failed, and offers no ZIP of nothing", async ({
  page,
}) => {
  await signIn(page, "/jobs");
  const jobPage = await createBatch(page, [
    ["SKU-F1", `${host}/status/404`],
    ["SKU-F1", `${host}/status/403`],
    ["SKU-F2", `${host}/html-as.jpg`],
  ]);
  await page.goto(jobPage);
  await expect(page.getByTestId("outcome-summary")).toHaveText("0 downloaded, 3 failed", {
    timeout: 30_000,
  });
  const overall = page.getByRole("progressbar", { name: "Overall progress" });
  await expect(overall).toHaveAttribute("aria-valuetext", "0 downloaded, 3 failed");
  // the bar is red where the images failed, with no green part for downloads that never came
  await expect(overall.locator('[data-segment="failed"]')).toHaveCount(1);
  await expect(overall.locator('[data-segment="succeeded"]')).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Download master ZIP" })).toHaveCount(0);
  // a finished job is not followed any more, like a finished report run
  await expect(page.getByText(/● live|reconnecting/)).toHaveCount(0);
  await expect(page.getByTestId("no-zip-note")).toHaveText(
    "No image was downloaded, so there is no ZIP to download. The manifest says why each one failed.",
  );
  const card = page.locator('[data-testid="product-card"][data-product="SKU-F1"]');
  await expect(card.getByTestId("product-outcome")).toHaveText("0 downloaded, 2 failed");
  await expect(card.getByRole("link", { name: /ZIP/ })).toHaveCount(0);
  await expect(card.getByText("no files", { exact: true })).toBeVisible();
  await page.screenshot({ path: path.join(shots, "job-all-failed.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(shots, "job-all-failed-phone.png"), fullPage: true });
});

test("a job with some images failed shows both parts, in the bar and in words", async ({
  page,
}) => {
  await signIn(page, "/jobs");
  const jobPage = await createBatch(page, [
    ["SKU-M1", `${host}/img/m1.png`],
    ["SKU-M1", `${host}/status/404`],
    ["SKU-M1", `${host}/status/410`],
  ]);
  await page.goto(jobPage);
  await expect(page.getByTestId("outcome-summary")).toHaveText("1 downloaded, 2 failed", {
    timeout: 30_000,
  });
  const bar = page.getByRole("progressbar", { name: "Progress of SKU-M1" });
  await expect(bar).toHaveAttribute("aria-valuetext", "1 downloaded, 2 failed");
  await expect(bar.locator('[data-segment="succeeded"]')).toHaveAttribute("style", /width: 33\./);
  await expect(bar.locator('[data-segment="failed"]')).toHaveAttribute("style", /width: 66\./);
  await expect(page.getByRole("link", { name: "Download master ZIP" })).toBeVisible();
  await expect(page.getByTestId("no-zip-note")).toHaveCount(0);
});

test("retry takes the failures that may pass, and the failed rows come as a paste", async ({
  page,
}) => {
  await signIn(page, "/jobs");
  const jobPage = await createBatch(page, [
    ["SKU-T1", `${host}/img/t1.png`],
    ["SKU-T1", `${host}/status/404`],
    ["SKU-T1", `${host}/html-as.jpg`],
    // each try waits the 2 s the server asks for: a retry of it is seen running
    ["SKU-T2", `${host}/status/503?retry-after=2`],
  ]);
  await page.goto(jobPage);
  await expect(page.getByTestId("outcome-summary")).toHaveText("1 downloaded, 3 failed", {
    timeout: 30_000,
  });
  // the 404 and the HTML page would fail the same way again: the default retry leaves them out
  await expect(page.getByRole("button", { name: "Retry 1 failed", exact: true })).toBeEnabled();
  await expect(page.getByRole("button", { name: "Retry all 3 failed", exact: true })).toBeEnabled();
  await expect(page.getByTestId("permanent-failures")).toContainText(
    "2 failed images get the same answer every time",
  );
  const failedRows = page.getByTestId("failed-items").locator("li");
  await expect(failedRows.filter({ hasText: "404 Not Found" })).toContainText(
    "· the same on a retry",
  );
  await expect(failedRows.filter({ hasText: "503 Service Unavailable" })).not.toContainText(
    "the same on a retry",
  );
  await page.screenshot({ path: path.join(shots, "job-retry-choices.png"), fullPage: true });

  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Failed rows (TSV)" }).click();
  const file = await (await download).path();
  expect(fs.readFileSync(file, "utf8").split("\r\n")).toEqual([
    "Product Number\tImage Src\tLine\tReason",
    `SKU-T1\t${host}/status/404\t2\t404 Not Found`,
    `SKU-T1\t${host}/html-as.jpg\t3\tnot an image: text/html`,
    `SKU-T2\t${host}/status/503?retry-after=2\t4\t503 Service Unavailable (after 4 attempts)`,
    "",
  ]);

  await page.getByRole("button", { name: "Retry 1 failed", exact: true }).click();
  // only the 503 went back in line: the two others stay failed while it runs again
  await expect(page.getByTestId("outcome-summary")).toHaveText("1 downloaded, 2 failed, 1 to go");
  await expect(page.getByTestId("outcome-summary")).toHaveText("1 downloaded, 3 failed", {
    timeout: 30_000,
  });
});

test("a running job shows the downloads it waits for, with their attempt and the wait", async ({
  page,
}) => {
  await signIn(page, "/jobs");
  const jobPage = await createBatch(page, [
    ["SKU-I1", `${host}/img/i1.png`],
    // each try waits the 4 s the server asks for before the next
    ["SKU-I2", `${host}/status/503?retry-after=4`],
    // answers after the 5 s read timeout of these tests: a running attempt, then a retry
    ["SKU-I3", `${host}/img/i3.png?delay=20000`],
  ]);
  await page.goto(jobPage);
  const inFlight = page.getByTestId("in-flight");
  const waiting = inFlight.locator("li").filter({ hasText: "SKU-I2" });
  await expect(waiting).toContainText(
    /attempt 1 of 4 failed \(503 Service Unavailable\); next try in [0-4] s/,
  );
  await expect(inFlight.locator("li").filter({ hasText: "SKU-I3" })).toContainText(
    /attempt 1 of 4, \d+ s so far/,
  );
  await page.screenshot({ path: path.join(shots, "job-in-flight.png"), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(shots, "job-in-flight-phone.png"), fullPage: true });
  await expect(waiting).toContainText(/attempt 2 of 4/, { timeout: 10_000 });
  await page.getByRole("button", { name: "Cancel job" }).click();
  await expect(page.getByTestId("in-flight")).toHaveCount(0);
  await expect(page.getByTestId("outcome-summary")).toHaveText("1 downloaded, 2 cancelled");
});
