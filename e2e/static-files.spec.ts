// The files in public/ as the built server serves them: their types, the security headers every
// answer carries, who may fetch them, and the pages that point at them.
import fs from "node:fs";
import path from "node:path";
import type { APIResponse } from "@playwright/test";
import { signIn } from "./support/sign-in";
import { expect, test } from "./support/test";

const publicFile = (name: string) => fs.readFileSync(path.join("public", name));

function expectSecurityHeaders(response: APIResponse) {
  const headers = response.headers();
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("same-origin");
  expect(headers["cross-origin-opener-policy"]).toBe("same-origin");
}

test("robots.txt and the icons are served to anyone, with their types and the security headers", async ({
  request,
}) => {
  const files = [
    { name: "robots.txt", type: /^text\/plain\b/ },
    { name: "icon.svg", type: /^image\/svg\+xml\b/ },
    { name: "apple-touch-icon.png", type: /^image\/png$/ },
  ];
  for (const file of files) {
    const response = await request.get(`/${file.name}`, { maxRedirects: 0 });
    expect(response.status(), file.name).toBe(200);
    expect(response.headers()["content-type"]).toMatch(file.type);
    expect(await response.body()).toEqual(publicFile(file.name));
    expectSecurityHeaders(response);
  }
  expect(await (await request.get("/robots.txt")).text()).toBe("User-agent: *\nDisallow: /\n");
});

test("the sign-in page names the icons", async ({ request }) => {
  const html = await (await request.get("/sign-in")).text();
  expect(html).toMatch(/<link rel="icon" href="\/icon.svg"/);
  expect(html).toMatch(/<link rel="apple-touch-icon" href="\/apple-touch-icon.png"/);
});

test("the sample CSV is for signed-in users, a CSV file to save with the security headers", async ({
  page,
}) => {
  const signedOut = await page.request.get("/datahaul-sample.csv", { maxRedirects: 0 });
  expect(signedOut.status()).toBe(307);
  expect(signedOut.headers()["location"]).toMatch(/\/sign-in\?next=%2Fdatahaul-sample\.csv$/);

  await signIn(page, "/batches/new");
  const response = await page.request.get("/datahaul-sample.csv", { maxRedirects: 0 });
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toMatch(/^text\/csv\b/);
  expect(response.headers()["content-disposition"]).toBe(
    'attachment; filename="datahaul-sample.csv"',
  );
  expect(await response.body()).toEqual(publicFile("datahaul-sample.csv"));
  expectSecurityHeaders(response);
});

test("the New batch page's link downloads the sample CSV", async ({ page }) => {
  await signIn(page, "/batches/new");
  const link = page.getByRole("link", { name: "Download sample CSV" });
  const download = page.waitForEvent("download");
  await link.click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("datahaul-sample.csv");
  expect(fs.readFileSync(await file.path())).toEqual(publicFile("datahaul-sample.csv"));
});
