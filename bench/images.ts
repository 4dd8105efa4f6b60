/**
 * npm run bench:images [-- 20000] [-- --latency=50] [-- --cluster]
 *
 * Serves N image files (30–80 KB) from nginx on loopback and, in the same run, downloads them with
 * aria2c -j 32, curl --parallel --parallel-max 32, a bare undici script and DataHaul (a real job
 * through the built server: database, hashing and storage included). Then streams the master ZIP
 * and times `zip -0` over the same files. The bench raises DataHaul's per-host limits for its one
 * loopback host and says so. Every tool's files/s and CPU time per file are printed.
 *
 * On loopback the tools race for the CPU, which is not what users feel. `--latency=MS` serves the
 * same files from a host that waits MS ms before each response's first byte (a distant CDN), so
 * what counts is keeping 32 requests in flight, as curl does.
 *
 * `--cluster` also runs every round through DataHaul as a team runs it beyond one machine (1 web
 * process + 2 workers on PostgreSQL, Redis and S3 on s3rver, test-support/cluster.ts), in the same
 * run, and prints its row beside the embedded one: CPU per file summed over the web process and
 * both workers; s3rver's, PostgreSQL's and Redis's shown apart (other machines in production).
 * One image job runs on one worker, so the second worker is idle for these jobs.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
// @ts-expect-error -- a plain .mjs script shared with `npm start`
import * as serverSetup from "../scripts/prepare-server.mjs";
// @ts-expect-error -- a plain .mjs script shared with `npm test`
import { ensurePostgres } from "../scripts/postgres-service.mjs";
// @ts-expect-error -- a plain .mjs script shared with `npm test`
import { ensureRedis } from "../scripts/redis-service.mjs";
import { startCluster, type TCluster } from "../test-support/cluster";
import { signInWhenUp, treeRssMb } from "./server-stats";

const args = process.argv.slice(2);
const LATENCY_MS = Number(
  args.find((a) => a.startsWith("--latency="))?.slice("--latency=".length) ?? 0,
);
const COUNT = Number(args.find((a) => /^\d+$/.test(a)) ?? 5000);
const CLUSTER = args.includes("--cluster");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// BENCH_PORT_BASE moves every port, so two checkouts can run the bench at once
const NGINX_PORT = Number(process.env.BENCH_PORT_BASE ?? 18_080);
const APP_PORT = NGINX_PORT + 1;
const LATENCY_PORT = NGINX_PORT + 2;
const CLUSTER_WEB_PORT = NGINX_PORT + 3;
const CLUSTER_WORKERS = 2;
const IMAGE_PORT = LATENCY_MS > 0 ? LATENCY_PORT : NGINX_PORT;
const ROOT = path.resolve(import.meta.dirname, "..");
const TOOLS = ["nginx", "curl", "aria2c", "zip"];
if (!Number.isInteger(LATENCY_MS) || LATENCY_MS < 0 || !Number.isInteger(COUNT) || COUNT < 1) {
  console.error("usage: npm run bench:images -- [COUNT] [--latency=MS] [--cluster]");
  process.exit(2);
}
const missing = TOOLS.filter((tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0);
if (missing.length > 0) {
  console.error(
    `bench:images compares DataHaul with ${TOOLS.join(", ")}; missing here: ${missing.join(", ")}.\n` +
      "On Debian: apt-get install nginx-light curl aria2 zip",
  );
  process.exit(2);
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-bench-"));
const www = path.join(work, "www");
// nginx's workers run as another user: they must be able to read the files
fs.chmodSync(work, 0o755);
const children: ChildProcess[] = [];
let cluster: TCluster | undefined;

function log(message: string) {
  console.log(`[bench] ${message}`);
}

/** A set of images that is new to every tool: each round downloads its own, warm-up its own. */
type TImageSet = { name: string; count: number; bytes: number };

function makeImages(name: string, count: number): TImageSet {
  fs.mkdirSync(path.join(www, name), { recursive: true });
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const size = 30_720 + Math.floor(Math.random() * 51_200);
    const body = crypto.randomBytes(size);
    signature.copy(body, 0);
    fs.writeFileSync(path.join(www, name, `${i}.png`), body);
    bytes += size;
  }
  return { name, count, bytes };
}

function startNginx() {
  const conf = path.join(work, "nginx.conf");
  fs.writeFileSync(
    conf,
    `worker_processes 2; daemon off; pid ${work}/nginx.pid; error_log ${work}/nginx-error.log;
events { worker_connections 4096; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000; default_type image/png;
  client_body_temp_path ${work}/tmp; proxy_temp_path ${work}/tmp; fastcgi_temp_path ${work}/tmp; uwsgi_temp_path ${work}/tmp; scgi_temp_path ${work}/tmp;
  server { listen 127.0.0.1:${NGINX_PORT}; root ${www}; } }`,
  );
  fs.mkdirSync(path.join(work, "tmp"));
  children.push(spawn("nginx", ["-c", conf, "-p", work], { stdio: "ignore" }));
}

