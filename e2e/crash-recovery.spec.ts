import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import Database from "better-sqlite3";
import ExcelJS from "exceljs";
import Papa from "papaparse";
import { request as playwrightRequest, type APIRequestContext } from "@playwright/test";
import { CRASH_APP_PORT } from "../playwright.config";
import { startImageHost } from "../test-support/fakes/image-host";
import { createDataDir, startAppServer, waitUntil } from "./support/app-server";
import { expect, test } from "./support/test";

const PORT = CRASH_APP_PORT;
const BASE = `http://127.0.0.1:${PORT}`;
const ADMIN = { email: "crash@example.com", password: "crash-test-password" };
const IMAGES = 300;

function startServer(dataDir: string) {
  return startAppServer({
    port: PORT,
    dataDir,
    env: {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      MAX_PER_HOST_CONCURRENCY: "8",
      DOWNLOAD_QPS: "500",
    },
  });
}

async function signedIn(): Promise<APIRequestContext> {
  const api = await playwrightRequest.newContext({ baseURL: BASE });
  await waitUntil(async () => (await api.get("/sign-in")).ok(), 60_000);
  const response = await api.post("/api/auth/sign-in/email", { data: ADMIN });
  expect(response.ok()).toBe(true);
  return api;
}

test("a job survives SIGKILL of the server: every item ends once, the ZIP matches the sources", async ({}, testInfo) => {
  test.setTimeout(180_000);
  const host = await startImageHost();
  const { dataDir, databaseFile } = createDataDir("crash");
  let server = startServer(dataDir);
  try {
    let api = await signedIn();
    const urls = Array.from(
      { length: IMAGES },
      (_, i) => `${host.url}/img/crash-${i}.png?delay=40`,
    );
    const text = urls.map((url, i) => `SKU-${Math.floor(i / 10)}\t${url}`).join("\n");
    const created = await api.post("/api/trpc/batches.create", {
      data: { json: { text, source: "paste" } },
    });
    expect(created.ok()).toBe(true);
    const jobId: string = (await created.json()).result.data.json.jobId;

    const db = new Database(databaseFile, { readonly: true });
    const countDone = () =>
      (
        db
          .prepare("SELECT count(*) AS n FROM ImageItem WHERE jobId = ? AND state = 'downloaded'")
          .get(jobId) as { n: number }
      ).n;
    await waitUntil(async () => countDone() >= IMAGES / 4, 60_000);
    server.kill("SIGKILL");
    await new Promise((r) => server.once("exit", r));
    const doneBeforeKill = db
      .prepare("SELECT url FROM ImageItem WHERE jobId = ? AND state = 'downloaded'")
      .all(jobId)
      .map((r) => (r as { url: string }).url);
    expect(doneBeforeKill.length).toBeLessThan(IMAGES);

    server = startServer(dataDir);
    api = await signedIn();
    await waitUntil(async () => {
      const row = db.prepare("SELECT status FROM Job WHERE id = ?").get(jobId) as {
        status: string;
      };
      return row.status === "completed";
    }, 90_000);

    const items = db
      .prepare("SELECT url, state, sha256 FROM ImageItem WHERE jobId = ? ORDER BY line")
      .all(jobId) as { url: string; state: string; sha256: string }[];
    expect(items).toHaveLength(IMAGES);
    expect(new Set(items.map((i) => i.url)).size).toBe(IMAGES);
    expect(items.every((i) => i.state === "downloaded")).toBe(true);
    // what was finished before the kill was not fetched again
    for (const url of doneBeforeKill) expect(host.hits(new URL(url).pathname)).toBe(1);
    db.close();

    const zip = await api.get(`/api/jobs/${jobId}/archive`);
    expect(zip.ok()).toBe(true);
    const body = await zip.body();
    expect(Number(zip.headers()["content-length"])).toBe(body.length);
    const file = testInfo.outputPath("crash-master.zip");
    fs.writeFileSync(file, body);
    execFileSync("unzip", ["-tq", file]);
    for (const [i, url] of urls.entries()) {
      const source = Buffer.from(await (await fetch(url.replace("?delay=40", ""))).arrayBuffer());
      const product = `SKU-${Math.floor(i / 10)}`;
      const entry = `${product}/${product}_${String((i % 10) + 1).padStart(3, "0")}.png`;
      const inZip = execFileSync("unzip", ["-p", file, entry]);
      expect(crypto.createHash("sha256").update(inZip).digest("hex")).toBe(
        crypto.createHash("sha256").update(source).digest("hex"),
      );
    }
  } finally {
    server.kill("SIGKILL");
    await host.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test("an export survives SIGKILL of the server: the file it was writing is written again, whole", async ({}, testInfo) => {
  test.setTimeout(180_000);
  const { dataDir, databaseFile } = createDataDir("crash-export");
  let server = startServer(dataDir);
  try {
    let api = await signedIn();
    const rows = 120_000;
    const lines = ["id,name,amount,day"];
    for (let i = 1; i <= rows; i++)
      lines.push(`${i},name ${i},${(i * 1.25).toFixed(2)},2024-0${(i % 9) + 1}-1${i % 10}`);
    const uploaded = await api.post("/api/tables?fileName=long.csv", { data: lines.join("\n") });
    expect(uploaded.status()).toBe(201);
    const tableId: string = (await uploaded.json()).id;
    const started = await api.post("/api/trpc/tables.startExport", {
      data: { json: { tableId, outputs: [{ format: "xlsx" }, { format: "csv" }] } },
    });
    expect(started.ok()).toBe(true);
    const jobId: string = (await started.json()).result.data.json.jobId;

    const db = new Database(databaseFile, { readonly: true });
    const outputs = () =>
      db
        .prepare(
          "SELECT format, state, attempts, rows FROM ExportOutput WHERE jobId = ? ORDER BY position",
        )
        .all(jobId) as { format: string; state: string; attempts: number; rows: number | null }[];
    // the workbook is being written: the kill lands in the middle of it
    await waitUntil(async () => outputs()[0]?.state === "running", 60_000);
    server.kill("SIGKILL");
    await new Promise((r) => server.once("exit", r));
    expect(outputs().map((o) => o.state)).toEqual(["running", "pending"]);

    server = startServer(dataDir);
    api = await signedIn();
    await waitUntil(async () => {
      const row = db.prepare("SELECT status FROM Job WHERE id = ?").get(jobId) as {
        status: string;
      };
      return row.status === "completed";
    }, 120_000);
    expect(outputs()).toEqual([
      { format: "xlsx", state: "succeeded", attempts: 2, rows },
      { format: "csv", state: "succeeded", attempts: 1, rows },
    ]);
    const ids = db
      .prepare("SELECT id FROM ExportOutput WHERE jobId = ? ORDER BY position")
      .all(jobId) as { id: string }[];
    db.close();

    const xlsx = await api.get(`/api/exports/${jobId}/files/${ids[0]!.id}`);
    const xlsxBody = await xlsx.body();
    expect(Number(xlsx.headers()["content-length"])).toBe(xlsxBody.length);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(new Uint8Array(xlsxBody).buffer);
    const sheet = book.worksheets[0]!;
    expect(sheet.rowCount).toBe(rows + 1);
    expect(sheet.getRow(rows + 1).getCell(1).value).toBe(rows);

    const csv = await api.get(`/api/exports/${jobId}/files/${ids[1]!.id}`);
    const parsed = Papa.parse<string[]>((await csv.text()).trim()).data;
    expect(parsed).toHaveLength(rows + 1);
    expect(parsed.at(-1)![0]).toBe(String(rows));
    fs.writeFileSync(testInfo.outputPath("crash-export.csv"), await csv.body());
  } finally {
    server.kill("SIGKILL");
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
