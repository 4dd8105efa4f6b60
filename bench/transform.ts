/**
 * npm run bench:transform [-- 1000000] [-- --big]
 *
 * Writes a CSV of N rows (8 columns: integers, text, numbers, dates, booleans, codes with leading
 * zeros) and, in the same run, times each case twice: DuckDB called directly by a small script
 * (bench/transform-engine.ts, a process of its own) and DataHaul's export task through the REST
 * API of the built server, as a script drives it (an API token, POST /exports, polling the
 * status). DataHaul reads the table it stored at upload (typed Parquet); the upload (reading,
 * typing and storing the CSV) is timed on its own line. Peak RSS: the reference process's own
 * maxRSS; DataHaul's is the server process (pages, API and worker in one, the embedded default)
 * sampled every 50 ms during the task, and how far it rose above its settled figure before it.
 *
 * `--big` also runs the streaming cases (filter, select, computed column) at 5× N rows: their
 * peak should not grow with the rows.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
// @ts-expect-error -- a plain .mjs script shared with `npm start`
import * as serverSetup from "../scripts/prepare-server.mjs";
import { signInWhenUp, treeRssMb } from "./server-stats";

const args = process.argv.slice(2);
const ROWS = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const BIG = args.includes("--big");
const PORT = Number(process.env.BENCH_PORT_BASE ?? 18_080) + 10;
const ROOT = path.resolve(import.meta.dirname, "..");
const BASE = `http://127.0.0.1:${PORT}`;
const ADMIN = { email: "bench@example.com", password: "bench-password-123" };
const work = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-bench-transform-"));
const children: ReturnType<typeof spawn>[] = [];

type TCase = {
  name: string;
  steps: unknown[];
  format: "csv" | "parquet" | "xlsx";
  isStreaming: boolean;
};
const CASES: TCase[] = [
  {
    name: "filter+select → CSV",
    format: "csv",
    isStreaming: true,
    steps: [
      {
        kind: "filter",
        conditions: [
          { column: "region", operator: "equals", value: "North", caseSensitive: true },
          { column: "units", operator: "at_least", value: 100 },
        ],
      },
      {
        kind: "select",
        columns: [{ column: "id" }, { column: "region" }, { column: "units" }, { column: "price" }],
      },
    ],
  },
  {
    name: "group (3 aggregates) → CSV",
    format: "csv",
    isStreaming: false,
    steps: [
      {
        kind: "group",
        by: ["region"],
        aggregates: [
          { function: "count" },
          { function: "sum", column: "units" },
          { function: "mean", column: "price" },
        ],
      },
    ],
  },
  {
    name: "sort → CSV",
    format: "csv",
    isStreaming: false,
    steps: [{ kind: "sort", keys: [{ column: "price", descending: true }, { column: "id" }] }],
  },
  {
    name: "computed column → CSV",
    format: "csv",
    isStreaming: true,
    steps: [
      { kind: "compute", name: "revenue", expression: "units * price" },
      { kind: "filter", expression: "revenue > 100" },
    ],
  },
  { name: "all rows → CSV", format: "csv", isStreaming: true, steps: [] },
  { name: "all rows → Parquet", format: "parquet", isStreaming: true, steps: [] },
  { name: "all rows → XLSX", format: "xlsx", isStreaming: false, steps: [] },
];

function log(line: string) {
  console.log(line);
}

async function writeCsv(file: string, rows: number) {
  const out = fs.createWriteStream(file);
  out.write("id,region,product,units,price,order_date,shipped,sku\n");
  const regions = ["North", "South", "East", "West", "Central"];
  let chunk: string[] = [];
  for (let i = 0; i < rows; i++) {
    const day = new Date(Date.UTC(2024, 0, 1) + (i % 730) * 86_400_000).toISOString().slice(0, 10);
    chunk.push(
      `${i + 1},${regions[i % 5]},Product ${i % 997},${(i * 7) % 500},${(((i * 13) % 10_000) / 100).toFixed(2)},${day},${i % 3 === 0},${String(i % 100_000).padStart(6, "0")}`,
    );
    if (chunk.length === 10_000) {
      if (!out.write(`${chunk.join("\n")}\n`))
        await new Promise<void>((r) => out.once("drain", () => r()));
      chunk = [];
    }
  }
  await new Promise<void>((r) => out.end(chunk.length ? `${chunk.join("\n")}\n` : "", () => r()));
}

function runEngine(caseName: string, csv: string, output: string) {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(ROOT, "bench/transform-engine.ts"), caseName, csv, output],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`engine run failed: ${result.stderr}`);
  fs.rmSync(output, { force: true });
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as {
    seconds: number;
    rows: number;
    maxRssMb: number;
  };
}

async function startServer() {
  const dataDir = path.join(work, "data");
  const env = {
    ...process.env,
    NODE_ENV: "production" as const,
    PORT: String(PORT),
    DATA_DIR: dataDir,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    MAX_UPLOAD_MB: "2000",
    EXPORT_TASK_TIMEOUT: "3600",
    ...serverSetup.SERVER_ENV_DEFAULTS,
  };
  serverSetup.buildIfStale();
  execFileSync(path.join(ROOT, "node_modules/.bin/prisma"), ["migrate", "deploy"], {
    cwd: ROOT,
    env: { ...env, DATABASE_URL: `file:${dataDir}/datahaul.db` },
    stdio: "ignore",
  });
  const server = spawn(
    process.execPath,
    [...(serverSetup.SERVER_NODE_FLAGS as string[]), path.join(ROOT, "scripts/server.mjs")],
    {
      cwd: ROOT,
      env,
      stdio: ["ignore", fs.openSync(path.join(work, "server.log"), "a"), "inherit"],
    },
  );
  children.push(server);
  const cookie = await signInWhenUp(BASE, ADMIN);
  // the token is made the way the API page makes it
  const created = await fetch(`${BASE}/api/trpc/tokens.create`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie, origin: BASE },
    body: JSON.stringify({ json: { name: "bench", scope: "run" } }),
  });
  const token = ((await created.json()) as { result: { data: { json: { token: string } } } }).result
    .data.json.token;
  return { pid: server.pid!, token };
}

async function api<T>(
  token: string,
  method: string,
  route: string,
  body?: unknown,
  raw?: BodyInit,
): Promise<T> {
  const response = await fetch(`${BASE}/api/v1${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    ...(raw ? { duplex: "half" } : {}),
  } as RequestInit);
  if (!response.ok)
    throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** The server's RSS once it has settled: the lowest reading over 2 s. */
