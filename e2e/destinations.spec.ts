import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { expect, test } from "@playwright/test";
import { E2E_ADMIN, E2E_PORT } from "../playwright.config";
import { createDataDir, startAppServer, waitUntil } from "./support/app-server";
import { expectNoSeriousA11yViolations } from "./support/axe";
import { signIn } from "./support/sign-in";
import { startFakeGoogle, type FakeGoogle } from "./fakes/google-sheets";
import { startFakePowerBi, type FakePowerBi } from "./fakes/powerbi";

// an app of its own: it must trust the Power BI fake's certificate from its start
const PORT = E2E_PORT + 23;
const BASE = `http://127.0.0.1:${PORT}`;
const shots = path.join("test-results", "screenshots");

let google: FakeGoogle;
let powerBi: FakePowerBi;
let server: ChildProcess;
let workDir: string;

test.beforeAll(async () => {
  [google, powerBi] = await Promise.all([startFakeGoogle(), startFakePowerBi()]);
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-destinations-"));
  fs.writeFileSync(path.join(workDir, "powerbi-ca.pem"), powerBi.cert);
  const { dataDir } = createDataDir("destinations");
  server = startAppServer({
    port: PORT,
    dataDir,
    env: {
      ADMIN_EMAIL: E2E_ADMIN.email,
      ADMIN_PASSWORD: E2E_ADMIN.password,
      DOWNLOAD_ALLOW_PRIVATE_HOSTS: "127.0.0.1,localhost",
      NODE_EXTRA_CA_CERTS: path.join(workDir, "powerbi-ca.pem"),
    },
  });
  await waitUntil(async () => (await fetch(`${BASE}/sign-in`)).ok, 90_000);
});

test.afterAll(async () => {
  server?.kill("SIGTERM");
  await Promise.all([google?.close(), powerBi?.close()]);
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
});
