import { expect, type Page } from "@playwright/test";
import { E2E_ADMIN } from "../../playwright.config";

/**
 * Opens `path` as a signed-out visitor, signs in (as the e2e admin unless told) on the page the app redirects
 * to, and waits until the app has sent the user on to `path` (the sign-in page's `next`).
 */
export async function signIn(
  page: Page,
  path = "/",
  account: { email: string; password: string } = E2E_ADMIN,
) {
  await page.goto(path);
  await expect(page).toHaveURL(/\/sign-in/);
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  const submit = page.getByRole("button", { name: "Sign in" });
  await submit.click();
  // better-auth lets one address sign in 3 times per 10 s; specs that sign in back to back can
  // meet that limit, and the form then asks to try again in a moment: do, for a bounded time
  const tryAgain = page.getByRole("alert").filter({ hasText: "Try again in a moment" });
  await expect(async () => {
    if (await tryAgain.isVisible()) await submit.click();
    await expect(page).not.toHaveURL(/\/sign-in/, { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  if (path !== "/") await expect(page).toHaveURL(new RegExp(`${escapeRegExp(path)}$`));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
