import path from "node:path";
import { startOidcProvider, type TOidcProvider } from "../test-support/oidc-provider";
import { trpcMutation } from "./support/api";
import { expectNoSeriousA11yViolations } from "./support/axe";
import { signIn } from "./support/sign-in";
import { expect, test } from "./support/test";

const shots = path.join("test-results", "screenshots");
const CLIENT = { clientId: "datahaul-e2e", clientSecret: "e2e-provider-client-secret-0123456789" };

let provider: TOidcProvider;

test.beforeAll(async ({}, testInfo) => {
  const baseURL = testInfo.project.use.baseURL!;
  provider = await startOidcProvider({
    clients: [{ ...CLIENT, redirectUris: [`${baseURL}/api/auth/sso/callback`] }],
    accounts: {
      sam: { email: "sam.sso@example.com", emailVerified: true, name: "Sam Single" },
      unproven: { email: "unproven@example.com", emailVerified: false },
    },
  });
});

test.afterAll(async () => {
  await provider?.close();
});

test("the admin sets up single sign-on; a new person signs in through the provider as an operator, an unverified email is refused", async ({
  page,
  browser,
  baseURL,
}) => {
  test.setTimeout(120_000);
  await signIn(page, "/users");
  const card = page.locator("section").filter({ hasText: "Single sign-on" });
  await expect(card.getByTestId("sso-redirect-uri")).toHaveText(`${baseURL}/api/auth/sso/callback`);
  await card.getByLabel("Issuer").fill(provider.issuer);
  await card.getByLabel("Client ID").fill(CLIENT.clientId);
  await card.getByLabel("Client secret").fill(CLIENT.clientSecret);
  await card.getByLabel("Button text").fill("Sign in with Acme ID");
  await card.getByLabel("Add them as").check();
  await card
    .getByRole("combobox", { name: "Role for people added by single sign-on" })
    .selectOption("operator");
  await card.getByLabel(/Show .* on the sign-in page/).check();
  await card.getByRole("button", { name: "Save single sign-on" }).click();
  await expect(card.getByText("The provider answered")).toBeVisible();
  await expect(card.getByLabel("Client secret")).toHaveAttribute("placeholder", /saved/);
  await expect(card.getByLabel("Client secret")).toHaveValue("");
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(shots, "single-sign-on-settings.png"), fullPage: true });
  await expectNoSeriousA11yViolations(page, "the users page with single sign-on");

  const sam = await (await browser.newContext()).newPage();
  await sam.goto("/reports");
  await expect(sam).toHaveURL(/\/sign-in/);
  await sam.screenshot({ path: path.join(shots, "sign-in-with-sso.png"), fullPage: true });
  await expectNoSeriousA11yViolations(sam, "the sign-in page with single sign-on");
  await sam.getByRole("link", { name: "Sign in with Acme ID" }).click();
  // the provider's own (development) pages
  await expect(sam).toHaveURL(new RegExp(`^${provider.issuer}/interaction/`));
  await sam.getByPlaceholder("Enter any login").fill("sam");
  await sam.getByPlaceholder("and password").fill("whatever");
  await sam.getByRole("button", { name: "Sign-in" }).click();
  await sam.getByRole("button", { name: "Continue" }).click();
  await expect(sam).toHaveURL(/\/reports$/);
  await expect(sam.getByRole("heading", { name: "Reports" })).toBeVisible();
  await expect(sam.getByText("Operator", { exact: true })).toBeVisible();

  await page.reload();
  await expect(page.getByTestId("user-row").filter({ hasText: "Sam Single" })).toContainText(
    "sam.sso@example.com",
  );

  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto("/sign-in");
  await stranger.getByRole("link", { name: "Sign in with Acme ID" }).click();
  await stranger.getByPlaceholder("Enter any login").fill("unproven");
  await stranger.getByPlaceholder("and password").fill("whatever");
  await stranger.getByRole("button", { name: "Sign-in" }).click();
  await stranger.getByRole("button", { name: "Continue" }).click();
  await expect(stranger).toHaveURL(/\/sign-in\?sso_error=email_unverified$/);
  await expect(
    stranger.getByRole("alert").filter({
      hasText: "The sign-in provider has not verified your email address",
    }),
  ).toBeVisible();

  await trpcMutation(page, "users.saveSingleSignOn", {
    isEnabled: false,
    issuer: provider.issuer,
    clientId: CLIENT.clientId,
    newUsers: "refuse",
    defaultRole: "viewer",
  });
  await stranger.goto("/sign-in");
  await expect(stranger.getByRole("link", { name: "Sign in with Acme ID" })).toHaveCount(0);
});