function startLatencyServer() {
  const script = path.join(ROOT, "bench", "latency-server.mjs");
  const args = [script, String(LATENCY_PORT), www, String(LATENCY_MS)];
  children.push(spawn(process.execPath, args, { stdio: "ignore" }));
}

const urls = (set: TImageSet) =>
  Array.from(
    { length: set.count },
    (_, i) => `http://127.0.0.1:${IMAGE_PORT}/${set.name}/${i}.png`,
  );

type TToolRun = { seconds: number; cpuSeconds: number };
/** a cluster job's run, with the CPU seconds of each process (the services' included) */
type TClusterRun = TToolRun & { byProcess: Record<string, number> };

/** Wall time, and the CPU (user + kernel) the command and its children used, from bash's `times`. */
function timeCommand(command: string, args: string[], cwd: string): TToolRun {
  const started = performance.now();
  const result = spawnSync(
    "bash",
    ["-c", '"$@"; status=$?; times >&2; exit $status', "bash", command, ...args],
    {
      cwd,
      stdio: ["ignore", "ignore", "pipe"],
      maxBuffer: 64 << 20,
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const stderr = result.stderr.toString();
  if (result.status !== 0) {
    const aria2Log = fs.existsSync(path.join(work, "aria2.log"))
      ? fs.readFileSync(path.join(work, "aria2.log"), "utf8").slice(-3000)
      : "";
    throw new Error(`${command} exited ${result.status}: ${stderr.slice(-2000)}${aria2Log}`);
  }
  // the last line of `times` is the children's user and system time, e.g. "0m1.234s 0m0.567s"
  const childTimes =
    stderr
      .trim()
      .split("\n")
      .at(-1)!
      .match(/(\d+)m([\d.]+)s/g) ?? [];
  const cpuSeconds = childTimes.reduce((sum, text) => {
    const [, minutes, secs] = /(\d+)m([\d.]+)s/.exec(text)!;
    return sum + Number(minutes) * 60 + Number(secs);
  }, 0);
  return { seconds, cpuSeconds };
}

/** Every reference downloader must have fetched every file whole, or its figure means nothing. */
function assertComplete(dir: string, set: TImageSet) {
  const names = fs.readdirSync(dir);
  const bytes = names.reduce((sum, name) => sum + fs.statSync(path.join(dir, name)).size, 0);
  if (names.length !== set.count || bytes !== set.bytes) {
    throw new Error(
      `${dir}: got ${names.length} files / ${bytes} bytes, expected ${set.count} / ${set.bytes}`,
    );
  }
}

/** A new, empty folder for one tool's round: nothing is deleted while tools are timed. */
function outputDir(tool: string, set: TImageSet): string {
  const dir = path.join(work, "out", `${tool}-${set.name}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function runCurl(set: TImageSet): TToolRun {
  const dir = outputDir("curl", set);
  const config = urls(set).map((u, i) => `url = "${u}"\noutput = "${i}.png"\n`);
  fs.writeFileSync(path.join(work, "curl.cfg"), config.join(""));
  const args = ["--parallel", "--parallel-max", "32", "-sf", "-K", path.join(work, "curl.cfg")];
  const run = timeCommand("curl", args, dir);
  assertComplete(dir, set);
  return run;
}

function runAria2(set: TImageSet): TToolRun {
  const dir = outputDir("aria2", set);
  fs.writeFileSync(path.join(work, "aria2.txt"), urls(set).join("\n"));
  const args = ["-j", "32", "-x", "1", "-i", path.join(work, "aria2.txt"), "-d", dir, "--quiet"];
  args.push("--file-allocation=none", "--auto-file-renaming=false", "--allow-overwrite=true");
  const run = timeCommand("aria2c", args, dir);
  assertComplete(dir, set);
  return run;
}

function runBareUndici(set: TImageSet): TToolRun {
  const dir = outputDir("undici", set);
  fs.writeFileSync(path.join(work, "undici.txt"), urls(set).join("\n"));
  const script = path.join(ROOT, "bench", "bare-undici.mjs");
  const run = timeCommand(process.execPath, [script, path.join(work, "undici.txt"), dir], ROOT);
  assertComplete(dir, set);
  return run;
}

/**
 * Kernel CPU to create a small file in a new folder: ~20-60 µs on a calm volume, ~1,000 µs soon
 * after mass deletions (see main). Every tool's figure depends on it.
 */
function probeFileCreation(name: string): string {
  const dir = path.join(work, "probe", name);
  fs.mkdirSync(dir, { recursive: true });
  const before = process.cpuUsage();
  for (let i = 0; i < 1000; i++) fs.writeFileSync(path.join(dir, String(i)), "x");
  const microseconds = process.cpuUsage(before).system / 1000;
  return `${microseconds.toFixed(0)} µs of kernel CPU (a probe of 1,000 files)`;
}

/** CPU seconds a process has used so far, in user and kernel mode (this process only). */
function cpuSeconds(pid: number): { user: number; system: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticksPerSecond = 100;
  return { user: Number(fields[11]) / ticksPerSecond, system: Number(fields[12]) / ticksPerSecond };
}

async function readTrpc<T>(response: Response): Promise<T> {
  const body = await response.text();
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${body.slice(0, 500)}`);
  return (JSON.parse(body) as { result: { data: { json: T } } }).result.data.json;
}

/**
 * Follows the job the way its page does, over server-sent events (the whole state first, then the
 * changed products a few times a second), until it has finished.
 */
async function waitForJob(base: string, cookie: string, jobId: string): Promise<TProgress> {
  const response = await fetch(`${base}/api/jobs/${jobId}/events`, {
    headers: { cookie },
    signal: AbortSignal.timeout(600_000),
  });
  if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
  const decoder = new TextDecoder();
  let text = "";
  const reader = response.body.getReader();
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    text += decoder.decode(part.value, { stream: true });
    for (let end = text.indexOf("\n\n"); end >= 0; end = text.indexOf("\n\n")) {
      const message = text.slice(0, end);
      text = text.slice(end + 2);
      const data = /^data: (.*)$/m.exec(message)?.[1];
      if (!data) continue;
      const progress = JSON.parse(data) as TProgress;
      if (progress.job?.finishedAt) {
        await reader.cancel();
        return progress;
      }
    }
  }
  throw new Error("the event stream ended before the job finished");
}

type TProgress = {
  job: { status: string; startedAt: string; finishedAt: string | null; createdAt: string };
  totals: { downloaded: number; failed: number };
};

async function runWarmUpJob(base: string, cookie: string, name: string) {
  const text = urls(makeImages(name, 10))
    .map((u) => `WARMUP\t${u}`)
    .join("\n");
  const created = await fetch(`${base}/api/trpc/batches.create`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ json: { text, source: "paste" } }),
  });
  const { jobId } = await readTrpc<{ jobId: string }>(created);
  await waitForJob(base, cookie, jobId);
  await (await fetch(`${base}/api/jobs/${jobId}/archive`, { headers: { cookie } })).arrayBuffer();
}

