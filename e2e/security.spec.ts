// What a stranger, a careless link or a lying header can do to a running app: open redirects after
// sign-in, the sign-in and setup rate limits, cookies on plain http://, security headers and the
// Content-Security-Policy, connector addresses in the form, and the modes of what a run leaves.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "@playwright/test";
import {
  APP_URL_APP_PORT,
  CSV_HOST_PORT,
  E2E_ADMIN,
  E2E_PORT,
  IMAGE_HOST_PORT,
  METABASE_PORT,
  SECURITY_APP_PORT,
} from "../playwright.config";
import { createDataDir, startAppServer, waitUntil } from "./support/app-server";
import { signIn } from "./support/sign-in";
import { expect, test, watchCspViolations } from "./support/test";

const shots = path.join("test-results", "screenshots");
const MAIN = `http://127.0.0.1:${E2E_PORT}`;
const metabase = `http://127.0.0.1:${METABASE_PORT}`;
const csvHost = `http://127.0.0.1:${CSV_HOST_PORT}`;
/** a name that is no loopback name, so Chromium treats the page as an insecure (LAN) origin */
const LAN_HOST = "datahaul-lan.test";

test.beforeAll(() => fs.mkdirSync(shots, { recursive: true }));

/** Submits the sign-in form, again while the sign-in limit (3 per 10 s per address) says wait. */
async function submitSignIn(page: Page, account: { email: string; password: string }) {
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  const submit = page.getByRole("button", { name: "Sign in" });
  const limited = page.getByRole("alert").filter({ hasText: "Too many sign-in attempts" });
  await submit.click();
  await expect(async () => {
    if (await limited.isVisible()) await submit.click();
    await expect(page.getByRole("button", { name: "Signing in…" })).toBeHidden();
    await expect(limited).toBeHidden({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
}

test.describe("the main app", () => {
  for (const next of ["/\\evil.example/x", "/\t/evil.example/x"]) {
    test(`sign-in with next=${JSON.stringify(next)} stays on this site`, async ({ page }) => {
      await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
      await submitSignIn(page, E2E_ADMIN);
      await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
      expect(page.url()).toBe(`${MAIN}/`);
    });
  }

  test("a signed-out visit keeps its path and query as next, and only those", async ({ page }) => {
    await page.goto("/jobs?status=failed");
    await expect(page).toHaveURL(
      `${MAIN}/sign-in?next=${encodeURIComponent("/jobs?status=failed")}`,
    );
    // a path that reads as another host: every redirect on the way stays here
    let url = `${MAIN}//evil.example/x`;
    for (let hop = 0; hop < 5; hop++) {
      const response = await fetch(url, { redirect: "manual" });
      const location = response.headers.get("location");
      if (!location) break;
      url = new URL(location, url).href;
      expect(new URL(url).origin).toBe(MAIN);
    }
    expect(new URL(url).pathname).toBe("/sign-in");
  });

  test("every answer carries the security headers; pages a CSP with a fresh nonce", async ({
    request,
  }) => {
    const signInPage = await request.get("/sign-in");
    const again = await request.get("/sign-in");
    const api = await request.get("/api/trpc/jobs.list");
    const html = await signInPage.text();
    const script = /<script src="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeTruthy();
    const asset = await request.get(script!);
    for (const response of [signInPage, api, asset]) {
      expect(response.headers()["x-frame-options"]).toBe("DENY");
      expect(response.headers()["x-content-type-options"]).toBe("nosniff");
      expect(response.headers()["referrer-policy"]).toBe("same-origin");
    }
    const policy = signInPage.headers()["content-security-policy"] ?? "";
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("object-src 'none'");
    const nonce = /'nonce-([^']+)'/.exec(policy)?.[1];
    expect(nonce).toBeTruthy();
    expect(again.headers()["content-security-policy"]).not.toContain(nonce);
    // every script the page carries is one Next marked with this request's nonce
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    expect(api.headers()["content-security-policy"]).toMatch(/^sandbox; default-src 'none'/);
  });

  test("the policy blocks a script the app did not write, and the guard sees it", async ({
    page,
    cspViolations,
  }) => {
    await page.goto("/sign-in");
    await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
    // what an injected bit of HTML would try: an inline event handler
    const ran = await page.evaluate(async () => {
      const blocked = new Promise((resolve) =>
        document.addEventListener("securitypolicyviolation", resolve, { once: true }),
      );
      const box = document.createElement("div");
      box.innerHTML = '<img src="data:," onerror="window.__injected = true">';
      document.body.append(box);
      await blocked;
      return (window as unknown as { __injected?: boolean }).__injected === true;
    });
    expect(ran).toBe(false);
    await expect.poll(() => cspViolations.length).toBeGreaterThan(0);
    expect(cspViolations.join("\n")).toMatch(/script-src-attr/);
    cspViolations.length = 0; // seen and expected: the guard must not fail this test
  });

  test("a connector's new address asks for its secrets again, in the form", async ({ page }) => {
    await signIn(page, "/connectors");
    const save = await page.request.post("/api/trpc/connectors.save", {
      data: {
        json: {
          name: "Security: moved Metabase",
          kind: "metabase",
          baseUrl: metabase,
          settings: { authMethod: "api_key" },
          secrets: { apiKey: "mb_test_key" },
        },
      },
    });
    expect(save.ok()).toBe(true);
    await page.reload();
    await page
      .getByTestId("connector-row")
      .filter({ has: page.getByText("Security: moved Metabase", { exact: true }) })
      .getByRole("button", { name: "Edit" })
      .click();
    const form = page.getByRole("form", { name: "Connector" });
    await expect(form.getByText("(set)", { exact: true })).toBeVisible();
    const note = form.getByRole("note");
    await expect(note).toBeHidden();

    // the same origin spelled differently is no move
    await form.getByLabel("Address", { exact: true }).fill(`${metabase.toUpperCase()}/`);
    await expect(note).toBeHidden();

    await form.getByLabel("Address", { exact: true }).fill(csvHost);
    await expect(note).toHaveText(
      "New address: saved secrets are sent only to the address they were entered for. Enter the API key again to save.",
    );
    await expect(form.getByText("(enter again: the address changed)")).toBeVisible();
    await page.screenshot({
      path: path.join(shots, "connector-moved-address.png"),
      fullPage: true,
    });

    await form.getByRole("button", { name: "Save and test" }).click();
    await expect(form.getByRole("alert")).toHaveText(
      `The address changed from ${metabase} to ${csvHost}: enter the API key again, or clear it. Saved secrets are sent only to the address they were entered for.`,
    );
    await page.screenshot({
      path: path.join(shots, "connector-moved-refused.png"),
      fullPage: true,
    });

    await form.getByRole("textbox", { name: /^API key/ }).fill("a-key-for-the-new-address");
    await expect(note).toBeHidden();
    await form.getByRole("button", { name: "Save and test" }).click();
    await expect(form).toBeHidden();
  });

  test("a header name that is not a token is refused in the form and by the server", async ({
    page,
  }) => {
    await signIn(page, "/connectors");
    await page.getByRole("button", { name: "Add connector" }).click();
    const form = page.getByRole("form", { name: "Connector" });
    await form.getByLabel("System").selectOption({ label: "CSV or JSON at a URL" });
    await form.getByLabel("Name", { exact: true }).fill("Security: bad header");
    await form.getByLabel("Address", { exact: true }).fill(csvHost);
    await form.getByLabel("Authentication").selectOption({ label: "A secret header" });
    const headerName = form.getByRole("textbox", { name: "Header name" });
    await headerName.fill("X Api Key");
    await headerName.blur();
    const message =
      'The header name "X Api Key" is not valid: use letters, digits and - only, without spaces or a colon.';
    await expect(form.getByRole("alert")).toHaveText(message);
    await page.screenshot({ path: path.join(shots, "connector-header-name.png"), fullPage: true });
    await form.getByRole("button", { name: "Save and test" }).click();
    await expect(form.getByRole("alert").filter({ hasText: message })).toHaveCount(2);
  });
});

/** `npm start` itself on a fresh data folder, as a process group, so a stop stops its server too. */
function startWithNpmStart(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [path.resolve("scripts/start.mjs")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

async function stopGroup(child: ChildProcess) {
  if (child.exitCode !== null || !child.pid) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(-child.pid, "SIGTERM");
  await Promise.race([
    exited,
    waitUntil(async () => child.exitCode !== null, 40_000).catch(() => {
      process.kill(-child.pid!, "SIGKILL");
    }),
  ]);
}

function signInRequest(base: string, headers: Record<string, string> = {}, password = "wrong!") {
  return fetch(`${base}/api/auth/sign-in/email`, {
    method: "POST",
    // fetch sends Sec-Fetch-Mode, and better-auth then wants the Origin a browser would send
    headers: { "content-type": "application/json", origin: base, ...headers },
    body: JSON.stringify({ email: E2E_ADMIN.email, password }),
  });
}

test.describe.serial("an app of our own, behind a proxy on ::1 it trusts", () => {
  const V4 = `http://127.0.0.1:${SECURITY_APP_PORT}`;
  const V6 = `http://[::1]:${SECURITY_APP_PORT}`;
  let dataDir: string;
  let app: ChildProcess;
  let lanBrowser: Browser;

  test.beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-security-"));
    app = startWithNpmStart({
      PORT: String(SECURITY_APP_PORT),
      HOST: "::",
      DATA_DIR: dataDir,
      TRUSTED_PROXIES: "::1",
      ADMIN_EMAIL: E2E_ADMIN.email,
      ADMIN_PASSWORD: E2E_ADMIN.password,
      DOWNLOAD_ALLOW_PRIVATE_HOSTS: "127.0.0.1",
    });
    await waitUntil(async () => (await fetch(`${V4}/sign-in`)).ok, 120_000);
    const { launchOptions } = test.info().project.use;
    lanBrowser = await chromium.launch({
      ...launchOptions,
      args: [...(launchOptions?.args ?? []), `--host-resolver-rules=MAP ${LAN_HOST} [::1]`],
    });
  });

  test.afterAll(async () => {
    await lanBrowser?.close();
    if (app) await stopGroup(app);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test("a client's X-Forwarded-Proto does not make its cookie Secure; a trusted proxy's does", async () => {
    const direct = await signInRequest(V4, { "x-forwarded-proto": "https" }, E2E_ADMIN.password);
    expect(direct.status).toBe(200);
    expect(direct.headers.getSetCookie().join("\n")).not.toMatch(/;\s*Secure/i);

    const proxiedHttps = await signInRequest(
      V6,
      { "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.10" },
      E2E_ADMIN.password,
    );
    expect(proxiedHttps.status).toBe(200);
    const secureCookies = proxiedHttps.headers.getSetCookie();
    expect(secureCookies.length).toBeGreaterThan(0);
    for (const cookie of secureCookies) expect(cookie).toMatch(/;\s*Secure/i);

    const proxiedHttp = await signInRequest(
      V6,
      { "x-forwarded-proto": "http", "x-forwarded-for": "203.0.113.11" },
      E2E_ADMIN.password,
    );
    expect(proxiedHttp.status).toBe(200);
    expect(proxiedHttp.headers.getSetCookie().join("\n")).not.toMatch(/;\s*Secure/i);
  });

  test("rotating X-Forwarded-For from a client does not escape the sign-in limit", async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 8 && !statuses.includes(429); i++) {
      const response = await signInRequest(V4, { "x-forwarded-for": `198.51.100.${i}` });
      statuses.push(response.status);
    }
    expect(statuses).toContain(429);
    expect(statuses.filter((status) => status !== 429).length).toBeLessThanOrEqual(3);
  });

  test("behind the trusted proxy each forwarded address has its own limit", async () => {
    const rotating: number[] = [];
    for (let i = 20; i < 28; i++) {
      rotating.push((await signInRequest(V6, { "x-forwarded-for": `203.0.113.${i}` })).status);
    }
    expect(rotating).toEqual(Array(8).fill(401));

    const repeated: number[] = [];
    for (let i = 0; i < 8 && !repeated.includes(429); i++) {
      repeated.push((await signInRequest(V6, { "x-forwarded-for": "203.0.113.77" })).status);
    }
    expect(repeated).toContain(429);
    expect(repeated.filter((status) => status !== 429).length).toBeLessThanOrEqual(3);
    // a client that puts a fresh address in front of the proxy's entry is still the same client
    const spoofed = await signInRequest(V6, { "x-forwarded-for": "192.0.2.99, 203.0.113.77" });
    expect(spoofed.status).toBe(429);
  });

  test("the setup endpoint is limited per address too, and answers quickly once closed", async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 15 && !statuses.includes(429); i++) {
      const response = await fetch(`${V4}/api/trpc/setup.createAdmin`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": `198.51.100.${i}` },
        body: JSON.stringify({
          json: { name: "Mallory", email: "m@example.com", password: "0123456789ab" },
        }),
      });
      statuses.push(response.status);
      if (response.status === 429) {
        const body = (await response.json()) as { error: { json: { message: string } } };
        expect(body.error.json.message).toMatch(/^Too many attempts from your address/);
      }
    }
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(409));
    expect(statuses.at(-1)).toBe(429);
  });

  test("over plain http on a LAN name, sign-in works", async () => {
    const context = await lanBrowser.newContext();
    const violations = await watchCspViolations(context);
    const page = await context.newPage();
    const lan = `http://${LAN_HOST}:${SECURITY_APP_PORT}`;
    await page.goto(`${lan}/jobs`);
    await expect(page).toHaveURL(`${lan}/sign-in?next=%2Fjobs`);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
    await submitSignIn(page, E2E_ADMIN);
    await expect(page.getByRole("heading", { name: "Jobs" })).toBeVisible();
    expect(page.url()).toBe(`${lan}/jobs`);
    expect(violations).toEqual([]);
    await context.close();
  });

  test("when the browser drops the cookie, the sign-in page says so", async () => {
    // a proxy that says https while the browser speaks http: the cookie is Secure, and dropped
    const context = await lanBrowser.newContext({
      extraHTTPHeaders: { "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.60" },
    });
    const page = await context.newPage();
    await page.goto(`http://${LAN_HOST}:${SECURITY_APP_PORT}/sign-in`);
    await submitSignIn(page, E2E_ADMIN);
    await expect(page.locator("form").getByRole("alert")).toHaveText(
      "Your password was accepted, but the browser refused the sign-in cookie, so you are still signed out: the app sends it for https:// only, and this page was opened over http://. Open the app at its https:// address (or ask your admin to set APP_URL to the address you use).",
    );
    await page.screenshot({ path: path.join(shots, "sign-in-cookie-refused.png"), fullPage: true });
    await context.close();
  });

  test("what a real run leaves is readable by its owner only", async () => {
    const signedIn = await signInRequest(
      V6,
      { "x-forwarded-for": "203.0.113.90" },
      E2E_ADMIN.password,
    );
    expect(signedIn.status).toBe(200);
    const cookie = signedIn.headers
      .getSetCookie()
      .map((c) => c.split(";")[0])
      .join("; ");
    const images = `http://127.0.0.1:${IMAGE_HOST_PORT}`;
    const created = await fetch(`${V4}/api/trpc/batches.create`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie },
      body: JSON.stringify({
        json: { source: "paste", text: `SKU-M\t${images}/img/m1.png\nSKU-M\t${images}/img/m2.jpg` },
      }),
    });
    expect(created.status).toBe(200);
    const { jobId } = ((await created.json()) as { result: { data: { json: { jobId: string } } } })
      .result.data.json;
    const input = encodeURIComponent(JSON.stringify({ json: { jobId } }));
    await waitUntil(async () => {
      const progress = await fetch(`${V4}/api/trpc/jobs.progress?input=${input}`, {
        headers: { cookie },
      });
      const body = (await progress.json()) as {
        result: {
          data: { json: { job: { finishedAt: string | null }; totals: { downloaded: number } } };
        };
      };
      const state = body.result.data.json;
      return state.job.finishedAt !== null && state.totals.downloaded === 2;
    }, 60_000);

    const open: string[] = [];
    const walk = (entry: string) => {
      const stat = fs.statSync(entry);
      const mode = stat.mode & 0o777;
      if (stat.isDirectory() ? mode !== 0o700 : (mode & 0o077) !== 0)
        open.push(`${path.relative(dataDir, entry) || "."} ${mode.toString(8)}`);
      if (stat.isDirectory())
        for (const name of fs.readdirSync(entry)) walk(path.join(entry, name));
    };
    walk(dataDir);
    const names = fs.readdirSync(dataDir);
    for (const file of [
      "datahaul.db",
      "datahaul.db-wal",
      "datahaul.db-shm",
      "auth-secret",
      "secret.key",
    ])
      expect(names).toContain(file);
    expect(open).toEqual([]);
  });
});

