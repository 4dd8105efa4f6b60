import fs from "node:fs";
import path from "node:path";
import { SETUP_APP_PORT } from "../playwright.config";
import { createDataDir, startAppServer, waitUntil } from "./support/app-server";
import { expect, test } from "./support/test";

const PORT = SETUP_APP_PORT;
const BASE = `http://127.0.0.1:${PORT}`;

test("a fresh install asks for the admin account once, then only offers sign-in", async ({
  page,
}) => {
  const { dataDir } = createDataDir("setup");
  const server = startAppServer({ port: PORT, dataDir });
  try {
    await waitUntil(
      async () => (await fetch(`${BASE}/sign-in`, { redirect: "manual" })).status < 500,
      60_000,
    );
    await page.goto(`${BASE}/`);
    await expect(page).toHaveURL(`${BASE}/setup`);
    await expect(page.getByRole("heading", { name: "Create the admin account" })).toBeVisible();
    await page.screenshot({
      path: path.join("test-results", "screenshots", "setup.png"),
      fullPage: true,
    });

    await page.getByLabel("Name").fill("Ada");
    await page.getByLabel("Email").fill("ada@example.com");
    await page.getByLabel(/^Password/).fill("a-long-enough-password");
    await page.getByRole("button", { name: /Create account/ }).click();
    // signed in at once, on the home page (the dashboard)
    await expect(page).toHaveURL(`${BASE}/`);
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    await expect(page.getByText("Ada")).toBeVisible();

    // the setup page has closed itself, for everyone
    await page.context().clearCookies();
    await page.goto(`${BASE}/setup`);
    await expect(page).toHaveURL(/\/sign-in$/);
    const second = await fetch(`${BASE}/api/trpc/setup.createAdmin`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        json: { name: "Mallory", email: "m@example.com", password: "0123456789ab" },
      }),
    });
    expect(second.status).toBe(409);
  } finally {
    server.kill("SIGKILL");
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
