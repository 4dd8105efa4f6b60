import path from "node:path";
import { expect, test } from "./support/test";
import type { Browser, Page } from "@playwright/test";
import { expectNoSeriousA11yViolations } from "./support/axe";
import { createReport, trpcMutation } from "./support/api";
import { signIn } from "./support/sign-in";

const shots = path.join("test-results", "screenshots");

/** Adds a user on the Users page and returns the one-time link the page shows for them. */
async function addUser(page: Page, name: string, email: string, role: string): Promise<string> {
  await expect(async () => {
    await page.getByRole("button", { name: "Add user" }).click();
    await expect(page.getByRole("heading", { name: "Add a user" })).toBeVisible({
      timeout: 1_000,
    });
  }).toPass({ timeout: 20_000 });
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("combobox", { name: "Role", exact: true }).selectOption(role);
  await page.getByRole("button", { name: "Add user and make a link" }).click();
  const link = page.getByTestId("password-link");
  await expect(link).toContainText(`Give this link to ${name}`);
  const url = (await link.locator("code").textContent())!;
  expect(url).toMatch(/\/set-password#[A-Za-z0-9_-]{43}$/);
  await link.getByRole("button", { name: "Done" }).click();
  return url;
}

/** Opens a link in a browser of its own, sets the password, and ends up signed in at home. */
async function acceptInvitation(browser: Browser, url: string, email: string, password: string) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(url);
  await expect(page.getByText(`(${email})`)).toBeVisible();
  await expectNoSeriousA11yViolations(page, "the set-password page");
  // the token left the address bar as soon as the page read it
  await expect(page).toHaveURL(/\/set-password$/);
  await page.getByLabel("New password").fill(password);
  await page.getByLabel("The same password again").fill(password);
  await page.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(page).not.toHaveURL(/\/set-password/, { timeout: 20_000 });
  // sign-in is limited per address; when the limit was met, the page sent us to sign in
  if (page.url().includes("/sign-in")) await signIn(page, "/", { email, password });
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  return page;
}

test("the admin adds an operator and a viewer; the viewer can look but not run or change anything, and is signed out when disabled", async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  await signIn(page, "/users");
  await createReport(page, "Weekly sales for roles");
  await trpcMutation(page, "connectors.save", {
    name: "Metabase with a secret",
    kind: "metabase",
    baseUrl: "http://127.0.0.1:9",
    settings: { authMethod: "api_key" },
    secrets: { apiKey: "mb_secret_value_for_roles" },
  });
  const operatorLink = await addUser(page, "Olga Operator", "olga@example.com", "operator");
  const viewerLink = await addUser(page, "Vic Viewer", "vic@example.com", "viewer");
  const rows = page.getByTestId("user-row");
  await expect(rows.filter({ hasText: "Vic Viewer" })).toContainText(
    "invited: has not set a password yet",
  );
  await page.screenshot({ path: path.join(shots, "users.png"), fullPage: true });
  await expectNoSeriousA11yViolations(page, "the users page");

  const viewer = await acceptInvitation(browser, viewerLink, "vic@example.com", "vics-password-1");
  const nav = viewer.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Reports" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "New batch" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Users" })).toHaveCount(0);
  await expect(viewer.getByText("Viewer", { exact: true })).toBeVisible();

  await viewer.goto("/reports");
  // who made it shows beside it
  await expect(
    viewer.getByTestId("report-row").filter({ hasText: "Weekly sales for roles" }),
  ).toContainText("added by Admin");
  await expect(viewer.getByRole("button", { name: "Add report" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Run now" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Edit" })).toHaveCount(0);
  await viewer.goto("/connectors");
  await expect(viewer.getByText("Metabase with a secret")).toBeVisible();
  await expect(viewer.getByRole("button", { name: "Add connector" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Test connection" })).toHaveCount(0);
  expect(await viewer.content()).not.toContain("mb_secret_value_for_roles");
  await viewer.screenshot({ path: path.join(shots, "connectors-as-viewer.png"), fullPage: true });
  // the server refuses what the page no longer offers
  const refused = await viewer.request.post("/api/trpc/reports.delete", {
    data: { json: { ids: ["00000000-0000-4000-8000-000000000000"] } },
  });
  expect(refused.status()).toBe(403);
  expect(await refused.text()).toContain(
    "Your role is viewer; this needs an operator or an admin.",
  );
  const users = await viewer.request.get("/api/trpc/users.list");
  expect(users.status()).toBe(403);

  const operator = await acceptInvitation(
    browser,
    operatorLink,
    "olga@example.com",
    "olgas-password-1",
  );
  await operator.goto("/reports");
  await expect(operator.getByRole("button", { name: "Add report" })).toBeVisible();
  await operator.goto("/connectors");
  await expect(operator.getByText("Metabase with a secret")).toBeVisible();
  await expect(operator.getByRole("button", { name: "Add connector" })).toHaveCount(0);
  await expect(
    operator.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }),
  ).toHaveCount(0);

  await page.reload();
  const vic = rows.filter({ hasText: "Vic Viewer" });
  await expect(vic).toContainText("last active");
  await vic.getByRole("button", { name: "Disable" }).click();
  await expect(vic).toContainText("disabled");
  await viewer.goto("/reports");
  await expect(viewer).toHaveURL(/\/sign-in/);
  await viewer.getByLabel("Email").fill("vic@example.com");
  await viewer.getByLabel("Password").fill("vics-password-1");
  // sign-in is limited per address (all of this test's browsers share one): ask again while it says so
  const disabled = viewer.getByText("This account is disabled. Ask your admin to enable it again.");
  await expect(async () => {
    await viewer.getByRole("button", { name: "Sign in" }).click();
    await expect(disabled).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });

  // the admin's audit log has all of it: the invitations, the sign-ins, the refusal
  await page.getByRole("link", { name: "Audit log" }).click();
  const audit = page.getByTestId("audit-line");
  await expect(audit.filter({ hasText: "users.setDisabled" })).toHaveCount(1);
  await expect(audit.filter({ hasText: "vic@example.com as viewer" })).toHaveCount(1);
  await expect(
    audit.filter({ hasText: "sign-in failed" }).filter({ hasText: "Vic Viewer" }).first(),
  ).toBeVisible();
  await page.getByLabel("Show").selectOption({ label: "Users and roles" });
  await expect(audit.filter({ hasText: "sign-in" })).toHaveCount(0);
  await expectNoSeriousA11yViolations(page, "the audit log");
  await page.screenshot({ path: path.join(shots, "audit-log.png"), fullPage: true });
});
