import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { E2E_ADMIN, E2E_PORT } from "../playwright.config";
import { startFakeCsvHost } from "../test-support/fakes/csv-host";
import { startImageHost } from "../test-support/fakes/image-host";
import { createDataDir, startAppServer, waitUntil } from "./support/app-server";
import { signIn } from "./support/sign-in";

const PORT = E2E_PORT + 22;
const BASE = `http://127.0.0.1:${PORT}`;
const shots = path.join("test-results", "screenshots");

test("a store that cannot take files: the System page says so, an image job and a report run pause and say why, then finish by themselves", async ({
  page,
}) => {
  test.setTimeout(180_000);
  fs.mkdirSync(shots, { recursive: true });
  const host = await startImageHost();
  const csvHost = await startFakeCsvHost();
  const { dataDir } = createDataDir("faults");
  const server = startAppServer({
    port: PORT,
    dataDir,
    env: { ADMIN_EMAIL: E2E_ADMIN.email, ADMIN_PASSWORD: E2E_ADMIN.password },
  });
  const blobs = path.join(dataDir, "blobs");
  try {
    await waitUntil(async () => (await fetch(`${BASE}/sign-in`)).ok, 90_000);
    await signIn(page, `${BASE}/system`);
    await expect(page.getByTestId("system-checks")).toContainText("Storage writable");

    // the blob folder is gone and a file sits in its place (as after a failed mount)
    fs.renameSync(blobs, `${blobs}-aside`);
    fs.writeFileSync(blobs, "not a folder");
    await page.getByRole("button", { name: "Check again" }).click();
    const storage = page
      .getByTestId("system-checks")
      .locator("li", { hasText: "Storage writable" });
    await expect(storage).toContainText("problem");
    await expect(storage).toContainText(`the blob folder ${blobs} is not writable`);
    await expect(storage).toContainText("ENOTDIR");
    await page.screenshot({
      path: path.join(shots, "system-store-unwritable.png"),
      fullPage: true,
    });

    const text = Array.from(
      { length: 12 },
      (_, i) => `SKU-P${i % 3}\t${host.url}/img/paused-${i}.png`,
    ).join("\n");
    const created = await page.request.post(`${BASE}/api/trpc/batches.create`, {
      data: { json: { text, source: "paste" } },
    });
    expect(created.ok()).toBe(true);
    const jobId: string = (await created.json()).result.data.json.jobId;
    await page.goto(`${BASE}/jobs/${jobId}`);
    const notice = page.getByTestId("paused-notice");
    await expect(notice).toContainText(
      "Paused: storage is not writable (a folder of the store is not a folder, ENOTDIR), retrying in",
      { timeout: 30_000 },
    );
    await expect(page.getByText("paused", { exact: true })).toBeVisible();
    await expect(page.getByTestId("overall-count")).toHaveText(/^0 of 12 done/);
    await page.screenshot({ path: path.join(shots, "job-paused.png"), fullPage: true });
    // retrying is never refused: it tries at once, and the job stays paused while the store is gone
    await page.getByRole("button", { name: "Retry now" }).click();
    await expect(notice).toBeVisible();
    // (an empty alert is Next's route announcer; an action's error would be a filled one)
    await expect(page.getByRole("alert").filter({ hasText: /\S/ })).toHaveCount(0);

    fs.rmSync(blobs);
    fs.renameSync(`${blobs}-aside`, blobs);
    await expect(page.getByTestId("overall-count")).toHaveText(/12 of 12 done \(100 %\)/, {
      timeout: 90_000,
    });
    await expect(page.getByText("completed", { exact: true })).toBeVisible();
    await expect(notice).toHaveCount(0);
    await page.screenshot({ path: path.join(shots, "job-resumed.png"), fullPage: true });

    // a report run waits the same way: no attempt is spent while the store is gone
    const call = async (procedure: string, json: unknown) => {
      const response = await page.request.post(`${BASE}/api/trpc/${procedure}`, {
        data: { json },
      });
      expect(response.ok()).toBe(true);
      return (await response.json()).result.data.json;
    };
    const connector = await call("connectors.save", {
      name: "Files",
      kind: "http",
      baseUrl: csvHost.url,
      settings: { authMethod: "none" },
      secrets: {},
    });
    const report = await call("reports.save", {
      name: "Sales",
      connectorId: connector.id,
      query: { url: "/exports/sales.csv" },
    });
    fs.renameSync(blobs, `${blobs}-aside`);
    fs.writeFileSync(blobs, "not a folder");
    const run = await call("reports.run", { reportIds: [report.id] });
    await page.goto(`${BASE}/jobs/${run.jobId}`);
    await expect(notice).toContainText(
      "Paused: storage is not writable (a folder of the store is not a folder, ENOTDIR)",
      { timeout: 30_000 },
    );
    await expect(notice).toContainText("the waiting reports stay in line");
    await expect(page.getByRole("button", { name: "Retry now" })).toBeEnabled();
    await page.screenshot({ path: path.join(shots, "report-run-paused.png"), fullPage: true });
    fs.rmSync(blobs);
    fs.renameSync(`${blobs}-aside`, blobs);
    await expect(page.getByTestId("run-item")).toHaveAttribute("data-state", "succeeded", {
      timeout: 90_000,
    });
    await expect(notice).toHaveCount(0);
  } finally {
    server.kill("SIGKILL");
    await host.close();
    await csvHost.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