test.describe.serial("an app whose APP_URL is another address", () => {
  const BASE = `http://127.0.0.1:${APP_URL_APP_PORT}`;
  const APP_URL = "https://datahaul.example";
  let dataDir: string;
  let app: ChildProcess;

  test.beforeAll(async () => {
    ({ dataDir } = createDataDir("app-url"));
    app = startAppServer({
      port: APP_URL_APP_PORT,
      dataDir,
      env: { APP_URL, ADMIN_EMAIL: E2E_ADMIN.email, ADMIN_PASSWORD: E2E_ADMIN.password },
    });
    await waitUntil(async () => (await fetch(`${BASE}/sign-in`)).ok, 60_000);
  });

  test.afterAll(() => {
    app?.kill("SIGKILL");
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test("the sign-in page says where the app lives, and why sign-in fails here", async ({
    page,
  }) => {
    await page.goto(`${BASE}/sign-in`);
    await expect(page.getByRole("status")).toHaveText(
      `This page was opened at ${BASE}, but the app's address is ${APP_URL} (APP_URL), and sign-in works only there: open ${APP_URL}.`,
    );
    await submitSignIn(page, E2E_ADMIN);
    await expect(page.locator("form").getByRole("alert")).toHaveText(
      `Sign-in is refused at this address: open the app at ${APP_URL}.`,
    );
    await page.screenshot({ path: path.join(shots, "sign-in-other-address.png"), fullPage: true });
  });

  test("at its own address the session cookie is Secure", async () => {
    const response = await signInRequest(BASE, { origin: APP_URL }, E2E_ADMIN.password);
    expect(response.status).toBe(200);
    const cookies = response.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie).toMatch(/^__Secure-.*;\s*Secure/i);
  });
});
