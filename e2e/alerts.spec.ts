import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { startWebhookReceiver, type TWebhookReceiver } from "../test-support/webhook-receiver";
import { trpcMutation } from "./support/api";
import { expectNoSeriousA11yViolations } from "./support/axe";
import { signIn } from "./support/sign-in";
import { expect, test } from "./support/test";

const shots = path.join("test-results", "screenshots");
const SECRET = "an-e2e-alert-signing-secret-32-chars";

let webhook: TWebhookReceiver;
/** the report's source: a small CSV, or a 404 while `isMissing` */
let source: { server: Server; url: string; isMissing: boolean };

test.beforeAll(async () => {
  webhook = await startWebhookReceiver(SECRET);
  const server = createServer((_request, response) => {
    if (source.isMissing) response.writeHead(404, { "content-type": "text/plain" }).end("gone");
    else response.writeHead(200, { "content-type": "text/csv" }).end("day,orders\nMon,12\nTue,9\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  source = {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    isMissing: false,
  };
});

test.afterAll(async () => {
  await webhook?.close();
  await new Promise((resolve) => source?.server.close(resolve));
});

/** The alerts the receiver accepted (signature and timestamp checked by its own code). */
const acceptedAlerts = () =>
  webhook.calls
    .filter((call) => call.verdict === "accepted")
    .map((call) => (JSON.parse(call.body) as { alert: { event: string; title: string } }).alert);

test("a scheduled report that fails sends one alert to a webhook, one when it recovers, and its history shows the failure", async ({
  page,
  playwright,
  baseURL,
}) => {
  test.setTimeout(120_000);
  await signIn(page, "/schedules");
  const connector = await trpcMutation(page, "connectors.save", {
    name: "Shop exports",
    kind: "http",
    baseUrl: source.url,
    settings: { authMethod: "none" },
    secrets: {},
  });
  await trpcMutation(page, "reports.save", {
    name: "Daily orders",
    connectorId: connector.id,
    query: { url: "/orders.csv" },
  });
  await trpcMutation(page, "connectors.save", {
    name: "Ops hook",
    kind: "webhook",
    baseUrl: "",
    settings: { url: webhook.url },
    secrets: { signingSecret: SECRET },
  });
  await page.reload();

  await page.getByRole("button", { name: "Add schedule" }).click();
  const form = page.getByRole("form", { name: "Schedule" });
  await form.getByLabel("Name").fill("Orders at six");
  await form.getByRole("checkbox", { name: /Daily orders/ }).check();
  await form
    .getByRole("group", { name: /^Alert \(/ })
    .getByRole("checkbox", { name: /Ops hook/ })
    .check();
  const when = form.getByRole("group", { name: "Alert when" });
  await expect(when.getByRole("checkbox", { name: "a run fails" })).toBeChecked();
  await expect(when.getByRole("checkbox", { name: "it works again after an alert" })).toBeChecked();
  await page.screenshot({ path: path.join(shots, "schedule-alerts.png"), fullPage: true });
  await form.getByRole("button", { name: "Save schedule" }).click();
  const row = page.getByTestId("schedule-row").filter({ hasText: "Orders at six" });
  await expect(row).toBeVisible();

  // the source is gone: the run fails, and the webhook hears of it once
  source.isMissing = true;
  await row.getByRole("button", { name: "Run now" }).click();
  await expect(page).toHaveURL(/\/jobs\/[0-9a-f-]{36}$/);
  await expect
    .poll(acceptedAlerts, { timeout: 30_000 })
    .toEqual([expect.objectContaining({ event: "failure", title: "“Orders at six” failed" })]);

  // back: the next run works, and the webhook hears that too
  source.isMissing = false;
  await page.goto("/schedules");
  await row.getByRole("button", { name: "Run now" }).click();
  await expect(page).toHaveURL(/\/jobs\/[0-9a-f-]{36}$/);
  await expect
    .poll(acceptedAlerts, { timeout: 30_000 })
    .toEqual([
      expect.objectContaining({ event: "failure" }),
      expect.objectContaining({ event: "recovery", title: "“Orders at six” works again" }),
    ]);

  await page.goto("/schedules");
  await row.getByRole("button", { name: "History" }).click();
  const history = page.getByTestId("run-history");
  await expect(
    history.getByRole("group", { name: /^Rows of the last 2 runs, 1 failed/ }),
  ).toBeVisible();
  await expect(history.getByTestId("history-bar").first()).toHaveAttribute("data-status", "failed");
  await expect(history.getByTestId("history-bar").nth(1)).toHaveAttribute(
    "data-status",
    "completed",
  );

  await page.getByRole("link", { name: "Alerts sent" }).click();
  const alerts = page.getByTestId("alert-row");
  await expect(alerts).toHaveCount(2);
  await expect(alerts.first()).toHaveAttribute("data-state", "sent");
  await expect(alerts.first()).toContainText("“Orders at six” works again");
  await expect(alerts.nth(1)).toContainText("“Orders at six” failed");
  await expectNoSeriousA11yViolations(page, "the alerts page");
  await page.screenshot({ path: path.join(shots, "alerts.png"), fullPage: true });
  // the receiver was called exactly twice: no storm, no repeat
  expect(webhook.calls).toHaveLength(2);

  // Prometheus reads the same with a token of the metrics scope, and no cookie
  const { token } = await trpcMutation<{ token: string }>(page, "tokens.create", {
    name: "prometheus",
    scope: "metrics",
  });
  const prometheus = await playwright.request.newContext({ baseURL });
  const scrape = await prometheus.get("/metrics", {
    headers: { authorization: `Bearer ${token}` },
    maxRedirects: 0,
  });
  expect(scrape.status()).toBe(200);
  expect(await scrape.text()).toContain('datahaul_alerts{state="sent"} 2');
  expect((await prometheus.get("/metrics", { maxRedirects: 0 })).status()).toBe(401);
  await prometheus.dispose();

  // the schedule would fire by itself within minutes, against servers this test closes: gone
  const listed = await page.request.get("/api/trpc/schedules.list");
  const schedules = (
    (await listed.json()) as { result: { data: { json: { id: string; name: string }[] } } }
  ).result.data.json;
  const ours = schedules.find((schedule) => schedule.name === "Orders at six")!;
  await trpcMutation(page, "schedules.delete", { id: ours.id });
});