const ADMIN = { email: "bench@example.com", password: "bench-password-123" };

/** The limits both modes run with, raised for the one loopback host (and BENCH_SERVER_ENV). */
function serverLimits(): Record<string, string> {
  return {
    MAX_GLOBAL_CONCURRENCY: "32",
    MAX_PER_HOST_CONCURRENCY: "32",
    DOWNLOAD_QPS: "100000",
    ...(process.env.BENCH_SERVER_ENV
      ? Object.fromEntries(process.env.BENCH_SERVER_ENV.split(" ").map((kv) => kv.split("=")))
      : {}),
  };
}

type TCpu = { user: number; system: number };

/** A running DataHaul the bench talks to: where it listens and how to read its processes. */
type TDataHaulTarget = {
  /** "embedded" or "cluster": in messages and file names */
  label: string;
  base: string;
  /** CPU of the DataHaul processes whose time counts as the job's (summed) */
  cpuSeconds: () => TCpu;
  /** CPU seconds of each process, for the breakdown in the log (the services' included) */
  cpuByProcess: () => Record<string, number>;
  /** the pids whose RSS (with their descendants) is DataHaul's */
  rssPids: number[];
  /** warm-up jobs created at once: one per worker that may take a job */
  warmUpJobs: number;
};

/** Starts the built server the way `npm start` runs it. */
async function startEmbedded(): Promise<TDataHaulTarget> {
  const dataDir = path.join(work, "data");
  const env = {
    ...process.env,
    NODE_ENV: "production" as const,
    PORT: String(APP_PORT),
    DATA_DIR: dataDir,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    DOWNLOAD_ALLOW_PRIVATE_HOSTS: "127.0.0.1",
    ...serverSetup.SERVER_ENV_DEFAULTS,
    ...serverLimits(),
  };
  log(
    "DataHaul: per-host limits raised for the one loopback host: MAX_PER_HOST_CONCURRENCY=32, DOWNLOAD_QPS=100000 (global 32, as curl and aria2c)",
  );
  serverSetup.buildIfStale();
  execFileSync(path.join(ROOT, "node_modules/.bin/prisma"), ["migrate", "deploy"], {
    cwd: ROOT,
    env: { ...env, DATABASE_URL: `file:${dataDir}/datahaul.db` },
    stdio: "ignore",
  });
  const server = spawn(
    process.execPath,
    // e.g. BENCH_SERVER_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server
    [
      ...(serverSetup.SERVER_NODE_FLAGS as string[]),
      ...(process.env.BENCH_SERVER_NODE_OPTIONS?.split(" ").filter(Boolean) ?? []),
      path.join(ROOT, "scripts/server.mjs"),
    ],
    {
      cwd: ROOT,
      env,
      stdio: ["ignore", fs.openSync(path.join(work, "server.log"), "a"), "inherit"],
    },
  );
  children.push(server);
  return {
    label: "embedded",
    base: `http://127.0.0.1:${APP_PORT}`,
    cpuSeconds: () => cpuSeconds(server.pid!),
    cpuByProcess: () => {
      const cpu = cpuSeconds(server.pid!);
      return { server: cpu.user + cpu.system };
    },
    rssPids: [server.pid!],
    warmUpJobs: 1,
  };
}

