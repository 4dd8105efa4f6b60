import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { expect, test, type Page } from "@playwright/test";
import { E2E_ADMIN, E2E_PORT } from "../playwright.config";
import { createDataDir, startAppServer, waitUntil } from "./support/app-server";
import { expectNoSeriousA11yViolations } from "./support/axe";
import { signIn } from "./support/sign-in";
import { startFakeGoogle, type FakeGoogle } from "./fakes/google-sheets";
import { startFakePowerBi, type FakePowerBi } from "./fakes/powerbi";
import { startFakeCsvHost, type FakeCsvHost } from "../test-support/fakes/csv-host";

// an app of its own: it must trust the Power BI fake's certificate from its start
const PORT = E2E_PORT + 23;
const BASE = `http://127.0.0.1:${PORT}`;
const shots = path.join("test-results", "screenshots");

let google: FakeGoogle;
let powerBi: FakePowerBi;
let csvHost: FakeCsvHost;
let server: ChildProcess;
let workDir: string;

/** A signed-in tRPC mutation against this spec's own app (superjson wraps input and data). */
async function mutation<T = { id: string }>(
  page: Page,
  procedure: string,
  json: unknown,
): Promise<T> {
  const response = await page.request.post(`${BASE}/api/trpc/${procedure}`, { data: { json } });
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

test.beforeAll(async () => {
  [google, powerBi, csvHost] = await Promise.all([
    startFakeGoogle(),
    startFakePowerBi(),
    startFakeCsvHost(),
  ]);
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-destinations-"));
  fs.writeFileSync(path.join(workDir, "powerbi-ca.pem"), powerBi.cert);
  fs.mkdirSync(path.join(workDir, "share"));
  const { dataDir } = createDataDir("destinations");
  server = startAppServer({
    port: PORT,
    dataDir,
    env: {
      ADMIN_EMAIL: E2E_ADMIN.email,
      ADMIN_PASSWORD: E2E_ADMIN.password,
      DOWNLOAD_ALLOW_PRIVATE_HOSTS: "127.0.0.1,localhost",
      NODE_EXTRA_CA_CERTS: path.join(workDir, "powerbi-ca.pem"),
      DELIVERY_FOLDER_ROOT: path.join(workDir, "share"),
    },
  });
  await waitUntil(async () => (await fetch(`${BASE}/sign-in`)).ok, 90_000);
});

test.afterAll(async () => {
  server?.kill("SIGTERM");
  await Promise.all([google?.close(), powerBi?.close(), csvHost?.close()]);
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

test("add a Sheets and a Power BI destination, test both, fix a wrong secret, push a table to the sheet and see its rows there", async ({
  page,
}) => {
  test.setTimeout(180_000);
  fs.mkdirSync(shots, { recursive: true });
  const spreadsheetId = google.addSpreadsheet({ title: "Team dashboard", sheets: ["Sheet1"] });
  const keyFile = path.join(workDir, "service-account.json");
  fs.writeFileSync(keyFile, JSON.stringify(google.serviceAccountKey, null, 2));

  await signIn(page, `${BASE}/destinations`);
  const csv = ["region,amount,units", "North,120.50,3", "South,80.25,2", "East,99.00,5"].join("\n");
  const uploaded = await page.request.post(`${BASE}/api/tables?fileName=regions.csv&name=Regions`, {
    data: Buffer.from(csv),
  });
  expect(uploaded.status(), await uploaded.text()).toBe(201);
  await page.reload();
  await expect(page.getByText("No destinations yet.")).toBeVisible();

  // Google Sheets, its key from the file the Cloud console gave
  await page.getByRole("button", { name: "Add destination" }).click();
  const form = page.getByRole("form", { name: "Connector" });
  await form.getByLabel("System").selectOption("google-sheets");
  await expect(form.getByTestId("destination-note")).toContainText("60 writes a minute");
  await form.getByLabel("Name", { exact: true }).fill("Team sheet");
  await form.getByLabel("Address").fill(google.url);
  await form
    .getByLabel("Spreadsheet (URL or id)")
    .fill(`https://docs.google.com/spreadsheets/d/${spreadsheetId}/edit`);
  await form.getByLabel("Sheet (tab)").fill("Regions");
  await form.getByLabel("Service account key (JSON) from a file").setInputFiles(keyFile);
  await expect(form.getByText("(will be saved)")).toBeVisible();
  await form.getByRole("button", { name: "Save and test" }).click();
  const sheetRow = page.getByTestId("destination-row").filter({ hasText: "Team sheet" });
  await expect(sheetRow.getByTestId("destination-check")).toHaveText(
    `✓ signed in as ${google.serviceAccountKey.client_email}; the spreadsheet "Team dashboard" is shared with it (1 sheet); its sheet "Regions" does not exist yet: the first push creates it. Writing needs Editor access.`,
  );

  // Power BI with a wrong secret: Microsoft's own reason shows, then the right one fixes it
  await page.getByRole("button", { name: "Add destination" }).click();
  await form.getByLabel("System").selectOption("powerbi");
  await expect(form.getByTestId("destination-note")).toContainText("31 October 2027");
  await form.getByLabel("Name", { exact: true }).fill("Sales dataset");
  await form.getByLabel("Address").fill(powerBi.url);
  await form.getByLabel("Tenant id").fill(powerBi.tenantId);
  await form.getByLabel("Client id (application id)").fill(powerBi.clientId);
  await form.getByLabel("Client secret").fill("a-secret-id-not-its-value");
  await form.getByLabel("Workspace id").fill(powerBi.groupId);
  await form.getByLabel("Dataset (name or id)").fill("Sales");
  await form.getByLabel("Sign-in host").fill(powerBi.url);
  await form.getByRole("button", { name: "Save and test" }).click();
  const powerBiRow = page.getByTestId("destination-row").filter({ hasText: "Sales dataset" });
  await expect(powerBiRow.getByTestId("destination-check")).toContainText(
    "✗ Microsoft refused the sign-in: AADSTS7000215: Invalid client secret provided.",
  );
  await powerBiRow.getByRole("button", { name: "Edit" }).click();
  await form.getByLabel("Client secret").fill(powerBi.clientSecret);
  await form.getByRole("button", { name: "Save and test" }).click();
  await expect(powerBiRow.getByTestId("destination-check")).toHaveText(
    `✓ signed in; the workspace has ${powerBi.datasets().length} datasets; "Sales" does not exist yet: the first push creates it as a push dataset`,
  );
  await expectNoSeriousA11yViolations(page, "the destinations page");
  await page.screenshot({ path: path.join(shots, "destinations.png"), fullPage: true });
  // no secret reached the page
  const html = await page.content();
  expect(html).not.toContain(powerBi.clientSecret);
  expect(html).not.toContain("PRIVATE KEY");

  // push the table to the sheet and follow the job
  await sheetRow.getByRole("button", { name: "Push a table" }).click();
  const pushForm = page.getByRole("form", { name: "Push to Team sheet" });
  await pushForm.getByLabel("What to push").selectOption({ label: "Regions" });
  await pushForm.getByRole("button", { name: "Start push" }).click();
  await expect(page).toHaveURL(/\/jobs\/[0-9a-f-]+$/);
  await expect(page.getByTestId("push-state")).toContainText("succeeded", { timeout: 60_000 });
  await expect(page.getByTestId("push-rows")).toHaveText("3 of 3");
  await expect(page.getByTestId("push-batches")).toHaveText("1 of 1");
  await expect(page.getByTestId("push-notes")).toContainText('sheet "Regions" created');
  await expectNoSeriousA11yViolations(page, "a push's job page");
  await page.screenshot({ path: path.join(shots, "push-job.png"), fullPage: true });
  expect(google.values(spreadsheetId, "Regions")).toEqual([
    ["region", "amount", "units"],
    ["North", 120.5, 3],
    ["South", 80.25, 2],
    ["East", 99, 5],
  ]);

  // a pipeline: the report's CSV, through a transform, to the same sheet
  const connector = await mutation(page, "connectors.save", {
    name: "Exports host",
    kind: "http",
    baseUrl: csvHost.url,
    settings: { authMethod: "none" },
    secrets: {},
  });
  const report = await mutation(page, "reports.save", {
    name: "Sales export",
    connectorId: connector.id,
    query: { url: "/exports/sales.csv" },
  });
  const reportTable = await mutation(page, "tables.createFromReport", { reportId: report.id });
  await mutation(page, "tables.createTransform", {
    name: "Big sales",
    tableId: reportTable.id,
    steps: [
      {
        kind: "filter",
        conditions: [{ column: "amount", operator: "greater_than", value: "15" }],
      },
    ],
  });
  await page.goto(`${BASE}/pipelines`);
  await page.getByRole("button", { name: "New pipeline" }).click();
  const pipelineForm = page.getByRole("form", { name: "Pipeline" });
  await pipelineForm.getByLabel("Name", { exact: true }).fill("Sales to the team sheet");
  await pipelineForm.getByLabel("1. Run a report first").selectOption({ label: "Sales export" });
  await pipelineForm
    .getByLabel("Destination")
    .selectOption({ label: "Team sheet (Google Sheets)" });
  await pipelineForm.getByLabel("2. Rows from").selectOption({ label: "Big sales" });
  await pipelineForm.getByRole("button", { name: "Save pipeline" }).click();
  const pipelineRow = page
    .getByTestId("pipeline-row")
    .filter({ hasText: "Sales to the team sheet" });
  await expect(pipelineRow).toContainText(
    "run the report Sales export → push the transform Big sales to Team sheet (replace)",
  );
  await pipelineRow.getByRole("button", { name: "Run now" }).click();
  await expect(page).toHaveURL(/\/jobs\/[0-9a-f-]+$/);
  const stages = page.getByTestId("pipeline-stage");
  await expect(stages).toHaveCount(2);
  await expect(stages.nth(0)).toHaveAttribute("data-status", "completed", { timeout: 60_000 });
  await expect(stages.nth(1)).toHaveAttribute("data-status", "completed", { timeout: 60_000 });
  await expect(page.getByText("completed", { exact: true }).first()).toBeVisible();
  await expectNoSeriousA11yViolations(page, "a pipeline run's page");
  await page.screenshot({ path: path.join(shots, "pipeline-run.png"), fullPage: true });
  expect(google.values(spreadsheetId, "Regions")).toEqual([
    ["region", "amount"],
    ["US, East", 20],
    ['APAC "North"', 30.5],
  ]);
});

test("add a folder destination, export a transform with delivery to it, and see the step and the files", async ({
  page,
}) => {
  test.setTimeout(120_000);
  fs.mkdirSync(shots, { recursive: true });
  await signIn(page, `${BASE}/destinations`);
  const csv = ["sku,price", "A-1,10.5", "B-2,7"].join("\n");
  const uploaded = await page.request.post(`${BASE}/api/tables?fileName=prices.csv&name=Prices`, {
    data: Buffer.from(csv),
  });
  expect(uploaded.status(), await uploaded.text()).toBe(201);
  const table = (await uploaded.json()) as { id: string };
  const transform = await mutation(page, "tables.createTransform", {
    name: "Price list",
    tableId: table.id,
    steps: [],
  });

  await page.getByRole("button", { name: "Add destination" }).click();
  const form = page.getByRole("form", { name: "Connector" });
  await form.getByLabel("System").selectOption("folder");
  await expect(form.getByTestId("destination-note")).toContainText("DELIVERY_FOLDER_ROOT");
  // a folder's place is its own setting: the form asks for no address
  await expect(form.getByLabel("Address")).toHaveCount(0);
  await form.getByLabel("Name", { exact: true }).fill("Finance share");
  await form.getByLabel("Folder (under the delivery root)").fill("prices");
  await form.getByRole("button", { name: "Save and test" }).click();
  const shareRow = page.getByTestId("destination-row").filter({ hasText: "Finance share" });
  await expect(shareRow).toContainText("takes files");
  await expect(shareRow.getByTestId("destination-check")).toContainText("✓");

  // SFTP's form: the host key it records, and a key file or a password
  await page.getByRole("button", { name: "Add destination" }).click();
  await form.getByLabel("System").selectOption("sftp");
  await expect(form.getByTestId("destination-note")).toContainText("host key");
  await expect(form.getByLabel("Host key fingerprint")).toBeVisible();
  await expectNoSeriousA11yViolations(page, "the SFTP destination form");
  await page.screenshot({ path: path.join(shots, "sftp-destination-form.png"), fullPage: true });
  await form.getByRole("button", { name: "Cancel" }).click();

  await page.goto(`${BASE}/tables/transforms/${transform.id}`);
  await page
    .getByLabel("Deliver the files to")
    .selectOption({ label: "Also deliver to Finance share" });
  await page.getByRole("button", { name: "Save and export" }).click();
  await expect(page).toHaveURL(/\/jobs\/[0-9a-f-]+$/);
  const step = page.getByTestId("delivery-step");
  await expect(step).toHaveAttribute("data-state", "succeeded", { timeout: 60_000 });
  await expect(step).toContainText("Finance share");
  await expect(step.getByTestId("delivered-files")).toContainText("Price list.csv");
  await expectNoSeriousA11yViolations(page, "an export's page with its delivery");
  await page.screenshot({ path: path.join(shots, "export-delivered.png"), fullPage: true });
  expect(fs.readFileSync(path.join(workDir, "share", "prices", "Price list.csv"), "utf8")).toBe(
    "sku,price\nA-1,10.5\nB-2,7.0\n",
  );

  // the delivery's own page: one step of one, with its attempts
  await page.getByRole("link", { name: "Open the delivery (retry, cancel)" }).click();
  await expect(page.getByTestId("delivery-step")).toHaveAttribute("data-state", "succeeded");
  await expect(page.getByText("1 attempt")).toBeVisible();
  await expectNoSeriousA11yViolations(page, "a delivery's page");
  await page.screenshot({ path: path.join(shots, "delivery-job.png"), fullPage: true });

  // a pipeline can end in the folder: it exports the transform and delivers the files
  await page.goto(`${BASE}/pipelines`);
  await page.getByRole("button", { name: "New pipeline" }).click();
  const pipelineForm = page.getByRole("form", { name: "Pipeline" });
  await pipelineForm.getByLabel("Name", { exact: true }).fill("Prices to the share");
  await pipelineForm
    .getByLabel("Destination")
    .selectOption({ label: "Finance share (Folder on the server)" });
  await expect(pipelineForm.getByLabel("What it does there")).toHaveValue("deliver");
  await expect(pipelineForm.getByLabel("3. Mode")).toHaveCount(0);
  await pipelineForm.getByLabel("2. Rows from").selectOption({ label: "Price list" });
  await page.screenshot({ path: path.join(shots, "pipeline-deliver-form.png"), fullPage: true });
  await pipelineForm.getByRole("button", { name: "Save pipeline" }).click();
  const pipelineRow = page.getByTestId("pipeline-row").filter({ hasText: "Prices to the share" });
  await expect(pipelineRow).toContainText(
    "export the transform Price list and deliver the files to Finance share",
  );
  await pipelineRow.getByRole("button", { name: "Run now" }).click();
  const stages = page.getByTestId("pipeline-stage");
  await expect(stages).toHaveCount(2);
  await expect(stages.nth(1)).toHaveAttribute("data-status", "completed", { timeout: 60_000 });
  await expectNoSeriousA11yViolations(page, "a deliver pipeline's run");
  await page.screenshot({ path: path.join(shots, "pipeline-deliver.png"), fullPage: true });
});
