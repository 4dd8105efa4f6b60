import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { type Locator, type Page } from "@playwright/test";
import { expect, test } from "./support/test";
import { IMAGE_HOST_PORT, METABASE_PORT, SUPERSET_PORT } from "../playwright.config";
import { signIn } from "./support/sign-in";
import { zipEntries } from "../test-support/zip";
import { expectNoSeriousA11yViolations } from "./support/axe";

const metabase = `http://127.0.0.1:${METABASE_PORT}`;
const superset = `http://127.0.0.1:${SUPERSET_PORT}`;
const shots = path.join("test-results", "screenshots");
const MB_API_KEY = "mb_test_key";

const CONNECTOR = {
  metabaseKey: "Metabase (API key)",
  metabaseWrong: "Metabase (wrong password)",
  superset: "Superset BI",
};

/** seed 000's request.json: two absolute Metabase card exports and one relative Superset request */
const REQUEST_JSON = {
  Sales: { request_url: `${metabase}/api/card/1/query/csv`, payload: { format_rows: false } },
  Customers: { request_url: `${metabase}/api/card/2/query/csv`, payload: {} },
  Chart: {
    request_url: "/api/v1/chart/data",
    payload: {
      datasource: { id: 7, type: "table" },
      queries: [{ columns: ["id"], row_limit: 500 }],
    },
  },
};
/** what each report yields from the fakes: card 1 unfiltered, card 2, the payload's row limit */
const EXPECTED_ROWS = { Sales: 3, Customers: 100_000, Chart: 500 };

async function addConnector(
  page: Page,
  connector: { system: string; name: string; address: string },
  fill: () => Promise<void>,
) {
  await page.getByRole("button", { name: "Add connector" }).click();
  const form = page.getByRole("form", { name: "Connector" });
  await form.getByLabel("System").selectOption({ label: connector.system });
  await form.getByLabel("Name", { exact: true }).fill(connector.name);
  await form.getByLabel("Address", { exact: true }).fill(connector.address);
  await fill();
  await form.getByRole("button", { name: "Save and test" }).click();
  // the form closes on save, and the saved connector is tested at once
  await expect(form).toBeHidden();
}

function connectorCheck(page: Page, name: string): Locator {
  return page
    .getByTestId("connector-row")
    .filter({ has: page.getByText(name, { exact: true }) })
    .getByTestId("connector-check");
}

/** A signed-in tRPC query from the browser's context; superjson wraps the data in `json`. */
async function trpcQuery<T>(page: Page, procedure: string): Promise<T> {
  const response = await page.request.get(`/api/trpc/${procedure}`);
  expect(response.ok()).toBe(true);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

const DESKTOP = { width: 1280, height: 720 };
const PHONE = { width: 390, height: 844 };

/**
 * A full-page screenshot for review, at desktop width or a phone's; either way the page itself
 * must not scroll sideways (wide tables scroll inside their own box).
 */
async function capture(page: Page, name: string, { phone = false } = {}) {
  if (phone) await page.setViewportSize(PHONE);
  const { overflow, widest } = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    // the innermost elements past the right edge: what pushes the page wider
    const past = [...document.querySelectorAll("body *")].filter(
      (element) => element.getBoundingClientRect().right > width + 0.5,
    );
    const innermost = past.filter(
      (element) => !past.some((o) => o !== element && element.contains(o)),
    );
    return {
      overflow: document.documentElement.scrollWidth - width,
      widest: innermost
        .slice(0, 5)
        .map(
          (e) =>
            `<${e.tagName.toLowerCase()} class="${e.className}">${(e.textContent ?? "").slice(0, 60)}`,
        ),
    };
  });
  expect(
    overflow,
    `${name}: the page scrolls sideways, pushed by ${widest.join(" | ")}`,
  ).toBeLessThanOrEqual(0);
  // a full-page capture draws the sticky header where the page was scrolled to
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  if (phone) await page.setViewportSize(DESKTOP);
}

test.use({ viewport: DESKTOP });
test.beforeAll(() => fs.mkdirSync(shots, { recursive: true }));