/** The processes this one started, with their command lines, from /proc. */
function ownChildren(): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== process.pid) continue;
      found.push({
        pid: Number(entry),
        command: fs.readFileSync(`/proc/${entry}/cmdline`, "utf8"),
      });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** The s3rver process test-support/s3-server.ts started: a child of this process. */
const s3rverPid = () => ownChildren().find((c) => c.command.includes("s3-server-child.mjs"))?.pid;

/**
 * CPU seconds of the PostgreSQL backends connected to the cluster's database (`postgres: user db
 * ...` in their command line), one `postgres#pid` entry each (cpuDelta adds them up; a backend
 * that ends between two readings takes its share with it, the pools keep theirs open), and of the
 * Redis server (all of it: other clients may share it). Like s3rver's, other machines in
 * production: shown apart, not in the cluster's figure.
 */
function serviceCpu(databaseName: string): Record<string, number> {
  const byProcess: Record<string, number> = { redis: 0 };
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const isBackend =
        command.startsWith("postgres: ") && command.split(" ").includes(databaseName);
      if (!isBackend && !command.startsWith("redis-server")) continue;
      const cpu = cpuSeconds(Number(entry));
      if (isBackend) byProcess[`postgres#${entry}`] = cpu.user + cpu.system;
      else byProcess.redis! += cpu.user + cpu.system;
    } catch {
      // the process ended while we looked
    }
  }
  return byProcess;
}

/**
 * 1 web process (`npm start`, RUN_MODE=web) and 2 workers (`npm run worker`) on a new PostgreSQL
 * database, a Redis prefix of their own and an S3 bucket on s3rver (test-support/cluster.ts). Their
 * CPU is that of the server processes the start scripts run; the services' is kept apart.
 */
async function startClusterMode(): Promise<TDataHaulTarget> {
  if (!ensurePostgres()) throw new Error("--cluster needs PostgreSQL on 127.0.0.1:5432");
  if (!ensureRedis()) throw new Error("--cluster needs Redis on 127.0.0.1:6379");
  log(
    `DataHaul cluster: starting 1 web process on ${CLUSTER_WEB_PORT} and ${CLUSTER_WORKERS} workers (PostgreSQL, Redis, S3 on s3rver), same limits`,
  );
  const started = performance.now();
  cluster = await startCluster({
    webPorts: [CLUSTER_WEB_PORT],
    workers: CLUSTER_WORKERS,
    env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, ...serverLimits() },
  });
  const members = [...cluster.webs, ...cluster.workers].map((member) => ({
    name: member.name,
    pid: cluster!.serverPid(member),
  }));
  const s3Pid = s3rverPid();
  const databaseName = new URL(cluster.databaseUrl).pathname.slice(1);
  log(
    `DataHaul cluster: up in ${((performance.now() - started) / 1000).toFixed(1)} s; server pids ${members.map((m) => `${m.name} ${m.pid}`).join(", ")}; s3rver ${s3Pid ?? "not found"}`,
  );
  const sum = () =>
    members
      .map((m) => cpuSeconds(m.pid))
      .reduce((a, b) => ({ user: a.user + b.user, system: a.system + b.system }));
  return {
    label: "cluster",
    base: cluster.webs[0]!.url!,
    cpuSeconds: sum,
    cpuByProcess: () => {
      const byProcess: Record<string, number> = {};
      for (const m of members) {
        const cpu = cpuSeconds(m.pid);
        byProcess[m.name] = cpu.user + cpu.system;
      }
      if (s3Pid) {
        const cpu = cpuSeconds(s3Pid);
        byProcess.s3rver = cpu.user + cpu.system;
      }
      Object.assign(byProcess, serviceCpu(databaseName));
      return byProcess;
    },
    rssPids: members.map((m) => m.pid),
    warmUpJobs: CLUSTER_WORKERS,
  };
}

