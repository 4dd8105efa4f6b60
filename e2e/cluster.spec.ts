// The proof of the scale-out mode: 2 web and 3 worker processes on PostgreSQL, Redis and a local S3
// server run a 5,000-image job and 50 scheduled report runs while one worker is killed with
// SIGKILL in the middle of the job and one web process is restarted. Afterwards every image was
// delivered once by its host, every schedule's slot fired once, both web processes' pages followed
// the job to 100 % over SSE, and the master ZIP holds every image as its source.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { type APIRequestContext, type Page } from "@playwright/test";
import { CLUSTER_WEB_PORTS } from "../playwright.config";
import { startCluster, type TCluster } from "../test-support/cluster";
import { startFakeCsvHost, type FakeCsvHost } from "../test-support/fakes/csv-host";
import { startImageHost, type ImageHost } from "../test-support/fakes/image-host";
import { buildImage } from "../test-support/fakes/images";
import { waitUntil } from "./support/app-server";
import { expect, test } from "./support/test";

const IMAGES = 5_000;
const SCHEDULES = 50;
const PER_PRODUCT = 10;
const ADMIN = { email: "cluster@example.com", password: "cluster-test-password" };
const shots = path.join("test-results", "screenshots");

const imagePath = (i: number) => `/img/cluster-${i}.png`;
const productOf = (i: number) => `SKU-C${String(Math.floor(i / PER_PRODUCT)).padStart(4, "0")}`;

async function call<T>(api: APIRequestContext, procedure: string, json: unknown): Promise<T> {
  const response = await api.post(`/api/trpc/${procedure}`, { data: { json } });
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

async function signInPage(page: Page, base: string) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/sign-in/, { timeout: 60_000 });
}