test("connectors, request.json import, a report run with its downloads", async ({
  page,
}, testInfo) => {
  await signIn(page, "/connectors");
  await expect(page.getByRole("heading", { name: "Connectors" })).toBeVisible();

  await test.step("a Metabase connector with an API key; a wrong password in plain words", async () => {
    await addConnector(
      page,
      { system: "Metabase", name: CONNECTOR.metabaseKey, address: metabase },
      async () => {
        const form = page.getByRole("form", { name: "Connector" });
        await expect(form.getByLabel("Sign in with")).toHaveValue("api_key");
        await expect(form.getByText("(not set)")).toBeVisible();
        await form.getByRole("textbox", { name: /^API key/ }).fill(MB_API_KEY);
        await expect(form.getByText("(will be saved)")).toBeVisible();
      },
    );
    await expect(connectorCheck(page, CONNECTOR.metabaseKey)).toHaveText(
      /^✓ API key accepted \(acts as .+\)$/,
    );

    // the key went in, and nothing sends it back: not the page, not the list the page reads
    await page
      .getByTestId("connector-row")
      .filter({ has: page.getByText(CONNECTOR.metabaseKey, { exact: true }) })
      .getByRole("button", { name: "Edit" })
      .click();
    const edit = page.getByRole("form", { name: "Connector" });
    await expect(
      edit.getByRole("heading", { name: `Edit ${CONNECTOR.metabaseKey}` }),
    ).toBeVisible();
    await expect(edit.getByText("(set)", { exact: true })).toBeVisible();
    await expect(edit.getByRole("textbox", { name: /^API key/ })).toHaveValue("");
    expect(await page.content()).not.toContain(MB_API_KEY);
    expect(JSON.stringify(await trpcQuery(page, "connectors.list"))).not.toContain(MB_API_KEY);
    await edit.getByRole("button", { name: "Cancel" }).click();
    await expect(edit).toBeHidden();

    // a second account on the same server: an import of its URLs has to ask which one
    await addConnector(
      page,
      { system: "Metabase", name: CONNECTOR.metabaseWrong, address: metabase },
      async () => {
        const form = page.getByRole("form", { name: "Connector" });
        await form.getByLabel("Sign in with").selectOption({ label: "Email and password" });
        await form.getByRole("textbox", { name: "Email", exact: true }).fill("analyst@example.com");
        await form.getByRole("textbox", { name: /^Password/ }).fill("not-the-password");
        await capture(page, "connector-form");
      },
    );
    await expect(connectorCheck(page, CONNECTOR.metabaseWrong)).toHaveText(
      /^✗ wrong email or password\b/,
    );
    // the first one still reads as it did
    await expect(connectorCheck(page, CONNECTOR.metabaseKey)).toHaveText(/^✓ API key accepted/);
  });

  await test.step("a Superset connector for the relative URLs", async () => {
    await addConnector(
      page,
      { system: "Superset", name: CONNECTOR.superset, address: superset },
      async () => {
        const form = page.getByRole("form", { name: "Connector" });
        await form.getByRole("textbox", { name: "User name", exact: true }).fill("svc");
        await form.getByRole("textbox", { name: /^Password/ }).fill("superset-pass-1");
      },
    );
    await expect(connectorCheck(page, CONNECTOR.superset)).toHaveText("✓ signed in as svc");
    await capture(page, "connectors");
    await capture(page, "connectors-phone", { phone: true });
  });

  await test.step("import request.json: all entries or none", async () => {
    await page
      .getByRole("navigation", { name: "Main" })
      .getByRole("link", { name: "Reports" })
      .click();
    await expect(page.getByRole("heading", { name: "Reports" })).toBeVisible();
    const rowOf = (report: string) =>
      page
        .getByTestId("report-row")
        .filter({ has: page.getByRole("checkbox", { name: `Select ${report}`, exact: true }) });
    const reportNames = Object.keys(REQUEST_JSON);
    const namesOnServer = async () =>
      (await trpcQuery<{ name: string }[]>(page, "reports.list")).map((r) => r.name);
    const before = await namesOnServer();
    for (const name of reportNames) expect(before).not.toContain(name);
    await page.getByRole("button", { name: "Import request.json" }).click();
    const panel = page.getByRole("form", { name: "Import request.json" });
    const paste = panel.getByLabel("…or paste it");
    const importButton = panel.getByRole("button", { name: "Import", exact: true });
    await panel
      .getByLabel("Connector for relative URLs")
      .selectOption({ label: `${CONNECTOR.superset} (Superset)` });

    const withUnknownHost = {
      ...REQUEST_JSON,
      Mystery: { request_url: "https://elsewhere.example/export.csv", payload: {} },
    };
    await paste.fill(JSON.stringify(withUnknownHost, null, 2));
    await importButton.click();
    const problems = panel.getByTestId("import-problems");
    await expect(panel.getByRole("alert")).toContainText(
      "Nothing was imported: 1 entry could not be mapped.",
    );
    await expect(problems.getByRole("listitem")).toHaveCount(1);
    await expect(problems).toContainText(
      "Mystery: no connector has the address https://elsewhere.example",
    );
    expect(await namesOnServer()).toEqual(before);
    await capture(page, "reports-import-problem");

    await paste.fill(JSON.stringify(REQUEST_JSON, null, 2));
    await importButton.click();
    // two connectors have the Metabase address: nothing is guessed, the panel asks
    const choices = panel.getByTestId("import-choices");
    await expect(choices).toContainText("for Sales, Customers");
    expect(await namesOnServer()).toEqual(before);
    await choices
      .getByRole("combobox", { name: /^Connector for / })
      .selectOption({ label: CONNECTOR.metabaseKey });
    await capture(page, "reports-import-choice");
    await importButton.click();
    await expect(panel.getByRole("status")).toHaveText("Imported 3 reports.");
    await expect(problems).toBeHidden();
    // the list under the panel shows them at once, not only after "Done"
    for (const name of reportNames) await expect(rowOf(name)).toBeVisible();
    expect((await namesOnServer()).length).toBe(before.length + 3);
    await capture(page, "reports-import");
    await capture(page, "reports-import-phone", { phone: true });

    await panel.getByRole("button", { name: "Done" }).click();
    await expect(panel).toBeHidden();
    // absolute URLs went to the connector with that address, the relative one to the chosen one
    await expect(rowOf("Sales").getByRole("cell").nth(2)).toHaveText(CONNECTOR.metabaseKey);
    await expect(rowOf("Customers").getByRole("cell").nth(2)).toHaveText(CONNECTOR.metabaseKey);
    await expect(rowOf("Chart").getByRole("cell").nth(2)).toHaveText(CONNECTOR.superset);
  });

  let jobId = "";
  await test.step("run the three at once and watch them finish", async () => {
    const run = page.getByRole("form", { name: "Run reports" });
    await expect(run.getByRole("button", { name: "Run now" })).toBeDisabled();
    for (const report of Object.keys(REQUEST_JSON))
      await page.getByRole("checkbox", { name: `Select ${report}`, exact: true }).check();
    await expect(page.getByTestId("selected-count")).toHaveText("3");
    await run.getByLabel("Reports fetched at once").fill("3");
    await capture(page, "reports");
    await capture(page, "reports-phone", { phone: true });
    await run.getByRole("button", { name: "Run now" }).click();

    await expect(page).toHaveURL(/\/jobs\/[0-9a-f-]{36}$/);
    jobId = page.url().split("/").pop()!;
    await expect(page.getByText("3 at once · up to 5 attempts each")).toBeVisible();
    await expect(page.getByTestId("overall-count")).toHaveText("3 of 3 reports done", {
      timeout: 30_000,
    });
    await expect(page.getByRole("progressbar", { name: "Overall progress" })).toHaveAttribute(
      "aria-valuenow",
      "100",
    );
    const items = page.getByTestId("run-summary").getByTestId("run-item");
    await expect(items).toHaveCount(3);
    await expectNoSeriousA11yViolations(page, "a finished report run");
    for (const [report, rows] of Object.entries(EXPECTED_ROWS)) {
      const item = items.filter({ has: page.getByRole("cell", { name: report, exact: true }) });
      await expect(item).toHaveAttribute("data-state", "succeeded");
      const cells = item.getByRole("cell");
      await expect(cells.nth(1)).toHaveText("succeeded");
      await expect(cells.nth(2)).toHaveText(/^1 of 5/);
      // the requests of the attempt: an export with an API key is one; Superset signs in first
      await expect(cells.nth(2).getByTestId("request-counts")).toHaveText(
        report === "Chart" ? /^\d+ requests$/ : "1 request",
      );
      await expect(cells.nth(3)).toHaveText(rows.toLocaleString("en-US"));
      await expect(cells.nth(6).getByRole("link")).toHaveText(new RegExp(`^${report}_.+\\.csv$`));
    }
    // the run's own badge, beside the count
    await expect(
      page.getByTestId("overall-count").locator("..").getByText("completed", { exact: true }),
    ).toBeVisible();
    // the run has ended and its stream with it: the page says neither "live" nor "reconnecting"
    await expect(page.getByText(/● live|reconnecting/)).toHaveCount(0);
    await page.reload();
    await expect(page.getByTestId("overall-count")).toHaveText("3 of 3 reports done");
    await expect(page.getByText(/● live|reconnecting/)).toHaveCount(0);
    await capture(page, "report-run");
    await capture(page, "report-run-phone", { phone: true });
  });

  await test.step("download one report, the summary CSV and the run ZIP", async () => {
    const items = page.getByTestId("run-item");
    const fileNames = await page
      .getByTestId("run-summary")
      .getByRole("link", { name: /\.csv$/ })
      .allTextContents();
    expect(fileNames).toHaveLength(3);

    const salesDownload = page.waitForEvent("download");
    await items.filter({ hasText: "Sales" }).getByRole("link").click();
    const sales = await salesDownload;
    expect(new URL(sales.url()).pathname).toMatch(new RegExp(`^/api/runs/${jobId}/files/`));
    const salesFile = path.join(testInfo.outputDir, "sales.csv");
    await sales.saveAs(salesFile);
    expect(fs.readFileSync(salesFile, "utf8")).toBe(
      'region,amount\r\nEU,10\r\n"US, East",20\r\n"APAC ""North""",30.5\r\n',
    );

    const summaryDownload = page.waitForEvent("download");
    await page.getByRole("link", { name: "Summary CSV" }).click();
    const summaryFile = path.join(testInfo.outputDir, "summary.csv");
    await (await summaryDownload).saveAs(summaryFile);
    const lines = fs.readFileSync(summaryFile, "utf8").trim().split("\r\n");
    expect(lines[0]).toBe("report,status,attempts,rows,bytes,duration_s,file,truncated,note,error");
    expect(lines).toHaveLength(4);
    for (const [report, rows] of Object.entries(EXPECTED_ROWS)) {
      const line = lines.find((l) => l.startsWith(`${report},`));
      expect(line, `summary line for ${report}`).toMatch(
        new RegExp(`^${report},succeeded,1,${rows},\\d+,[\\d.]+,${report}_[^,]+\\.csv,no,`),
      );
    }

    const archiveDownload = page.waitForEvent("download");
    await page.getByRole("link", { name: "Download all (ZIP)" }).click();
    const archive = await archiveDownload;
    const zipFile = path.join(testInfo.outputDir, "run.zip");
    await archive.saveAs(zipFile);
    expect(new URL(archive.url()).pathname).toBe(`/api/runs/${jobId}/archive`);
    const again = await page.request.get(archive.url());
    expect(again.ok()).toBe(true);
    expect(Number(again.headers()["content-length"])).toBe(fs.statSync(zipFile).size);
    expect(execFileSync("unzip", ["-t", zipFile], { encoding: "utf8" })).toMatch(
      /No errors detected/,
    );
    expect(zipEntries(zipFile).sort()).toEqual(
      [...fileNames, "summary.csv", "summary.json"].sort(),
    );
    const summary = JSON.parse(
      execFileSync("unzip", ["-p", zipFile, "summary.json"], { encoding: "utf8" }),
    ) as { reports: { report: string; status: string; rows: number }[] };
    expect(Object.fromEntries(summary.reports.map((r) => [r.report, [r.status, r.rows]]))).toEqual({
      Sales: ["succeeded", 3],
      Customers: ["succeeded", 100_000],
      Chart: ["succeeded", 500],
    });
    const customers = fileNames.find((name) => name.startsWith("Customers_"))!;
    const head = execFileSync(
      "sh",
      ["-c", 'unzip -p "$0" "$1" | head -c 200', zipFile, customers],
      {
        encoding: "utf8",
      },
    );
    expect(head.startsWith("id,name,amount,created_at\r\n0,customer-0,")).toBe(true);
  });
});