/** Signs in to a DataHaul that is starting, and warms it up with small jobs (one per worker). */
async function startDataHaul(target: TDataHaulTarget) {
  const { base, label } = target;
  const cookie = await signInWhenUp(base, ADMIN);
  const rssNow = () => treeRssMb(target.rssPids);
  await new Promise((r) => setTimeout(r, 2000));
  const coldIdleRss = rssNow();
  // "idle" is a server that has run one small job and served its ZIP: the code for both is loaded
  // (in a cluster, one small job per worker created at once; one worker may still take them all,
  // its log and the per-process CPU of the first round show it)
  await Promise.all(
    Array.from({ length: target.warmUpJobs }, (_, i) =>
      runWarmUpJob(base, cookie, `warm-up-${label}-${i + 1}`),
    ),
  );
  // the lowest figure over 12 s: V8 shrinks the heap only ~8 s after activity stops, and a figure
  // taken before that varied by 35 MB from run to run
  let warmIdleRss = rssNow();
  for (let i = 0; i < 60; i++) {
    await new Promise((r) => setTimeout(r, 200));
    warmIdleRss = Math.min(warmIdleRss, rssNow());
  }
  // even so the warm figure ranged from 143 to 193 MB across runs; the lower of the two is the
  // baseline, which can only make the growth we report larger
  const idleRss = Math.min(coldIdleRss, warmIdleRss);
  const what = label === "embedded" ? "server" : `${label} (${target.rssPids.length} processes)`;
  log(
    `${what} RSS: ${coldIdleRss.toFixed(0)} MB right after start, ${warmIdleRss.toFixed(0)} MB idle after ${target.warmUpJobs === 1 ? "a 10-image warm-up job" : `${target.warmUpJobs} 10-image warm-up jobs`}; idle baseline ${idleRss.toFixed(0)} MB`,
  );
  let peakRss = idleRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssNow())), 100);
  return {
    label,
    base,
    cookie,
    cpuSeconds: target.cpuSeconds,
    cpuByProcess: target.cpuByProcess,
    rssNow,
    idleRss,
    peakRss: () => peakRss,
    stopSampling: () => clearInterval(sampler),
  };
}

type TDataHaul = Awaited<ReturnType<typeof startDataHaul>>;

/**
 * CPU seconds each process used between two readings of cpuByProcess; `name#pid` entries are added
 * up under `name` (a process that is in the second reading only counts whole, one that ended does
 * not count).
 */
function cpuDelta(before: Record<string, number>, after: Record<string, number>) {
  const delta: Record<string, number> = {};
  for (const [key, seconds] of Object.entries(after)) {
    const name = key.split("#")[0]!;
    delta[name] = (delta[name] ?? 0) + seconds - (before[key] ?? 0);
  }
  return delta;
}

const formatCpu = (byProcess: Record<string, number>) =>
  Object.entries(byProcess)
    .map(([name, seconds]) => `${name} ${seconds.toFixed(2)} s`)
    .join(", ");

/** One whole image batch through the API; its time runs from the job's creation to its end. */
async function runDataHaulJob(app: TDataHaul, set: TImageSet) {
  const text = urls(set)
    .map((u, i) => `P${Math.floor(i / 10)}\t${u}`)
    .join("\n");
  const started = performance.now();
  const cpuBefore = app.cpuSeconds();
  const byProcessBefore = app.cpuByProcess();
  // a connection of its own: a pooled one idle through the reference tools' minutes may be
  // closed by the server just as this 2 MB body is written (EPIPE, seen at 20,000 files)
  const fresh = new Agent();
  const created = await undiciFetch(`${app.base}/api/trpc/batches.create`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: app.cookie },
    body: JSON.stringify({ json: { text, source: "paste" } }),
    dispatcher: fresh,
  });
  const { jobId } = await readTrpc<{ jobId: string }>(created as unknown as Response);
  await fresh.close();
  const createSeconds = (performance.now() - started) / 1000;
  const what = app.label === "embedded" ? "server" : app.label;
  log(`created the ${app.label} job: ${what} RSS peak so far ${app.peakRss().toFixed(0)} MB`);
  const progress = await waitForJob(app.base, app.cookie, jobId);
  if (progress.totals.downloaded !== COUNT) {
    throw new Error(
      `the ${app.label} job downloaded ${progress.totals.downloaded} of ${COUNT} (${progress.totals.failed} failed)`,
    );
  }
  const jobSeconds =
    (Date.parse(progress.job.finishedAt!) - Date.parse(progress.job.createdAt)) / 1000;
  const downloadSeconds =
    (Date.parse(progress.job.finishedAt!) - Date.parse(progress.job.startedAt)) / 1000;
  const cpuAfter = app.cpuSeconds();
  const cpuSeconds = cpuAfter.user - cpuBefore.user + (cpuAfter.system - cpuBefore.system);
  const byProcess = cpuDelta(byProcessBefore, app.cpuByProcess());
  log(
    `DataHaul ${app.label} job: create request ${createSeconds.toFixed(2)} s, created → finished ${jobSeconds.toFixed(2)} s (downloads ${downloadSeconds.toFixed(2)} s), ${what} CPU ${(cpuAfter.user - cpuBefore.user).toFixed(2)} s user + ${(cpuAfter.system - cpuBefore.system).toFixed(2)} s kernel${app.label === "embedded" ? "" : ` (${formatCpu(byProcess)})`}, ${what} RSS peak so far ${app.peakRss().toFixed(0)} MB`,
  );
  return { jobId, seconds: jobSeconds, cpuSeconds, byProcess };
}

