// Alerts about a schedule's runs, sent to real local receivers: a webhook receiver that checks the
// signature with its own code, Slack- and Teams-style incoming webhooks, and an SMTP sink. A report
// that starts failing alerts each channel once, a second failure stays quiet, the next good run
// says it recovered, and a run with far fewer rows than usual alerts too. A busy receiver gets the
// alert on a later try; a refusing one shows the alert as not sent, with the reason.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSmtpSink, type TSmtpSink } from "@/test-support/smtp-sink";
import { waitFor } from "@/test-support/wait-for";
import { startWebhookReceiver, type TWebhookReceiver } from "@/test-support/webhook-receiver";
import { startTestApp, waitForJobEnd } from "./support/test-app";

const WEBHOOK_SECRET = "an-alert-signing-secret-of-32-chars";
const APP_URL = "https://datahaul.example.com";

let app: Awaited<ReturnType<typeof startTestApp>>;
let smtp: TSmtpSink;
let webhook: TWebhookReceiver;
let source: { server: Server; url: string; rows: number | "missing" };
let chat: {
  server: Server;
  url: string;
  posts: { path: string; body: unknown }[];
  /** the next answers per path, in order; then 200 */
  answers: Record<string, number[]>;
};
let scheduleId: string;
let reportId: string;
const channelIds: Record<string, string> = {};

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  [smtp, webhook] = await Promise.all([startSmtpSink(), startWebhookReceiver(WEBHOOK_SECRET)]);
  // the report: a CSV of as many rows as the test says, or a 404 (a moved export: no retry)
  const sourceServer = createServer((_request, response) => {
    if (source.rows === "missing") {
      response.writeHead(404, { "content-type": "text/plain" }).end("no such export");
      return;
    }
    const lines = ["region,units", ...Array.from({ length: source.rows }, (_, i) => `r${i},${i}`)];
    response.writeHead(200, { "content-type": "text/csv" }).end(`${lines.join("\n")}\n`);
  });
  source = { server: sourceServer, url: await listen(sourceServer), rows: 100 };
  const chatServer = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "";
      const status = chat.answers[path]?.shift() ?? 200;
      if (status === 200)
        chat.posts.push({ path, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      response
        .writeHead(status, { "content-type": "text/plain" })
        .end(status === 200 ? "ok" : "no_service");
    });
  });
  chat = { server: chatServer, url: await listen(chatServer), posts: [], answers: {} };

  app = await startTestApp({ APP_URL });
  const { startWorker } = await import("@/server/boot");
  await startWorker();
  const { saveConnector } = await import("@/server/services/connectors/connectors");
  const { saveReport } = await import("@/server/services/reports/reports");
  const { saveSchedule } = await import("@/server/services/schedules/schedules");
  const save = async (name: string, kind: string, settings: object, secrets: object = {}) =>
    (channelIds[name] = (
      await saveConnector({
        name,
        kind: kind as never,
        baseUrl: "",
        settings: settings as Record<string, unknown>,
        secrets: secrets as Record<string, string>,
      })
    ).id);
  await save("Ops hook", "webhook", { url: webhook.url }, { signingSecret: WEBHOOK_SECRET });
  await save("Ops Slack", "slack", {}, { webhookUrl: `${chat.url}/services/T1/B2/slack-secret` });
  await save("Ops Teams", "teams", {}, { webhookUrl: `${chat.url}/workflows/teams-secret` });
  await save("Ops mail", "email", {
    host: smtp.host,
    port: smtp.port,
    security: "none",
    from: "DataHaul <alerts@example.com>",
    to: "ops@example.com",
  });
  const { id: connectorId } = await saveConnector({
    name: "Shop exports",
    kind: "http",
    baseUrl: source.url,
    settings: { authMethod: "none" },
    secrets: {},
  });
  reportId = (await saveReport({ name: "Sales", connectorId, query: { url: "/sales.csv" } })).id;
  scheduleId = (
    await saveSchedule(
      {
        name: "Nightly sales",
        kind: "cron",
        cronExpression: "0 2 * * *",
        timeZone: "UTC",
        reportIds: [reportId],
        isEnabled: false,
        alertRules: { channels: Object.values(channelIds), rowDropPercent: 50 },
      },
      app.userId,
    )
  ).id;
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([
    smtp?.close(),
    webhook?.close(),
    new Promise((resolve) => source?.server.close(resolve)),
    new Promise((resolve) => chat?.server.close(resolve)),
  ]);
});

