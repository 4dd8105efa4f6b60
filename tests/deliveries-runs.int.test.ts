// File destinations wired to jobs: an export that names five destinations (a folder, s3rver, an
// SFTP server, an SMTP sink and a webhook receiver, all real local servers) delivers its files to
// each once it ends, every step with its own state and attempts; a step that fails says why, the
// others still deliver, and a retry after the fix delivers the rest. Signed links in the e-mail and
// the webhook call download the very bytes, without a session, until they expire.
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeCsvHost, type FakeCsvHost } from "@/test-support/fakes/csv-host";
import { startLocalS3, type TLocalS3 } from "@/test-support/s3-server";
import { startLocalSftp, type TLocalSftp } from "@/test-support/sftp-server";
import { startSmtpSink, type TSmtpSink } from "@/test-support/smtp-sink";
import { waitFor } from "@/test-support/wait-for";
import { startWebhookReceiver, type TWebhookReceiver } from "@/test-support/webhook-receiver";
import { uploadOrdersTable } from "./support/orders-table";
import { startTestApp, waitForJobEnd } from "./support/test-app";

const SFTP_USER = "reports";
const SFTP_PASSWORD = "correct horse battery staple";
const WEBHOOK_SECRET = "a-webhook-signing-secret-of-32-chars";
const APP_URL = "https://datahaul.example.com";

let app: Awaited<ReturnType<typeof startTestApp>>;
let folderRoot: string;
let s3: TLocalS3;
let sftp: TLocalSftp;
let smtp: TSmtpSink;
let webhook: TWebhookReceiver;
let csvHost: FakeCsvHost;
let tableId: string;
const ids: Record<string, string> = {};

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

const services = async () => ({
  ...(await import("@/server/services/connectors/connectors")),
  ...(await import("@/server/services/tables/start-export")),
  ...(await import("@/server/services/jobs/job-actions")),
  ...(await import("@/server/services/deliveries/delivery-progress")),
});

beforeAll(async () => {
  folderRoot = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-share-"));
  [s3, sftp, smtp, webhook, csvHost] = await Promise.all([
    startLocalS3("reports"),
    startLocalSftp({ username: SFTP_USER, password: SFTP_PASSWORD }),
    startSmtpSink(),
    startWebhookReceiver(WEBHOOK_SECRET),
    startFakeCsvHost(),
  ]);
  app = await startTestApp({ DELIVERY_FOLDER_ROOT: folderRoot, APP_URL });
  const { startWorker } = await import("@/server/boot");
  await startWorker();
  tableId = await uploadOrdersTable(500, app.userId);

  const { saveConnector } = await services();
  const save = async (name: string, kind: string, settings: object, secrets: object = {}) =>
    (ids[name] = (
      await saveConnector({
        name,
        kind: kind as never,
        baseUrl: "",
        settings: settings as Record<string, unknown>,
        secrets: secrets as Record<string, string>,
      })
    ).id);
  await save("Share", "folder", { subPath: "finance/daily" });
  await save(
    "Bucket",
    "s3",
    {
      bucket: "reports",
      prefix: "daily",
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: s3.credentials.accessKeyId,
    },
    { secretAccessKey: s3.credentials.secretAccessKey },
  );
  await save(
    "Partner SFTP",
    "sftp",
    { host: sftp.host, port: sftp.port, username: SFTP_USER, remoteDirectory: "/incoming" },
    { password: "not the password" },
  );
  await save("Finance mail", "email", {
    host: smtp.host,
    port: smtp.port,
    security: "none",
    from: "DataHaul <reports@example.com>",
    to: "ana@example.com, ops@example.com",
    maxAttachmentMb: 0,
  });
  await save(
    "Hook",
    "webhook",
    { url: `${webhook.url}/datahaul` },
    { signingSecret: WEBHOOK_SECRET },
  );
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([
    s3?.close(),
    sftp?.close(),
    smtp?.close(),
    webhook?.close(),
    csvHost?.close(),
  ]);
  if (folderRoot) fs.rmSync(folderRoot, { recursive: true, force: true });
});