/**
 * Saves the master ZIP to disk with curl, as `zip -0` writes its archive to disk. A fetch() reader
 * in this process was the limit: it took ~240 MB/s from a server that curl reads at 430-620 MB/s.
 * curl runs asynchronously so the RSS sampler keeps sampling while the ZIP is built.
 */
async function downloadZip(app: TDataHaul, jobId: string) {
  const file = path.join(work, `datahaul-${app.label}.zip`);
  const headers = path.join(work, `zip-headers-${app.label}.txt`);
  const args = ["-sf", "-o", file, "-D", headers, "-H", `cookie: ${app.cookie}`];
  const byProcessBefore = app.cpuByProcess();
  const started = performance.now();
  const curl = spawn("curl", [...args, `${app.base}/api/jobs/${jobId}/archive`], {
    stdio: "ignore",
  });
  const status = await new Promise<number | null>((resolve) => curl.once("exit", resolve));
  const seconds = (performance.now() - started) / 1000;
  if (status !== 0) throw new Error(`curl could not download the master ZIP (exit ${status})`);
  const byProcess = cpuDelta(byProcessBefore, app.cpuByProcess());
  const announced = Number(
    /^content-length:\s*(\d+)/im.exec(fs.readFileSync(headers, "utf8"))?.[1],
  );
  return { bytes: fs.statSync(file).size, announced, seconds, byProcess };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main() {
  const benchStarted = performance.now();
  log(`${COUNT} files, ${ROUNDS} rounds (medians are printed), work folder ${work}`);
  const sets = Array.from({ length: ROUNDS }, (_, i) => makeImages(`round-${i + 1}`, COUNT));
  const setBytes = sets.reduce((sum, set) => sum + set.bytes, 0);
  log(`wrote ${ROUNDS} sets of ${COUNT} images, ${(setBytes / 1e6).toFixed(0)} MB`);
  if (LATENCY_MS > 0) {
    startLatencyServer();
    log(`images are served by bench/latency-server.mjs, ${LATENCY_MS} ms before each first byte`);
  } else startNginx();
  await new Promise((r) => setTimeout(r, 500));
  const app = await startDataHaul(await startEmbedded());
  // started after the embedded server has settled, so its idle RSS is read on a calm machine
  const clusterApp = CLUSTER ? await startDataHaul(await startClusterMode()) : undefined;
  const runs = {
    curl: [] as TToolRun[],
    aria2c: [] as TToolRun[],
    undici: [] as TToolRun[],
    ours: [] as TToolRun[],
    cluster: [] as TClusterRun[],
  };
  let lastJobId = "";
  let lastClusterJobId = "";
  // Rounds interleave the downloaders, so a slow moment of the machine hits all of them.
  // Each round has its own image set, so every tool writes files new to it (DataHaul's store
  // included, which keeps equal bytes once), and nothing is deleted until the end: on an ext4
  // volume without a journal, as here, creating a file soon after mass deletions costs ~1 ms of
  // kernel CPU (find_inode_bit skips every recently deleted inode: for 60 s, or 360 s while new
  // files keep the inode table dirty), and whichever tool ran after a deletion was slowed 5-8x
  // (curl took 0.47 s in one round, 4.03 s in the next). Whether a tool is hit also depends on
  // the block group its new folder lands in, so each round prints a probe of that cost.
  // Each tool starts with no dirty pages left by the one before: without the untimed `sync`, the
  // kernel throttled whichever tool ran after three others had written 850 MB.
  // the files an earlier run deleted at its end count as recently deleted for a while (see above)
  const settled = benchStarted + 35_000 - performance.now();
  if (settled > 0) await new Promise((r) => setTimeout(r, settled));
  for (const [index, set] of sets.entries()) {
    const round = index + 1;
    log(`round ${round}: creating a file costs ${probeFileCreation(`round-${round}`)}`);
    spawnSync("sync");
    runs.curl.push(runCurl(set));
    spawnSync("sync");
    runs.aria2c.push(runAria2(set));
    spawnSync("sync");
    runs.undici.push(runBareUndici(set));
    spawnSync("sync");
    const job = await runDataHaulJob(app, set);
    runs.ours.push(job);
    lastJobId = job.jobId;
    if (clusterApp) {
      spawnSync("sync");
      const clusterJob = await runDataHaulJob(clusterApp, set);
      runs.cluster.push(clusterJob);
      lastClusterJobId = clusterJob.jobId;
    }
    const seconds = (tool: TToolRun[]) => tool.at(-1)!.seconds.toFixed(2);
    log(
      `round ${round}: curl ${seconds(runs.curl)} s, aria2c ${seconds(runs.aria2c)} s, bare undici ${seconds(runs.undici)} s, DataHaul ${seconds(runs.ours)} s${clusterApp ? `, DataHaul cluster ${seconds(runs.cluster)} s` : ""}`,
    );
  }
  const jobPeakRss = app.peakRss();
  log(
    `before the ZIP: server RSS ${app.rssNow().toFixed(0)} MB now, peak so far ${jobPeakRss.toFixed(0)} MB`,
  );
  spawnSync("sync");
  const zip = await downloadZip(app, lastJobId);
  app.stopSampling();
  const peakRss = app.peakRss();
  const clusterJobPeakRss = clusterApp?.peakRss() ?? 0;
  let clusterZip: Awaited<ReturnType<typeof downloadZip>> | undefined;
  if (clusterApp) {
    spawnSync("sync");
    clusterZip = await downloadZip(clusterApp, lastClusterJobId);
    clusterApp.stopSampling();
  }
  const zipFile = path.join(work, "ref.zip");
  const zipRef = timeCommand("zip", ["-0", "-q", "-r", zipFile, sets.at(-1)!.name], www);
  const zipRefMbps = fs.statSync(zipFile).size / 1e6 / zipRef.seconds;

  const rate = (tool: TToolRun[]) => COUNT / median(tool.map((r) => r.seconds));
  const cpuPerFile = (tool: TToolRun[]) => (median(tool.map((r) => r.cpuSeconds)) / COUNT) * 1e6;
  const ours = rate(runs.ours);
  const ourZipMbps = zip.bytes / 1e6 / zip.seconds;
  const row = (label: string, tool: TToolRun[]) =>
    `  ${label.padEnd(34)} ${rate(tool).toFixed(0).padStart(6)} files/s ${cpuPerFile(tool).toFixed(0).padStart(5)} µs CPU/file  (median of ${tool.map((r) => r.seconds.toFixed(2)).join(", ")} s)`;
  const source =
    LATENCY_MS > 0 ? `a host ${LATENCY_MS} ms away (first byte)` : "nginx on 127.0.0.1";
  console.log("");
  console.log(`downloads of ${COUNT} files (30–80 KB) from ${source}, 32 at once for every tool`);
  console.log(row("curl --parallel --parallel-max 32", runs.curl));
  console.log(row("aria2c -j 32", runs.aria2c));
  console.log(row("bare undici script + SHA-256", runs.undici));
  console.log(row("DataHaul job (db+hash+storage)", runs.ours));
  if (clusterApp) {
    console.log(row("DataHaul cluster (web + 2 workers)", runs.cluster));
    // each process's CPU per file, medians over the rounds (so they need not add up to the row's)
    const perFile = (name: string) =>
      (median(runs.cluster.map((r) => r.byProcess[name] ?? 0)) / COUNT) * 1e6;
    const services = ["s3rver", "postgres", "redis"];
    const perFileOf = (list: string[]) =>
      list.map((n) => `${n} ${perFile(n).toFixed(0)} µs`).join(", ");
    // the job's worker may change from round to round: the busy and the idle one, per round
    const workerCpu = runs.cluster.map((r) =>
      Object.entries(r.byProcess)
        .filter(([n]) => n.startsWith("worker-"))
        .sort((a, b) => b[1] - a[1]),
    );
    const workerPerFile = (rank: number) =>
      ((median(workerCpu.map((w) => w[rank]?.[1] ?? 0)) / COUNT) * 1e6).toFixed(0);
    console.log(
      `    cluster CPU/file sums the web process and both workers (medians: ${perFileOf(cluster!.webs.map((w) => w.name))}, the worker that ran the job ${workerPerFile(0)} µs, the other worker ${workerPerFile(1)} µs; jobs ran on ${workerCpu.map((w) => w[0]![0]).join(", ")})`,
    );
    console.log(
      `    not in the row, other machines in production: ${perFileOf(services.filter((n) => n in runs.cluster[0]!.byProcess))} per file (PostgreSQL: the backends of the cluster's database; Redis: the whole server)${"s3rver" in runs.cluster[0]!.byProcess ? "" : "; s3rver's process was not found"}`,
    );
    console.log(
      "    one image job runs on one worker (its items are claimed by the worker that took the job's queue message): with one job at a time, the second worker is idle here",
    );
    console.log(
      `    cluster / embedded: ${(rate(runs.cluster) / ours).toFixed(2)}x files/s, ${(cpuPerFile(runs.cluster) / cpuPerFile(runs.ours)).toFixed(2)}x CPU/file`,
    );
  }
  const toCurl = ours / rate(runs.curl);
  const toUndici = ours / rate(runs.undici);
  console.log(
    `  ratio to curl ${toCurl.toFixed(2)}x${LATENCY_MS > 0 ? " (target ≥ 0.95x)" : ""}, to aria2c ${(ours / rate(runs.aria2c)).toFixed(2)}x, to bare undici ${toUndici.toFixed(2)}x${LATENCY_MS > 0 ? "" : " (target ≥ 0.9x)"}`,
  );
  console.log(
    `server RSS: idle ${app.idleRss.toFixed(0)} MB, peak ${jobPeakRss.toFixed(0)} MB over the jobs, ${peakRss.toFixed(0)} MB with the ZIP (+${(peakRss - app.idleRss).toFixed(0)} MB; target ≤ +150 MB)`,
  );
  console.log(
    `master ZIP: ${(zip.bytes / 1e6).toFixed(0)} MB at ${ourZipMbps.toFixed(0)} MB/s; zip -0 ${zipRefMbps.toFixed(0)} MB/s; ratio ${(ourZipMbps / zipRefMbps).toFixed(2)}x (target ≥ 0.5x, aim 0.8x); Content-Length ${zip.announced === zip.bytes ? "exact" : `WRONG (${zip.announced} announced)`}`,
  );
  if (clusterApp && clusterZip) {
    const peak = clusterApp.peakRss();
    console.log(
      `cluster RSS (web + 2 workers): idle ${clusterApp.idleRss.toFixed(0)} MB, peak ${clusterJobPeakRss.toFixed(0)} MB over the jobs, ${peak.toFixed(0)} MB with the ZIP (+${(peak - clusterApp.idleRss).toFixed(0)} MB)`,
    );
    const mbps = clusterZip.bytes / 1e6 / clusterZip.seconds;
    console.log(
      `cluster master ZIP (web process, objects from s3rver): ${(clusterZip.bytes / 1e6).toFixed(0)} MB at ${mbps.toFixed(0)} MB/s (${(COUNT / clusterZip.seconds).toFixed(0)} files/s); ratio to zip -0 ${(mbps / zipRefMbps).toFixed(2)}x; CPU ${formatCpu(clusterZip.byProcess)}; Content-Length ${clusterZip.announced === clusterZip.bytes ? "exact" : `WRONG (${clusterZip.announced} announced)`}`,
    );
  }
}

/** The start scripts and s3rver a failed startCluster() left running: children of this process. */
function stopStrayClusterProcesses() {
  const scripts = ["scripts/start.mjs", "scripts/worker.mjs", "s3-server-child.mjs"];
  for (const child of ownChildren()) {
    // SIGTERM: a start script passes it on to its server, s3rver closes
    if (scripts.some((script) => child.command.includes(script)))
      process.kill(child.pid, "SIGTERM");
  }
}

/**
 * Keeps each cluster process's output in the work folder (BENCH_KEEP keeps the folder) and prints
 * the lines that look like errors or warnings, so a slow or failing path shows in the bench's own
 * output.
 */
function reportClusterLogs(running: TCluster) {
  const suspicious = /"level":"(warn|error|fatal)"|\b(error|warning|exception|unhandled)\b|✗/i;
  for (const member of [...running.webs, ...running.workers]) {
    const output = member.output();
    fs.writeFileSync(path.join(work, `cluster-${member.name}.log`), output);
    const lines = output
      .split("\n")
      .filter((line) => suspicious.test(line) && !/"level":"(info|debug)"/.test(line));
    if (lines.length === 0) continue;
    log(
      `${member.name}: ${lines.length} line(s) that look like errors or warnings, the first ones:`,
    );
    for (const line of lines.slice(0, 8)) console.log(`    ${line.slice(0, 400)}`);
  }
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    // startCluster() failed half-way: stop what it had started (children of this process)
    if (CLUSTER && !cluster) stopStrayClusterProcesses();
    if (cluster) {
      reportClusterLogs(cluster);
      // stops every process, drops the database, deletes the Redis keys and s3rver's folder
      await cluster.close().catch((error: unknown) => console.error("cluster.close():", error));
    }
    for (const child of children) child.kill("SIGTERM");
    if (!process.env.BENCH_KEEP) fs.rmSync(work, { recursive: true, force: true });
  });