/** One scheduled run of the report, to its end and the end of the sending of its alerts. */
async function runOnce(rows: number | "missing") {
  source.rows = rows;
  const { startScheduledRun } = await import("@/server/services/schedules/schedules");
  const { jobId } = await startScheduledRun({
    scheduleId,
    reportIds: [reportId],
    createdById: app.userId,
    maxConcurrency: 1,
    maxAttempts: 1,
  });
  await waitForJobEnd(app, jobId);
  // the job's alerts exist once it is marked checked; each is then sent, or waits for a retry
  const job = await waitFor(() =>
    app.db.job.findFirst({ where: { id: jobId, alertsCheckedAt: { not: null } } }),
  );
  const alerts = await waitFor(async () => {
    const made = await app.db.alert.findMany({ where: { jobId } });
    return made.every((alert) => alert.state !== "sending" && alert.attempts > 0) ? made : null;
  });
  return { job, alerts };
}

const eventsOf = (alerts: { event: string }[]) => [...new Set(alerts.map((a) => a.event))];

describe("alerts", () => {
  it("alerts every channel once when a schedule starts failing, keeps quiet while it fails, and says when it recovers", async () => {
    expect((await runOnce(100)).alerts).toEqual([]);

    const failing = await runOnce("missing");
    expect(failing.job.status).toBe("failed");
    expect(eventsOf(failing.alerts)).toEqual(["failure"]);
    expect(failing.alerts.map((a) => a.state)).toEqual(["sent", "sent", "sent", "sent"]);

    // the webhook: signed, checked by the receiver's own code, with the run's link
    const hook = webhook.calls.at(-1)!;
    expect(hook.verdict).toBe("accepted");
    expect(hook.headers["x-datahaul-event"]).toBe("alert");
    const body = JSON.parse(hook.body) as { event: string; alert: Record<string, string> };
    expect(body.event).toBe("alert");
    expect(body.alert).toMatchObject({
      event: "failure",
      title: "“Nightly sales” failed",
      url: `${APP_URL}/jobs/${failing.job.id}`,
    });
    expect(body.alert.text).toContain("404");
    // Slack: mrkdwn text; Teams: an Adaptive Card
    const slack = chat.posts.find((post) => post.path.includes("slack"))!.body as { text: string };
    expect(slack.text).toMatch(/^\*“Nightly sales” failed\*\n.*404/);
    expect(slack.text).toContain(`<${APP_URL}/jobs/${failing.job.id}|Open the run>`);
    const teams = chat.posts.find((post) => post.path.includes("teams"))!.body as {
      type: string;
      attachments: { contentType: string; content: { type: string; body: { text: string }[] } }[];
    };
    expect(teams.type).toBe("message");
    expect(teams.attachments[0]!.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(teams.attachments[0]!.content.type).toBe("AdaptiveCard");
    expect(teams.attachments[0]!.content.body[0]!.text).toBe("“Nightly sales” failed");
    const [mail] = await smtp.waitForMessages(1);
    expect(mail!.parsed.subject).toBe("“Nightly sales” failed");
    expect(mail!.envelope.to).toEqual(["ops@example.com"]);
    expect(mail!.parsed.text).toContain(`${APP_URL}/jobs/${failing.job.id}`);

    const postsBefore = chat.posts.length;
    const stillFailing = await runOnce("missing");
    expect(stillFailing.alerts).toEqual([]);
    expect(chat.posts.length).toBe(postsBefore);

    const recovered = await runOnce(100);
    expect(recovered.job.status).toBe("completed");
    expect(eventsOf(recovered.alerts)).toEqual(["recovery"]);
    expect(recovered.alerts[0]!.title).toBe("“Nightly sales” works again");
    expect((await smtp.waitForMessages(2))[1]!.parsed.subject).toBe("“Nightly sales” works again");
  });

  it("alerts a run that brings far fewer rows than the runs before it", async () => {
    const low = await runOnce(20);
    expect(eventsOf(low.alerts)).toEqual(["row_drop"]);
    expect(low.alerts[0]!.title).toBe("“Nightly sales” brought 80% fewer rows than usual");
    expect(low.alerts[0]!.text).toContain("brought 20 rows; the runs before it brought 100");
    expect(eventsOf((await runOnce(100)).alerts)).toEqual(["recovery"]);
  });

  it("tries a busy receiver again later, and shows a refused alert as not sent with the reason", async () => {
    chat.answers["/services/T1/B2/slack-secret"] = [503];
    chat.answers["/workflows/teams-secret"] = [404];
    const { alerts } = await runOnce("missing");
    const byChannel = Object.fromEntries(alerts.map((a) => [a.connectorName, a]));
    const host = new URL(chat.url).host;
    expect(byChannel["Ops Slack"]).toMatchObject({
      state: "pending",
      attempts: 1,
      result: `Slack at ${host} answered 503: no_service; trying again`,
    });
    expect(byChannel["Ops Slack"]!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());
    expect(byChannel["Ops Teams"]).toMatchObject({
      state: "failed",
      attempts: 1,
      result: `Teams at ${host} answered 404: no_service`,
    });
    expect(byChannel["Ops hook"]!.state).toBe("sent");

    // the retry's time comes
    const postsBefore = chat.posts.length;
    await app.db.alert.update({
      where: { id: byChannel["Ops Slack"]!.id },
      data: { nextAttemptAt: new Date() },
    });
    const { sendDueAlerts, listAlerts } = await import("@/server/services/alerts/alerts");
    await sendDueAlerts();
    const retried = await app.db.alert.findUniqueOrThrow({
      where: { id: byChannel["Ops Slack"]!.id },
    });
    expect(retried).toMatchObject({ state: "sent", attempts: 2 });
    expect(chat.posts.length).toBe(postsBefore + 1);

    const listed = await listAlerts();
    expect(listed[0]).toMatchObject({ scheduleName: "Nightly sales", event: "failure" });
    expect(listed.find((a) => a.channel === "Ops Teams" && a.state === "failed")).toBeDefined();
  });

  it("sends a test alert to a channel straight away, and refuses rules naming a channel that takes none", async () => {
    const { sendTestAlert, checkAlertRules } = await import("@/server/services/alerts/alerts");
    expect((await sendTestAlert(channelIds["Ops Slack"]!)).message).toMatch(
      /^Test alert sent: posted to Slack at 127\.0\.0\.1:\d+, which answered 200\.$/,
    );
    const { id: folderId } = await (
      await import("@/server/services/connectors/connectors")
    ).saveConnector({ name: "Share", kind: "folder", baseUrl: "", settings: {}, secrets: {} });
    await expect(checkAlertRules({ channels: [folderId] })).rejects.toThrow(
      "Share cannot send alerts.",
    );
  });

  it("raises the alerts of a run whose process stopped before it could, once", async () => {
    const { raiseMissedAlerts } = await import("@/server/services/alerts/alerts");
    expect(eventsOf((await runOnce(100)).alerts)).toEqual(["recovery"]);
    const { job, alerts } = await runOnce("missing");
    expect(eventsOf(alerts)).toEqual(["failure"]);
    // as if the process had died as the job ended: no alert rows, the job unchecked
    await app.db.alert.deleteMany({ where: { jobId: job.id } });
    await app.db.job.update({
      where: { id: job.id },
      data: { alertsCheckedAt: null, finishedAt: new Date(Date.now() - 120_000) },
    });
    expect(await raiseMissedAlerts()).toBe(4);
    expect(await raiseMissedAlerts()).toBe(0);
    // and sends them, as it does any alert
    const raised = await waitFor(async () => {
      const rows = await app.db.alert.findMany({ where: { jobId: job.id } });
      return rows.every((row) => row.state === "sent") ? rows : null;
    });
    expect(eventsOf(raised)).toEqual(["failure"]);
    expect(raised).toHaveLength(4);
  });

  it("alerts about a pipeline's runs by hand with the pipeline's own rules: once when it starts failing, once when it works again", async () => {
    const { createReportTable } = await import("@/server/services/tables/tables");
    const { savePipeline, startPipelineRun } =
      await import("@/server/services/pipelines/pipelines");
    const table = await createReportTable({ reportId, createdById: app.userId });
    const { id: pipelineId } = await savePipeline({
      name: "Sales by mail",
      reportId,
      tableId: table.id,
      connectorId: channelIds["Ops mail"]!,
      action: "deliver",
      createdById: app.userId,
      alertRules: { channels: [channelIds["Ops hook"]!] },
    });
    const runPipeline = async (rows: number | "missing") => {
      source.rows = rows;
      const { jobId } = await startPipelineRun({ pipelineId, createdById: app.userId });
      const ended = await waitForJobEnd(app, jobId, 60_000);
      await waitFor(() =>
        app.db.job.findFirst({ where: { id: jobId, alertsCheckedAt: { not: null } } }),
      );
      const alerts = await waitFor(async () => {
        const made = await app.db.alert.findMany({ where: { jobId } });
        return made.every((alert) => alert.state !== "sending" && alert.attempts > 0) ? made : null;
      });
      return { status: ended.status, alerts, jobId };
    };
    const failing = await runPipeline("missing");
    expect(failing.status).toBe("failed");
    expect(failing.alerts.map((a) => [a.event, a.connectorName, a.state, a.title])).toEqual([
      ["failure", "Ops hook", "sent", "“Sales by mail” failed"],
    ]);
    const hook = JSON.parse(webhook.calls.at(-1)!.body) as { alert: { url: string } };
    expect(hook.alert.url).toBe(`${APP_URL}/jobs/${failing.jobId}`);
    expect((await runPipeline("missing")).alerts).toEqual([]);
    const recovered = await runPipeline(100);
    expect(recovered.status).toBe("completed");
    expect(recovered.alerts.map((a) => [a.event, a.title])).toEqual([
      ["recovery", "“Sales by mail” works again"],
    ]);
  });

  it("says a run works again when the failed run itself is retried into a good one", async () => {
    // a good run first, so the failure below starts a new streak
    expect(eventsOf((await runOnce(100)).alerts)).toEqual(["recovery"]);
    const failing = await runOnce("missing");
    expect(eventsOf(failing.alerts)).toEqual(["failure"]);
    source.rows = 100;
    const checkedBefore = failing.job.alertsCheckedAt!.getTime();
    const { retryFailedItems } = await import("@/server/services/jobs/job-actions");
    await retryFailedItems(failing.job.id, "all");
    await waitFor(async () => {
      const job = await app.db.job.findUniqueOrThrow({ where: { id: failing.job.id } });
      return job.status === "completed" && job.alertsCheckedAt!.getTime() > checkedBefore;
    });
    const alerts = await waitFor(async () => {
      const made = await app.db.alert.findMany({
        where: { jobId: failing.job.id, event: "recovery" },
      });
      return made.length > 0 && made.every((a) => a.state === "sent") ? made : null;
    });
    expect(alerts.map((a) => a.title)).toEqual(Array(4).fill("“Nightly sales” works again"));
  });

  it("refuses to delete a channel a schedule or a pipeline still uses, naming them", async () => {
    const { deleteConnector } = await import("@/server/services/connectors/connectors");
    await expect(deleteConnector(channelIds["Ops hook"]!)).rejects.toThrow(
      "the pipeline “Sales by mail”, the schedule “Nightly sales” use this destination; change them first.",
    );
    await expect(deleteConnector(channelIds["Ops mail"]!)).rejects.toThrow(
      /the pipeline “Sales by mail”.* use this destination/,
    );
    expect(await app.db.connector.count({ where: { id: channelIds["Ops hook"]! } })).toBe(1);
  });
});
