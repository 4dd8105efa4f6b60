import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import Database from "better-sqlite3";
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