async function settledRssMb(pid: number): Promise<number> {
  let lowest = treeRssMb(pid);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 100));
    lowest = Math.min(lowest, treeRssMb(pid));
  }
  return lowest;
}

/** Runs `work` while sampling the server's RSS; returns its result, seconds, the peak and the RSS before. */
async function sampled<T>(pid: number, work: () => Promise<T>) {
  const beforeMb = await settledRssMb(pid);
  let peak = treeRssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, treeRssMb(pid))), 50);
  const started = performance.now();
  try {
    const result = await work();
    const peakMb = Math.max(peak, treeRssMb(pid));
    return {
      result,
      seconds: (performance.now() - started) / 1000,
      peakMb,
      growthMb: peakMb - beforeMb,
    };
  } finally {
    clearInterval(timer);
  }
}

async function runExport(token: string, tableId: string, c: TCase) {
  const { jobId } = await api<{ jobId: string }>(token, "POST", "/exports", {
    tableId,
    steps: c.steps,
    outputs: [{ format: c.format }],
  });
  for (;;) {
    const status = await api<{
      job: { status: string };
      outputs: { rows: number | null; error: string | null }[];
    }>(token, "GET", `/exports/${jobId}`);
    if (["completed", "failed", "completed_with_errors", "cancelled"].includes(status.job.status)) {
      if (status.job.status !== "completed")
        throw new Error(`export ${status.job.status}: ${status.outputs[0]?.error}`);
      return status.outputs[0]!.rows ?? 0;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function row(cells: (string | number)[]) {
  return `| ${cells.join(" | ")} |`;
}

async function main() {
  const sizes = BIG ? [ROWS, ROWS * 5] : [ROWS];
  const { pid, token } = await startServer();
  await new Promise((r) => setTimeout(r, 3000));
  log(
    `DataHaul server idle: ${treeRssMb(pid).toFixed(0)} MB RSS; machine: ${os.cpus().length} cores`,
  );
  for (const size of sizes) {
    const csv = path.join(work, `rows-${size}.csv`);
    await writeCsv(csv, size);
    log(
      `\n${size.toLocaleString("en-US")} rows, ${(fs.statSync(csv).size / 1e6).toFixed(1)} MB of CSV`,
    );
    const upload = await sampled(pid, () =>
      api<{ id: string; rows: number }>(
        token,
        "POST",
        `/tables?fileName=rows-${size}.csv`,
        undefined,
        fs.createReadStream(csv) as unknown as BodyInit,
      ),
    );
    log(
      `upload (read, type, store as Parquet): ${upload.seconds.toFixed(2)} s, ${(size / upload.seconds / 1e6).toFixed(2)} M rows/s, server peak ${upload.peakMb.toFixed(0)} MB (+${upload.growthMb.toFixed(0)} MB)`,
    );
    log(
      row([
        "case",
        "DuckDB direct s",
        "DataHaul task s",
        "ratio",
        "rows/s DataHaul",
        "peak RSS direct MB",
        "DataHaul server peak MB",
        "of it the task's MB",
      ]),
    );
    log(row(["---", "---", "---", "---", "---", "---", "---", "---"]));
    for (const c of CASES) {
      if (size !== ROWS && !c.isStreaming) continue;
      if (c.format === "xlsx" && size > 1_048_575) {
        // still runs: the rows spill to a second sheet
      }
      const direct = runEngine(c.name, csv, path.join(work, `direct.${c.format}`));
      const task = await sampled(pid, () => runExport(token, upload.result.id, c));
      if (task.result !== direct.rows)
        throw new Error(`${c.name}: DataHaul wrote ${task.result} rows, DuckDB ${direct.rows}`);
      log(
        row([
          c.name,
          direct.seconds.toFixed(2),
          task.seconds.toFixed(2),
          `${(task.seconds / direct.seconds).toFixed(2)}×`,
          Math.round(size / task.seconds).toLocaleString("en-US"),
          direct.maxRssMb.toFixed(0),
          task.peakMb.toFixed(0),
          `+${task.growthMb.toFixed(0)}`,
        ]),
      );
    }
    fs.rmSync(csv, { force: true });
  }
}

try {
  await main();
} finally {
  for (const child of children) child.kill("SIGTERM");
  fs.rmSync(work, { recursive: true, force: true });
}
