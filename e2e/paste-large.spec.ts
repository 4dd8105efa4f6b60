import { expect, test } from "@playwright/test";
import { generateLargePaste } from "../server/batches/input/generate-large-paste";
import { signIn } from "./support/sign-in";

const ROWS = Number(process.env.PASTE_ROWS ?? 100_000);

/**
 * A 100,000-row paste, through the real clipboard, to a preview that shows and scrolls. Also
 * `npm run bench:paste`: the time from the paste to the first preview row is printed, never
 * asserted (the machine is shared, and a wall-clock bound would pass or fail with its load).
 */
test(`a ${ROWS.toLocaleString("en")}-row paste becomes a scrollable analyzed preview`, async ({
  page,
  context,
}) => {
  test.setTimeout(180_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await signIn(page, "/batches/new");
  const text = generateLargePaste(ROWS);
  await page.evaluate((rows) => navigator.clipboard.writeText(rows), text);
  const box = page.getByLabel("Rows");
  await box.focus();

  // the moment the first row is in the page, seen from the page itself
  await page.evaluate(() => {
    const observer = new MutationObserver(() => {
      if (!document.querySelector('[data-testid="analysis-rows"] [data-verdict]')) return;
      (window as unknown as { firstRowAt: number }).firstRowAt = performance.now();
      observer.disconnect();
    });
    observer.observe(document.body, { childList: true, subtree: true });
  });
  const pastedAt = await page.evaluate(() => performance.now());
  await page.keyboard.press("ControlOrMeta+V");
  const firstRow = page.getByTestId("analysis-rows").locator("[data-verdict]").first();
  await expect(firstRow).toBeVisible({ timeout: 120_000 });
  const shownAt = await page.evaluate(
    () => (window as unknown as { firstRowAt: number }).firstRowAt,
  );

  await expect(
    page.getByRole("tab", { name: `All entries (${ROWS.toLocaleString("en")})` }),
  ).toBeVisible();
  await expect(page.getByRole("button", { name: /Queue downloads/ })).toHaveText(
    `Queue downloads (${ROWS.toLocaleString("en")} images)`,
  );
  // scrolls to the last entry, which the virtual list draws on demand
  const list = page.getByTestId("analysis-rows");
  await list.evaluate((element) => element.scrollTo(0, element.scrollHeight));
  await expect(list.locator("[data-verdict]").last()).toContainText(String(ROWS + 1));
  const scrolledAt = await page.evaluate(() => performance.now());
  // the box shows the start of the paste and says how much it holds
  await expect(page.getByTestId("held-input")).toContainText(
    `${(ROWS + 1).toLocaleString("en")} lines (${(text.length / 1e6).toFixed(1)} MB)`,
  );
  expect((await box.inputValue()).split("\n")).toHaveLength(100);

  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({
    path: "test-results/screenshots/new-batch-large-paste.png",
    fullPage: true,
  });
  console.log(
    `[bench:paste] ${ROWS.toLocaleString("en")} rows (${(text.length / 1e6).toFixed(1)} MB): ` +
      `paste to first preview row ${(shownAt - pastedAt).toFixed(0)} ms, ` +
      `scrolled to the last row at ${(scrolledAt - pastedAt).toFixed(0)} ms`,
  );
});
