import path from "node:path";
import { createReport } from "./support/api";
import { expectNoSeriousA11yViolations } from "./support/axe";
import { signIn } from "./support/sign-in";
import { expect, test } from "./support/test";

const shots = path.join("test-results", "screenshots");

test.use({ colorScheme: "dark" });

test("with the system set to dark, the pages are dark and keep their contrast", async ({
  page,
  browser,
}) => {
  test.setTimeout(120_000);
  await signIn(page, "/");
  await createReport(page, "Dark sales");
  const pages = [
    ["/", "Dashboard"],
    ["/reports", "Reports"],
    ["/schedules", "Schedules"],
    ["/jobs", "Jobs"],
    ["/users", "Users"],
    ["/system", "System"],
  ] as const;
  for (const [url, heading] of pages) {
    await page.goto(url);
    await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
    // the page behind the cards is the dark one, and the text on it light
    const colours = await page.evaluate(() => {
      const style = getComputedStyle(document.body);
      return { background: style.backgroundColor, text: style.color };
    });
    expect(colours, url).toEqual({ background: "rgb(11, 17, 32)", text: "rgb(245, 247, 250)" });
    await expectNoSeriousA11yViolations(page, `${url} in the dark theme`);
    await page.screenshot({
      path: path.join(shots, `dark-${heading.toLowerCase()}.png`),
      fullPage: true,
    });
  }
  // the sign-in page, signed out, follows too
  const signedOut = await (await browser.newContext({ colorScheme: "dark" })).newPage();
  await signedOut.goto("/sign-in");
  await expectNoSeriousA11yViolations(signedOut, "the sign-in page in the dark theme");
  await signedOut.screenshot({ path: path.join(shots, "dark-sign-in.png") });
});
