import os from "node:os";
import path from "node:path";
import { defineConfig } from "@playwright/test";

/** E2E_PORT_BASE moves every port of the run, so two checkouts can run their browser tests at once. */
const PORT_BASE = Number(process.env.E2E_PORT_BASE ?? 3100);
export const E2E_PORT = PORT_BASE;
export const IMAGE_HOST_PORT = PORT_BASE + 1;
/** App servers that specs start themselves, each with its own data folder. */
export const CRASH_APP_PORT = PORT_BASE + 2;
export const SETUP_APP_PORT = PORT_BASE + 3;
export const SECURITY_APP_PORT = PORT_BASE + 4;
export const APP_URL_APP_PORT = PORT_BASE + 5;
/** The two web processes of the cluster spec (its workers listen on no port). */
export const CLUSTER_WEB_PORTS = [PORT_BASE + 6, PORT_BASE + 7];
/** Fake report upstreams, all started by `test-support/fakes/serve-report-fakes.ts` from the first port. */
export const METABASE_PORT = PORT_BASE + 10;
export const SUPERSET_PORT = PORT_BASE + 11;
export const SALESFORCE_PORT = PORT_BASE + 12;
export const CSV_HOST_PORT = PORT_BASE + 13;
export const E2E_ADMIN = { email: "admin@example.com", password: "correct-horse-battery" };
const dataDir = path.join(os.tmpdir(), `datahaul-e2e-${process.pid}`);

export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  timeout: 90_000,
  // the server does real work behind most assertions, on 2 cores shared with other jobs
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI
    ? [["list"], ["json", { outputFile: "test-results/e2e.json" }]]
    : [["list"], ["json", { outputFile: "test-results/e2e.json" }]],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  webServer: [
    {
      command: `npx tsx test-support/fakes/serve-image-host.ts ${IMAGE_HOST_PORT}`,
      url: `http://127.0.0.1:${IMAGE_HOST_PORT}/health`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: `npx tsx test-support/fakes/serve-report-fakes.ts ${METABASE_PORT}`,
      url: `http://127.0.0.1:${METABASE_PORT}/health`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      command: "node scripts/start.mjs",
      url: `http://127.0.0.1:${E2E_PORT}/sign-in`,
      reuseExistingServer: false,
      timeout: 300_000,
      stdout: "pipe",
      env: {
        PORT: String(E2E_PORT),
        DATA_DIR: dataDir,
        ADMIN_EMAIL: E2E_ADMIN.email,
        ADMIN_PASSWORD: E2E_ADMIN.password,
        DOWNLOAD_ALLOW_PRIVATE_HOSTS: "127.0.0.1,::1,localhost",
        HTTP_READ_TIMEOUT: "5",
        REPORT_RETRY_BASE_SECONDS: "1",
      },
    },
  ],
});
