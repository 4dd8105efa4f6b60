// A Power BI "replace" push of 25,000 rows (3 POSTs: 10,000, 10,000, 5,000) whose worker process
// is killed with SIGKILL after batch 1 was confirmed, while batch 2 was on its way, resumes on a new
// worker process, and the dataset ends with every row exactly once.
//
// The setup, the simplest honest one: the embedded default (in-process queue, RUN_MODE=all), each
// worker a child process of its own (tests/support/push-worker-child.ts runs the worker as boot
// does) on this test's data folder and database; this process only creates the push and watches.
// A worker of the embedded default takes back every held push at its start (heldByNobody in
// server/services/jobs/job-kind.ts: it is the only worker), so worker B claims the push as soon as
// it starts; a worker beside others (RUN_MODE=worker on Redis) would wait out the dead worker's
// lease, 2 minutes (ITEM_LEASE_MS). The push itself (claim, plan, batches, the restart rule) runs
// the same code in either mode.
//
// On SQLite the children open the file this process migrated and holds open: they never migrate
// (only `prisma migrate deploy` fails beside another process, see POSTGRES_ONLY in vitest.config.ts)
// and wait on its locks (busy_timeout), as tests/support/create-batch-child.ts does, so the test
// runs in both the integration and the integration-pg projects.
//
// Timing the kill, without a sleep, at the moment a duplicate would come from: the worker reaches
// Power BI through a small HTTPS proxy (startHoldingProxy) that passes every request on to the
// fake, except that it keeps the answer to the second POST rows request from the worker. The fake
// has stored batch 2 and answered 200; worker A still waits for that answer, with batch 1
// confirmed and batch 2 marked in flight (batchInFlight = 1). The test waits for the fake's answer
// to reach the proxy and kills A then: the dataset holds 20,000 rows and the Push row says only
// 10,000 were confirmed. A worker that went on from the first batch not confirmed would send rows
// 10,001 to 20,000 a second time.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakePowerBi, type FakePowerBi, type FakePowerBiRequest } from "@/e2e/fakes/powerbi";
import { createLocalhostCertificate } from "@/test-support/self-signed-cert";
import { uploadOrdersTable } from "./support/orders-table";
import { startTestApp, waitFor } from "./support/test-app";

const CHILD = path.resolve("tests/support/push-worker-child.ts");
const ROWS = 25_000;
const BATCHES = [10_000, 10_000, 5_000];
const RESTART_NOTE =
  "the push stopped while batch 2 was being sent: the replace started over, so no row arrives twice";
/** the tail of a worker's output kept for a failure's message */
const OUTPUT_TAIL = 100_000;

let app: Awaited<ReturnType<typeof startTestApp>>;
let powerBi: FakePowerBi;
let proxy: THoldingProxy;
let certDir: string;
let tableId: string;
let connectorId: string;
const workers: ChildProcess[] = [];

type TWorker = {
  process: ChildProcess;
  output(): string;
  /** resolves with the signal that ended it (null for a plain exit) */
  exited: Promise<NodeJS.Signals | null>;
};

function startWorkerProcess(): TWorker {
  let output = "";
  const child = spawn(
    process.execPath,
    ["--conditions=react-server", "--import", "tsx", CHILD],
    // stdin stays open while this test runs: if the test process dies, the worker exits too
    { env: process.env, stdio: ["pipe", "pipe", "pipe"] },
  );
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_TAIL));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  workers.push(child);
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once("exit", (_code, signal) => resolve(signal)),
  );
  return { process: child, output: () => output, exited };
}