test("2 web and 3 worker processes: a worker killed mid-job, a web process restarted, nothing lost or done twice", async ({
  page,
  playwright,
}, testInfo) => {
  test.setTimeout(900_000);
  let host: ImageHost | undefined;
  let csvHost: FakeCsvHost | undefined;
  let cluster: TCluster | undefined;
  let db: pg.Client | undefined;
  try {
    host = await startImageHost();
    csvHost = await startFakeCsvHost();
    cluster = await startCluster({
      webPorts: CLUSTER_WEB_PORTS,
      workers: 3,
      env: {
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        // held downloads wait at the image host's gate: no timeout may end them first
        HTTP_READ_TIMEOUT: "600",
        MAX_PER_HOST_CONCURRENCY: "16",
        DOWNLOAD_QPS: "2000",
      },
    });
    db = new pg.Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    const sql = async <T = Record<string, unknown>>(text: string, values: unknown[] = []) =>
      (await db!.query(text, values)).rows as T[];
    const count = async (text: string, values: unknown[] = []) =>
      Number((await sql<{ n: string }>(text, values))[0]!.n);
    const webA = cluster.webs[0]!.url!;
    const webB = cluster.webs[1]!.url!;

    // the browser signs in on one web process; the session holds on the other (shared secret)
    await signInPage(page, webA);
    const api = await playwright.request.newContext({ baseURL: webA });
    const signedIn = await api.post("/api/auth/sign-in/email", { data: ADMIN });
    expect(signedIn.ok()).toBe(true);

    // 50 schedules of a report each, their first slot due at once
    const connector = await call<{ id: string }>(api, "connectors.save", {
      name: "Exports",
      kind: "http",
      baseUrl: csvHost.url,
      settings: { authMethod: "none" },
      secrets: {},
    });
    const scheduleIds: string[] = [];
    for (let i = 0; i < SCHEDULES; i++) {
      const report = await call<{ id: string }>(api, "reports.save", {
        name: `Sales ${i}`,
        connectorId: connector.id,
        query: { url: `/exports/sales.csv?copy=${i}` },
      });
      const schedule = await call<{ id: string }>(api, "schedules.save", {
        name: `Every hour ${i}`,
        kind: "interval",
        intervalMinutes: 60,
        firstJitterMinMinutes: 0,
        firstJitterMaxMinutes: 0,
        reportIds: [report.id],
      });
      scheduleIds.push(schedule.id);
    }

    // the batch, accepted by one web process
    const text = Array.from(
      { length: IMAGES },
      (_, i) => `${productOf(i)}\t${host!.url}${imagePath(i)}?kb=2`,
    ).join("\n");
    const { jobId } = await call<{ jobId: string }>(api, "batches.create", {
      text,
      source: "paste",
    });

    // its page open on both web processes
    await page.goto(`${webA}/jobs/${jobId}`);
    const pageB = await page.context().newPage();
    await pageB.goto(`${webB}/jobs/${jobId}`);
    await expect(pageB.getByTestId("overall-count")).toBeVisible({ timeout: 60_000 });

    const downloaded = () =>
      count(`SELECT count(*) AS n FROM "ImageItem" WHERE "jobId" = $1 AND state = 'downloaded'`, [
        jobId,
      ]);
    const delivered = () =>
      Array.from({ length: IMAGES }, (_, i) => host!.delivered(imagePath(i))).reduce(
        (a, b) => a + b,
        0,
      );
    await waitUntil(async () => (await downloaded()) >= IMAGES / 4, 300_000);

    // Stop the image host answering: the downloads in flight wait at its gate, and once every
    // delivered image is recorded nothing was received that is not stored. Killing the worker
    // now loses only requests whose answer was never sent.
    host.closeGate();
    await waitUntil(
      async () => host!.waitingAtGate() > 0 && (await downloaded()) === delivered(),
      120_000,
    );
    const beforeKill = await downloaded();
    expect(beforeKill).toBeLessThan(IMAGES);
    // the worker running the job: its heartbeat counts the downloads it has in flight
    const runner = await waitUntil(async () => {
      const [row] = await sql<{ pid: number }>(
        `SELECT pid FROM "AppProcess" WHERE mode = 'worker' AND "itemsInFlight" > 0`,
      );
      return row ? (cluster!.workers.find((w) => cluster!.serverPid(w) === row.pid) ?? null) : null;
    }, 60_000);
    const killedPid = cluster.serverPid(runner);
    await cluster.crash(runner);
    const webBProcess = cluster.webs[1]!;
    expect(await cluster.stop(webBProcess)).toBe(0);
    await cluster.startWeb(CLUSTER_WEB_PORTS[1]!);
    host.openGate();

    // the two workers left finish the job: the dead one's images once their lease runs out
    const overall = (p: Page) => p.getByTestId("overall-count");
    const done = new RegExp(
      `${IMAGES.toLocaleString("en-US")} of ${IMAGES.toLocaleString("en-US")} done \\(100 %\\)`,
    );
    await expect(overall(page)).toHaveText(done, { timeout: 420_000 });
    await expect(overall(pageB)).toHaveText(done, { timeout: 60_000 });
    fs.mkdirSync(shots, { recursive: true });
    await pageB.screenshot({ path: path.join(shots, "cluster-job.png"), fullPage: false });

    // the System page of the restarted web process: both web processes (the one stopped left the
    // list), the two workers left, and the killed one, which has stopped answering
    await pageB.goto(`${webB}/system`);
    const processes = pageB.getByTestId("processes").locator("tbody tr");
    await expect(processes).toHaveCount(5, { timeout: 30_000 });
    await expect(processes.filter({ hasText: "pages" })).toHaveCount(2);
    await expect(processes.filter({ hasText: "(not answering)" })).toHaveCount(1, {
      timeout: 60_000,
    });
    const killedRow = processes.filter({ hasText: `pid ${killedPid}` });
    await expect(killedRow).toContainText("(not answering)");
    // its last count of downloads in flight is history: another worker took them
    await expect(killedRow.locator("td").last()).toHaveText("—");
    await pageB.screenshot({ path: path.join(shots, "cluster-system.png"), fullPage: true });

    const [job] = await sql<{ status: string }>(`SELECT status FROM "Job" WHERE id = $1`, [jobId]);
    expect(job!.status).toBe("completed");
    expect(await downloaded()).toBe(IMAGES);
    // every image delivered once, whichever worker asked and whatever died
    const deliveries = Array.from({ length: IMAGES }, (_, i) => host!.delivered(imagePath(i)));
    expect(deliveries.filter((n) => n !== 1)).toEqual([]);

    // every schedule fired its slot once, and its run fetched its report
    const runs = await waitUntil(async () => {
      const rows = await sql<{ scheduleId: string; status: string }>(
        `SELECT "scheduleId", status FROM "Job" WHERE "scheduleId" IS NOT NULL`,
      );
      return rows.length >= SCHEDULES && rows.every((r) => r.status === "completed") ? rows : null;
    }, 180_000);
    expect(runs.map((r) => r.scheduleId).sort()).toEqual([...scheduleIds].sort());
    expect(
      await count(`SELECT count(*) AS n FROM "Schedule" WHERE "lastOutcome" = 'started'`),
    ).toBe(SCHEDULES);
    expect(csvHost.hits("/exports/sales.csv")).toBeGreaterThanOrEqual(SCHEDULES);

    // the master ZIP, streamed from S3 by the restarted web process
    const apiB = await playwright.request.newContext({ baseURL: webB });
    expect((await apiB.post("/api/auth/sign-in/email", { data: ADMIN })).ok()).toBe(true);
    const zip = await apiB.get(`/api/jobs/${jobId}/archive`, { timeout: 300_000 });
    expect(zip.ok()).toBe(true);
    const body = await zip.body();
    expect(Number(zip.headers()["content-length"])).toBe(body.length);
    const file = testInfo.outputPath("cluster-master.zip");
    fs.writeFileSync(file, body);
    execFileSync("unzip", ["-tq", file]);
    const unpacked = testInfo.outputPath("cluster-master");
    execFileSync("unzip", ["-q", file, "-d", unpacked]);
    const sha = (bytes: Buffer) => crypto.createHash("sha256").update(bytes).digest("hex");
    for (let i = 0; i < IMAGES; i++) {
      const product = productOf(i);
      const entry = `${product}/${product}_${String((i % PER_PRODUCT) + 1).padStart(3, "0")}.png`;
      const source = buildImage("png", `cluster-${i}`, 2 * 1024);
      expect(sha(fs.readFileSync(path.join(unpacked, entry))), entry).toBe(sha(source));
    }
    await api.dispose();
    await apiB.dispose();
  } finally {
    await db?.end();
    await cluster?.close();
    await host?.close();
    await csvHost?.close();
  }
});
