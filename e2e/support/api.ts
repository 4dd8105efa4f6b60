import { expect, type Page } from "@playwright/test";

/** A signed-in tRPC mutation from the browser's context; superjson wraps input and data in `json`. */
export async function trpcMutation<T = { id: string }>(
  page: Page,
  procedure: string,
  json: unknown,
): Promise<T> {
  const response = await page.request.post(`/api/trpc/${procedure}`, { data: { json } });
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

/** A report on a plain-URL connector, made through the API the pages use, for pages that list reports. */
export async function createReport(page: Page, name: string): Promise<{ id: string }> {
  const connector = await trpcMutation(page, "connectors.save", {
    name: `Files for ${name}`,
    kind: "http",
    baseUrl: "http://127.0.0.1:9",
    settings: { authMethod: "none" },
    secrets: {},
  });
  return trpcMutation(page, "reports.save", {
    name,
    connectorId: connector.id,
    query: { url: "/sales.csv" },
  });
}

/**
 * Clicks the button that opens a form until the form shows: a click that lands before the page
 * has hydrated does nothing, and the form is what the test waits for.
 */
export async function openForm(page: Page, button: string, form: string) {
  const opened = page.getByRole("form", { name: form, exact: true });
  await expect(async () => {
    if (!(await opened.isVisible())) await page.getByRole("button", { name: button }).click();
    await expect(opened).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  return opened;
}
