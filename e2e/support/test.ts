import { expect, test as base, type BrowserContext } from "@playwright/test";

/**
 * Collects every Content-Security-Policy violation in a browser context: the browser's own event
 * on each page, and the console lines Chromium writes for them.
 */
export async function watchCspViolations(context: BrowserContext): Promise<string[]> {
  const violations: string[] = [];
  await context.exposeBinding("__datahaulCspViolation", (_source, text: string) => {
    violations.push(text);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as Record<string, (text: string) => void>)
        .__datahaulCspViolation;
      report?.(
        `${event.effectiveDirective} blocked ${event.blockedURI || "an inline script or style"} on ${location.pathname}`,
      );
    });
  });
  context.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

/**
 * Playwright's `test` for every spec: the pages of each test are watched, and a test fails if the
 * app's Content-Security-Policy blocked anything the app itself does.
 */
export const test = base.extend<{ cspViolations: string[] }>({
  cspViolations: [
    async ({ context }, use) => {
      const violations = await watchCspViolations(context);
      await use(violations);
      expect(violations, "Content-Security-Policy violations").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