/** Waits (bounded) for `check`; a timeout or the worker's exit fails with what it printed. */
async function waitWhileAlive<T>(
  worker: TWorker,
  name: string,
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs: number,
): Promise<T> {
  try {
    return await waitFor(async () => {
      if (worker.process.exitCode !== null || worker.process.signalCode !== null)
        throw new Error(`worker ${name} exited`);
      return check();
    }, timeoutMs);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- worker ${name} ---\n${worker.output()}`);
  }
}

const isRowsRequest = (r: FakePowerBiRequest) => /\/tables\/Orders\/rows$/.test(r.path);
const rowsRequests = () =>
  powerBi.requests.filter(isRowsRequest).map((r) => [r.method, r.status, r.rows] as const);

type THoldingProxy = {
  url: string;
  /** the status the fake gave the held request, once its whole answer reached the proxy */
  heldAnswer(): number | null;
  close(): Promise<void>;
};

/**
 * An HTTPS proxy to `target` on a certificate for localhost: it passes every request and answer on,
 * except the answer to the `holdNth` request `isHeld` picks, which it reads and keeps (the client
 * waits on, until it is killed).
 */
async function startHoldingProxy(args: {
  target: string;
  tls: { key: string; cert: string };
  isHeld(method: string, path: string): boolean;
  holdNth: number;
}): Promise<THoldingProxy> {
  const target = new URL(args.target);
  let picked = 0;
  let heldStatus: number | null = null;
  const server = https.createServer({ key: args.tls.key, cert: args.tls.cert }, (req, res) => {
    const isHeld = args.isHeld(req.method ?? "", req.url ?? "") && ++picked === args.holdNth;
    const upstream = https.request(
      new URL(req.url ?? "/", target),
      {
        method: req.method,
        headers: { ...req.headers, host: target.host },
        ca: args.tls.cert,
        agent: false,
      },
      (answer) => {
        if (isHeld) {
          answer.resume();
          answer.once("end", () => (heldStatus = answer.statusCode ?? 0));
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.once("error", (error) => res.destroy(error));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://localhost:${(server.address() as AddressInfo).port}`,
    heldAnswer: () => heldStatus,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What run-push-job counts as a batch's bytes: the batch's rows as the JSON arrays it holds. */
function batchBytes(rows: Record<string, unknown>[]): number {
  return Buffer.byteLength(
    JSON.stringify(
      rows.map((r) => [
        r.order_id,
        r.region,
        r.amount,
        r.units,
        // the connector sends a date column as a date-time at midnight UTC
        String(r.ordered).replace(/T00:00:00Z$/, ""),
        r.paid,
      ]),
    ),
  );
}

beforeAll(async () => {
  // one certificate for the fake and the proxy in front of it, so the workers trust one
  const tls = createLocalhostCertificate();
  powerBi = await startFakePowerBi({ tls });
  proxy = await startHoldingProxy({
    target: powerBi.url,
    tls,
    isHeld: (method, url) => method === "POST" && /\/tables\/Orders\/rows$/.test(url),
    holdNth: 2,
  });
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-ca-"));
  const caFile = path.join(certDir, "fake-powerbi.pem");
  fs.writeFileSync(caFile, tls.cert);
  // the workers inherit this env: they trust the certificate and may call localhost; a request
  // waiting on its answer is not cut off after the default 45 s, however slow the machine
  app = await startTestApp({ NODE_EXTRA_CA_CERTS: caFile, HTTP_READ_TIMEOUT: "600" });
  tableId = await uploadOrdersTable(ROWS, app.userId);
  const { saveConnector } = await import("@/server/services/connectors/connectors");
  ({ id: connectorId } = await saveConnector({
    name: "Power BI Sales",
    kind: "powerbi",
    // the API through the proxy; signing in goes to the fake itself
    baseUrl: proxy.url,
    settings: {
      tenantId: powerBi.tenantId,
      clientId: powerBi.clientId,
      workspaceId: powerBi.groupId,
      dataset: "Sales",
      tableName: "Orders",
      authorityHost: powerBi.url,
    },
    secrets: { clientSecret: powerBi.clientSecret },
  }));
});

afterAll(async () => {
  for (const worker of workers) {
    if (worker.exitCode !== null || worker.signalCode !== null) continue;
    const exited = new Promise((resolve) => worker.once("exit", resolve));
    worker.kill("SIGKILL");
    await exited;
  }
  await app?.stop();
  await proxy?.close();
  await powerBi?.close();
  if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
});

describe("a replace push whose worker process is killed mid-push", () => {
  it(
    "starts over on a new worker process and leaves each row in the dataset once",
    { timeout: 180_000 },
    async () => {
      const startedAt = Date.now();
      const { startPush } = await import("@/server/services/destinations/start-push");
      const { jobId } = await startPush({
        connectorId,
        mode: "replace",
        tableId,
        createdById: app.userId,
      });
      const pushOf = () => app.db.push.findUniqueOrThrow({ where: { jobId } });

      // worker A takes the queued push at its start and sends batches 1 and 2; the fake stores
      // both, and the answer to batch 2 stops at the proxy
      const a = startWorkerProcess();
      await waitWhileAlive(a, "A", () => a.output().includes("WORKER READY"), 60_000);
      expect(await waitWhileAlive(a, "A", () => proxy.heldAnswer(), 60_000)).toBe(200);
      const atKill = await pushOf();
      // A waits for the answer with batch 1 confirmed and batch 2 in flight
      expect(atKill).toMatchObject({
        state: "running",
        attempts: 1,
        isCleared: true,
        batchesConfirmed: 1,
        batchInFlight: 1,
        rowsSent: 10_000,
        rowsTotal: ROWS,
      });
      expect(JSON.parse(atKill.batchEnds)).toEqual([10_000, 20_000, 25_000]);
      a.process.kill("SIGKILL");
      expect(await a.exited).toBe("SIGKILL");
      const killedAt = Date.now();

      // what A left: the dataset holds batches 1 and 2, its Push row counts batch 1 only
      const dataset = powerBi.datasets().find((d) => d.name === "Sales")!;
      const leftByA = powerBi.rowsOf(dataset.id, "Orders");
      expect(leftByA).toHaveLength(20_000);
      expect(rowsRequests()).toEqual([
        ["DELETE", 200, undefined],
        ["POST", 200, 10_000],
        ["POST", 200, 10_000],
      ]);
      expect(atKill.bytesSent).toBe(batchBytes(leftByA.slice(0, 10_000)));
      expect((await app.db.job.findUniqueOrThrow({ where: { id: jobId } })).status).toBe("running");

      // worker B releases the dead worker's push at its start, takes it and finishes it
      const b = startWorkerProcess();
      const job = await waitWhileAlive(
        b,
        "B",
        async () => {
          const row = await app.db.job.findUnique({ where: { id: jobId } });
          return row && ["completed", "completed_with_errors", "failed"].includes(row.status)
            ? row
            : null;
        },
        120_000,
      );
      const finishedAt = Date.now();
      expect(job.status).toBe("completed");

      // the dataset: 25,000 rows, each order once, in order (what A sent was cleared away)
      const rows = powerBi.rowsOf(dataset.id, "Orders");
      expect(rows).toHaveLength(ROWS);
      const orderIds = rows.map((r) => r.order_id as number);
      expect(new Set(orderIds).size).toBe(ROWS);
      expect(orderIds).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
      expect(rows[0]).toEqual({
        order_id: 1,
        region: "South",
        amount: 1.25,
        units: 1,
        ordered: "2026-03-02T00:00:00Z",
        paid: false,
      });
      expect(powerBi.datasets().filter((d) => d.name === "Sales")).toHaveLength(1);

      // B cleared the table again (batch 2 might have arrived: it had) and sent the three batches
      expect(rowsRequests()).toEqual([
        ["DELETE", 200, undefined],
        ["POST", 200, 10_000],
        ["POST", 200, 10_000],
        ["DELETE", 200, undefined],
        ...BATCHES.map((size) => ["POST", 200, size] as const),
      ]);

      // the Push row: started over (the note says why), counts reset, then each batch once
      const push = await pushOf();
      expect(push).toMatchObject({
        state: "succeeded",
        attempts: 2,
        isCleared: true,
        batchesConfirmed: 3,
        batchInFlight: null,
        rowsSent: ROWS,
        rowsTotal: ROWS,
        leaseUntil: null,
        error: null,
        message: "25,000 rows sent in 3 batches",
        dataSha256: atKill.dataSha256,
        plan: atKill.plan,
      });
      expect(JSON.parse(push.notes)).toEqual([
        ...(JSON.parse(atKill.notes) as string[]),
        RESTART_NOTE,
      ]);
      let first = 0;
      const eachBatchOnce = BATCHES.map((size) => batchBytes(rows.slice(first, (first += size))));
      expect(push.bytesSent).toBe(eachBatchOnce.reduce((sum, bytes) => sum + bytes, 0));

      b.process.kill("SIGTERM");
      await b.exited;
      console.log(
        `[measure] push resume: A killed ${((killedAt - startedAt) / 1000).toFixed(1)} s after the push was created, B finished it ${((finishedAt - killedAt) / 1000).toFixed(1)} s later (worker start included)`,
      );
    },
  );
});