test("a run whose reports all failed shows them failed, and offers no ZIP of nothing", async ({
  page,
}) => {
  await signIn(page, "/reports");
  const call = async <T>(procedure: string, json: unknown) => {
    const response = await page.request.post(`/api/trpc/${procedure}`, { data: { json } });
    expect(response.status(), await response.text()).toBe(200);
    return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
  };
  // a plain file address that answers 404: the connector says no retry can help
  const connector = await call<{ id: string }>("connectors.save", {
    name: "Files that are gone",
    kind: "http",
    baseUrl: `http://127.0.0.1:${IMAGE_HOST_PORT}`,
    settings: { authMethod: "none" },
    secrets: {},
  });
  const reportIds = [];
  for (const name of ["Gone A", "Gone B"])
    reportIds.push(
      (
        await call<{ id: string }>("reports.save", {
          name,
          connectorId: connector.id,
          query: { url: "/status/404" },
        })
      ).id,
    );
  const { jobId } = await call<{ jobId: string }>("reports.run", { reportIds, maxAttempts: 1 });
  await page.goto(`/jobs/${jobId}`);
  await expect(page.getByTestId("outcome-summary")).toHaveText("0 succeeded, 2 failed", {
    timeout: 30_000,
  });
  const bar = page.getByRole("progressbar", { name: "Overall progress" });
  await expect(bar).toHaveAttribute("aria-valuetext", "0 succeeded, 2 failed");
  await expect(bar.locator('[data-segment="failed"]')).toHaveCount(1);
  await expect(bar.locator('[data-segment="succeeded"]')).toHaveCount(0);
  await expect(page.getByText("4 at once · up to 1 attempt each")).toBeVisible();
  await expect(page.getByRole("link", { name: "Download all (ZIP)" })).toHaveCount(0);
  await expect(page.getByTestId("no-zip-note")).toHaveText(
    "No report succeeded, so there is no ZIP to download. The summary says why each one failed.",
  );
  await expect(page.getByText(/● live|reconnecting/)).toHaveCount(0);
  await expectNoSeriousA11yViolations(page, "a report run whose reports all failed");
  await capture(page, "report-run-all-failed");
  await capture(page, "report-run-all-failed-phone", { phone: true });

  // the report's history marks the failure, and its bar opens the run
  await page.goto("/reports");
  const row = page
    .getByTestId("report-row")
    .filter({ has: page.getByRole("checkbox", { name: "Select Gone A", exact: true }) });
  await row.getByRole("button", { name: "History" }).click();
  const history = page.getByTestId("run-history");
  await expect(
    history.getByRole("group", { name: /^Rows of the last run, 1 failed/ }),
  ).toBeVisible();
  await expect(history.getByTestId("history-bar").first()).toHaveAttribute("data-status", "failed");
  await expectNoSeriousA11yViolations(page, "a report's run history");
  await capture(page, "report-history");
  await history.getByTestId("history-bar").first().click();
  await expect(page).toHaveURL(new RegExp(`/jobs/${jobId}$`));
});