describe("file destinations", () => {
  it("are tested for real; SFTP's host key is recorded on the first connection", async () => {
    const { testConnector, saveConnector, listConnectors } = await services();
    expect((await testConnector(ids.Share!)).isOk).toBe(true);
    expect((await testConnector(ids.Bucket!)).isOk).toBe(true);
    const wrong = await testConnector(ids["Partner SFTP"]!);
    expect(wrong.isOk).toBe(false);
    expect(wrong.message).toMatch(/password|sign in|authentic/i);

    const listed = (await listConnectors()).find((c) => c.id === ids.Hook);
    expect(listed?.destination).toMatchObject({ takesFiles: true, takesRows: false });
    expect(JSON.stringify(listed)).not.toContain(WEBHOOK_SECRET);
    expect(listed?.secretsSet).toEqual({ signingSecret: true });

    // the wrong password stays for the delivery below; a second connector signs in for real
    const { id } = await saveConnector({
      name: "SFTP probe",
      kind: "sftp",
      baseUrl: "",
      settings: { host: sftp.host, port: sftp.port, username: SFTP_USER },
      secrets: { password: SFTP_PASSWORD },
    });
    const tested = await testConnector(id);
    expect(tested).toEqual({ isOk: true, message: expect.stringContaining(sftp.fingerprint) });
    const stored = await app.db.connector.findUniqueOrThrow({ where: { id } });
    expect(JSON.parse(stored.settings).hostKeyFingerprint).toBe(sftp.fingerprint);
  });

  it("an export's files reach every destination it names, each a step with its own state", async () => {
    const { startExport, getSourceDeliveries } = await services();
    const { jobId } = await startExport({
      tableId,
      outputs: [{ format: "csv" }, { format: "xlsx" }],
      fileName: "Orders",
      createdById: app.userId,
      deliverTo: [ids.Share!, ids.Bucket!, ids["Partner SFTP"]!, ids["Finance mail"]!, ids.Hook!],
    });
    expect((await waitForJobEnd(app, jobId)).status).toBe("completed");
    const outputs = await app.db.exportOutput.findMany({
      where: { jobId },
      orderBy: { position: "asc" },
    });
    const expected = new Map(outputs.map((o) => [o.fileName, o.sha256!]));
    expect([...expected.keys()]).toEqual(["Orders.csv", "Orders.xlsx"]);

    const delivery = await waitFor(
      () => app.db.delivery.findFirst({ where: { sourceJobId: jobId } }),
      20_000,
    );
    const deliveryJob = await waitForJobEnd(app, delivery.jobId, 60_000);
    expect(deliveryJob.status).toBe("completed_with_errors");
    const view = await getSourceDeliveries(jobId);
    const byName = Object.fromEntries(view!.steps.map((step) => [step.connectorName, step]));
    expect(Object.keys(byName)).toEqual([
      "Share",
      "Bucket",
      "Partner SFTP",
      "Finance mail",
      "Hook",
    ]);
    for (const name of ["Share", "Bucket", "Finance mail", "Hook"])
      expect(byName[name], name).toMatchObject({ state: "succeeded", attempts: 1, error: null });
    // a refused sign-in is the settings' fault: not tried again
    expect(byName["Partner SFTP"]).toMatchObject({ state: "failed", attempts: 1 });
    expect(byName["Partner SFTP"]!.error).toMatch(/password|sign in|authentic/i);

    // the folder: written under the root, by their own names, byte for byte
    const folder = path.join(folderRoot, "finance/daily");
    expect(fs.readdirSync(folder).sort()).toEqual(["Orders.csv", "Orders.xlsx"]);
    for (const [name, hash] of expected)
      expect(sha256(fs.readFileSync(path.join(folder, name))), name).toBe(hash);
    expect(byName.Share!.files.map((f) => f.location)).toEqual(
      [...expected.keys()].map((name) => path.join(folder, name)),
    );

    // the bucket
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: s3.credentials,
    });
    for (const [name, hash] of expected) {
      const object = await client.send(
        new GetObjectCommand({ Bucket: "reports", Key: `daily/${name}` }),
      );
      expect(sha256(Buffer.from(await object.Body!.transformToByteArray())), name).toBe(hash);
    }
    client.destroy();

    // the e-mail: links, since attachments are capped at 0 MB
    const [mail] = await smtp.waitForMessages(1);
    expect(mail!.envelope.to).toEqual(["ana@example.com", "ops@example.com"]);
    expect(mail!.parsed.attachments).toHaveLength(0);
    const mailLinks = [
      ...(mail!.parsed.text ?? "").matchAll(/https:\/\/datahaul\.example\.com\/\S+/g),
    ].map((m) => m[0]);
    expect(mailLinks).toHaveLength(2);

    // the webhook: signed, with a link per file
    expect(webhook.calls).toHaveLength(1);
    expect(webhook.calls[0]!.verdict).toBe("accepted");
    const body = JSON.parse(webhook.calls[0]!.body) as { files: { name: string; url: string }[] };
    expect(body.files.map((f) => f.name)).toEqual([...expected.keys()]);

    // every link downloads the file without a session
    const { GET } = await import("@/app/api/deliveries/[deliveryId]/files/[index]/route");
    const follow = async (link: string) => {
      const url = new URL(link);
      const [, , , deliveryId, , index] = url.pathname.split("/");
      return GET(new Request(link), {
        params: Promise.resolve({ deliveryId: deliveryId!, index: index! }),
      });
    };
    for (const [i, link] of [...mailLinks, ...body.files.map((f) => f.url)].entries()) {
      const answer = await follow(link);
      expect(answer.status, link).toBe(200);
      const bytes = Buffer.from(await answer.arrayBuffer());
      expect(sha256(bytes)).toBe([...expected.values()][i % 2]);
    }
    // a link changed by hand is refused
    const forged = mailLinks[0]!.replace(/files\/0/, "files/1");
    expect((await follow(forged)).status).toBe(403);

    // fixed, then retried: only the failed step goes again
    const { saveConnector, retryFailedItems } = await services();
    await saveConnector({
      id: ids["Partner SFTP"],
      name: "Partner SFTP",
      kind: "sftp",
      baseUrl: "",
      settings: {
        host: sftp.host,
        port: sftp.port,
        username: SFTP_USER,
        remoteDirectory: "/incoming",
      },
      secrets: { password: SFTP_PASSWORD },
    });
    await retryFailedItems(delivery.jobId, "all");
    const retried = await waitFor(async () => {
      const row = await app.db.job.findUnique({ where: { id: delivery.jobId } });
      return row?.status === "completed" ? row : null;
    }, 60_000);
    expect(retried.status).toBe("completed");
    const after = await getSourceDeliveries(jobId);
    expect(after!.steps.find((s) => s.connectorName === "Partner SFTP")).toMatchObject({
      state: "succeeded",
      attempts: 2,
      error: null,
    });
    for (const [name, hash] of expected)
      expect(sha256(fs.readFileSync(path.join(sftp.root, "incoming", name))), name).toBe(hash);
    // the others were not delivered twice
    expect(smtp.messages).toHaveLength(1);
    expect(webhook.calls).toHaveLength(1);
  });

  it("a delivery cancelled while the SFTP server holds its writes ends cancelled, with no file in sight", async () => {
    const { startExport, cancelJob } = await services();
    const release = sftp.holdWrites();
    try {
      const { jobId } = await startExport({
        tableId,
        fileName: "Held",
        createdById: app.userId,
        deliverTo: [ids["Partner SFTP"]!],
      });
      await waitForJobEnd(app, jobId);
      const step = await waitFor(
        () => app.db.delivery.findFirst({ where: { sourceJobId: jobId } }),
        20_000,
      );
      // the upload has begun and its first write waits for an answer
      await waitFor(
        () => sftp.operations.some((op) => /^OPEN \/incoming\/\.Held\.csv\.tmp-/.test(op)),
        20_000,
      );
      await cancelJob(step.jobId);
      const cancelled = await waitFor(async () => {
        const row = await app.db.delivery.findUnique({ where: { id: step.id } });
        return row?.state === "cancelled" ? row : null;
      }, 20_000);
      expect(cancelled.error).toBe("cancelled");
      expect((await app.db.job.findUniqueOrThrow({ where: { id: step.jobId } })).status).toBe(
        "cancelled",
      );
    } finally {
      release();
    }
    expect(
      fs.readdirSync(path.join(sftp.root, "incoming")).filter((n) => !n.startsWith(".")),
    ).not.toContain("Held.csv");
  });

  it("refuses a destination that takes no files before the export starts", async () => {
    const { startExport } = await services();
    await expect(
      startExport({ tableId, createdById: app.userId, deliverTo: [crypto.randomUUID()] }),
    ).rejects.toThrow(/Files cannot be delivered there: the destination .* does not exist/);
  });

  it("a schedule's report run puts fresh CSVs in the shared folder, named by the template, even after a stop", async () => {
    const { saveConnector } = await services();
    const { saveReport } = await import("@/server/services/reports/reports");
    const { saveSchedule, startScheduledRun, listSchedules } =
      await import("@/server/services/schedules/schedules");
    const { startMissedDeliveries } = await import("@/server/services/deliveries/start-deliveries");
    const { id: source } = await saveConnector({
      name: "Exports host",
      kind: "http",
      baseUrl: csvHost.url,
      settings: {},
    });
    const { id: reportId } = await saveReport({
      name: "Sales",
      connectorId: source,
      query: { url: `${csvHost.url}/exports/sales.csv` },
    });
    const { createReportTable } = await import("@/server/services/tables/tables");
    const { createTransform } = await import("@/server/services/tables/transforms");
    const table = await createReportTable({ reportId, createdById: app.userId });
    await createTransform({
      name: "Sales by region",
      tableId: table.id,
      steps: [{ kind: "group", by: ["region"], aggregates: [{ function: "count" }] }],
      outputs: [{ format: "csv" }],
      exportAfterReportRun: true,
    });
    const { id: morning } = await saveConnector({
      name: "Morning share",
      kind: "folder",
      baseUrl: "",
      settings: { subPath: "morning", fileNameTemplate: "{report}_{date:yyyyMMdd}.csv" },
    });
    const { id: scheduleId } = await saveSchedule(
      {
        name: "Every morning",
        kind: "cron",
        cronExpression: "0 6 * * *",
        timeZone: "Europe/Berlin",
        reportIds: [reportId],
        deliverTo: [morning],
        isEnabled: false,
      },
      app.userId,
    );
    expect((await listSchedules()).find((s) => s.id === scheduleId)?.deliverToNames).toEqual([
      "Morning share",
    ]);
    const { jobId } = await startScheduledRun({
      scheduleId,
      reportIds: [reportId],
      createdById: app.userId,
      maxConcurrency: 1,
      maxAttempts: 1,
    });
    const run = await waitForJobEnd(app, jobId);
    expect(run.status).toBe("completed");
    const delivery = await waitFor(
      () => app.db.delivery.findFirst({ where: { sourceJobId: jobId } }),
      20_000,
    );
    expect((await waitForJobEnd(app, delivery.jobId)).status).toBe("completed");
    const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" })
      .format(run.startedAt!)
      .replaceAll("-", "");
    const folder = path.join(folderRoot, "morning");
    // the export that follows the run delivers where the run does
    const exportJob = await waitFor(() =>
      app.db.job.findFirst({ where: { kind: "export", options: { contains: jobId } } }),
    );
    const exportDelivery = await waitFor(
      () => app.db.delivery.findFirst({ where: { sourceJobId: exportJob.id } }),
      20_000,
    );
    expect((await waitForJobEnd(app, exportDelivery.jobId)).status).toBe("completed");
    expect(fs.readdirSync(folder).sort()).toEqual([
      `Sales by region_${day}.csv`,
      `Sales_${day}.csv`,
    ]);
    fs.rmSync(path.join(folder, `Sales by region_${day}.csv`));
    const stored = await app.db.reportRunFile.findFirstOrThrow({ where: { item: { jobId } } });
    expect(sha256(fs.readFileSync(path.join(folder, `Sales_${day}.csv`)))).toBe(stored.sha256);
    const deliveryJob = await app.db.job.findUniqueOrThrow({ where: { id: delivery.jobId } });
    expect(deliveryJob.scheduleId).toBe(scheduleId);

    // a process that stopped between the run's end and its deliveries: the next worker starts them
    await app.db.job.delete({ where: { id: delivery.jobId } });
    fs.rmSync(folder, { recursive: true });
    expect(await startMissedDeliveries()).toBe(1);
    const again = await waitFor(
      () => app.db.delivery.findFirst({ where: { sourceJobId: jobId } }),
      20_000,
    );
    expect((await waitForJobEnd(app, again.jobId)).status).toBe("completed");
    expect(fs.readdirSync(folder)).toEqual([`Sales_${day}.csv`]);
    expect(await startMissedDeliveries()).toBe(0);
  });

  it("a run retried after a failed report delivers again, now with every file", async () => {
    const { saveConnector, retryFailedItems, getSourceDeliveries } = await services();
    const { saveReport } = await import("@/server/services/reports/reports");
    const { startReportRun } = await import("@/server/services/reports/start-report-run");
    const source = (await app.db.connector.findUniqueOrThrow({ where: { name: "Exports host" } }))
      .id;
    const { id: first } = await saveReport({
      name: "Retry A",
      connectorId: source,
      query: { url: `${csvHost.url}/exports/sales.csv` },
    });
    const gone = { name: "Retry B", connectorId: source };
    const { id: second } = await saveReport({
      ...gone,
      query: { url: `${csvHost.url}/exports/missing.csv` },
    });
    const { id: share } = await saveConnector({
      name: "Retry share",
      kind: "folder",
      baseUrl: "",
      settings: { subPath: "retried" },
    });
    const { jobId } = await startReportRun({
      reportIds: [first, second],
      createdById: app.userId,
      maxAttempts: 1,
      deliverTo: [share],
    });
    expect((await waitForJobEnd(app, jobId)).status).toBe("completed_with_errors");
    const round1 = await waitFor(
      () => app.db.delivery.findFirst({ where: { sourceJobId: jobId } }),
      20_000,
    );
    expect((await waitForJobEnd(app, round1.jobId)).status).toBe("completed");
    const folder = path.join(folderRoot, "retried");
    expect(fs.readdirSync(folder)).toHaveLength(1);

    await saveReport({ id: second, ...gone, query: { url: `${csvHost.url}/exports/sales.csv` } });
    await retryFailedItems(jobId, "all");
    expect((await waitForJobEnd(app, jobId)).status).toBe("completed");
    const round2 = await waitFor(
      () =>
        app.db.delivery.findFirst({ where: { sourceJobId: jobId, jobId: { not: round1.jobId } } }),
      20_000,
    );
    expect((await waitForJobEnd(app, round2.jobId)).status).toBe("completed");
    expect(fs.readdirSync(folder)).toHaveLength(2);
    const shown = await getSourceDeliveries(jobId);
    expect(shown!.deliveryJobId).toBe(round2.jobId);
    expect(shown!.steps[0]!.files).toHaveLength(2);

    // a destination deleted before its delivery started: the step fails and says so
    const { deleteConnector } = await services();
    const { startMissedDeliveries } = await import("@/server/services/deliveries/start-deliveries");
    await app.db.job.deleteMany({ where: { id: { in: [round1.jobId, round2.jobId] } } });
    await deleteConnector(share);
    await startMissedDeliveries();
    const orphan = await waitFor(
      () => app.db.delivery.findFirst({ where: { sourceJobId: jobId } }),
      20_000,
    );
    expect((await waitForJobEnd(app, orphan.jobId)).status).toBe("failed");
    expect(await app.db.delivery.findUniqueOrThrow({ where: { id: orphan.id } })).toMatchObject({
      state: "failed",
      connectorName: "a deleted destination",
      error: "the destination was deleted, so nothing was delivered",
    });
  });

  it("a pipeline runs a report, exports its transform and delivers the files, each stage on its page", async () => {
    const { saveConnector } = await services();
    const { savePipeline, startPipelineRun } =
      await import("@/server/services/pipelines/pipelines");
    const { getPipelineProgress } = await import("@/server/services/pipelines/pipeline-progress");
    const report = await app.db.report.findUniqueOrThrow({ where: { name: "Sales" } });
    const transform = await app.db.transform.findUniqueOrThrow({
      where: { name: "Sales by region" },
    });
    const { id: weekly } = await saveConnector({
      name: "Weekly share",
      kind: "folder",
      baseUrl: "",
      settings: { subPath: "weekly" },
    });
    await expect(
      savePipeline({
        name: "Sales to a sheet",
        reportId: report.id,
        transformId: transform.id,
        connectorId: weekly,
        action: "push",
        createdById: app.userId,
      }),
    ).rejects.toThrow("Weekly share takes no rows.");
    const pipeline = await savePipeline({
      name: "Sales to the weekly share",
      reportId: report.id,
      transformId: transform.id,
      connectorId: weekly,
      action: "deliver",
      createdById: app.userId,
    });
    const { jobId } = await startPipelineRun({ pipelineId: pipeline.id, createdById: app.userId });
    expect((await waitForJobEnd(app, jobId, 60_000)).status).toBe("completed");
    const progress = await getPipelineProgress(jobId);
    expect(progress!.stages.map((stage) => [stage.label, stage.status])).toEqual([
      ["Run the report", "completed"],
      ["Export the rows to files", "completed"],
      ["Deliver the files", "completed"],
    ]);
    const { listPipelines } = await import("@/server/services/pipelines/pipelines");
    const listed = (await listPipelines()).find((p) => p.id === pipeline.id);
    expect(listed?.lastRun).toMatchObject({ jobId, status: "completed" });
    expect(listed?.stages).toEqual([
      "run the report Sales",
      "export the transform Sales by region and deliver the files to Weekly share",
    ]);
    const exportJobId = progress!.stages[1]!.jobId!;
    const output = await app.db.exportOutput.findFirstOrThrow({ where: { jobId: exportJobId } });
    expect(fs.readdirSync(path.join(folderRoot, "weekly"))).toEqual(["Sales by region.csv"]);
    expect(sha256(fs.readFileSync(path.join(folderRoot, "weekly", "Sales by region.csv")))).toBe(
      output.sha256,
    );
  });
});
