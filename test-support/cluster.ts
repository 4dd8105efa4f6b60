// DataHaul as a team runs it beyond one machine, on this one: web processes (`npm start` with
// RUN_MODE=web) and workers (`npm run worker`), each with its own data folder, on one PostgreSQL
// database, one Redis (under a prefix of their own) and one S3 bucket (s3rver), sharing the secrets
// every process of a cluster must share. For the proof test and the cluster benchmark.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDatabase, type TTestDatabase } from "./postgres";
import { clusterEnv, deleteRedisKeys, uniqueRedisPrefix } from "./redis";
import { startLocalS3, type TLocalS3 } from "./s3-server";
import { waitFor } from "./wait-for";

const ROOT = path.resolve(import.meta.dirname, "..");
/** the tail of a process's output kept for a failure's message */
const OUTPUT_TAIL = 200_000;

export type TClusterProcess = {
  role: "web" | "worker";
  /** web-3200, worker-2: in messages */
  name: string;
  /** a web process's address */
  url: string | null;
  /** the start script (`npm start`'s or `npm run worker`'s), which runs the server as its child */
  script: ChildProcess;
  output(): string;
};

export type TCluster = {
  databaseUrl: string;
  redisPrefix: string;
  s3: TLocalS3;
  webs: TClusterProcess[];
  workers: TClusterProcess[];
  startWeb(port: number): Promise<TClusterProcess>;
  startWorker(): Promise<TClusterProcess>;
  /** Stops a process as an operator does (SIGTERM: it drains and exits); its exit code. */
  stop(process: TClusterProcess): Promise<number | null>;
  /** SIGKILL of the server process itself, as when its host dies: nothing runs its shutdown. */
  crash(process: TClusterProcess): Promise<void>;
  /** The pid of the process's server (the start script's child), which its heartbeat names. */
  serverPid(process: TClusterProcess): number;
  close(): Promise<void>;
};

/** `pid` and every process below it, children first. */
function processTree(pid: number): number[] {
  return [...childPids(pid).flatMap(processTree), pid];
}

/** SIGKILL to a process and everything it started; those already gone are skipped. */
function killTree(pid: number | undefined): void {
  if (!pid) return;
  for (const member of processTree(pid)) {
    try {
      process.kill(member, "SIGKILL");
    } catch {
      // it ended meanwhile
    }
  }
}

/** Pids whose parent is `pid`, from /proc. */
function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // the command name in parentheses may hold spaces: the fields after its last ")" are fixed
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent === pid) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

export async function startCluster(args: {
  webPorts: number[];
  workers: number;
  env?: Record<string, string>;
}): Promise<TCluster> {
  const database: TTestDatabase = await createTestDatabase("cluster");
  const redisPrefix = uniqueRedisPrefix("cluster");
  const s3 = await startLocalS3();
  const sharedEnv: Record<string, string> = {
    ...clusterEnv(redisPrefix),
    ...s3.env,
    DATABASE_URL: database.url,
    DOWNLOAD_ALLOW_PRIVATE_HOSTS: "127.0.0.1,::1,localhost",
    NEXT_TELEMETRY_DISABLED: "1",
    ...args.env,
  };
  /** by process name: a web process started again keeps its folder, as on its own host */
  const dataDirs = new Map<string, string>();
  const all: TClusterProcess[] = [];
  const webs: TClusterProcess[] = [];
  const workers: TClusterProcess[] = [];

  function spawnProcess(role: "web" | "worker", name: string, env: Record<string, string>) {
    const dataDir =
      dataDirs.get(name) ?? fs.mkdtempSync(path.join(os.tmpdir(), `datahaul-${name}-`));
    dataDirs.set(name, dataDir);
    let output = "";
    const script = spawn(
      process.execPath,
      [path.join(ROOT, "scripts", role === "web" ? "start.mjs" : "worker.mjs")],
      {
        cwd: ROOT,
        env: { ...process.env, ...sharedEnv, ...env, DATA_DIR: dataDir, RUN_MODE: role },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_TAIL);
    };
    script.stdout!.on("data", keep);
    script.stderr!.on("data", keep);
    return { script, output: () => output };
  }

  /** Waits until the process says it is ready; a failure to start shows what it printed. */
  async function ready(member: TClusterProcess, isReady: () => Promise<unknown> | unknown) {
    try {
      await waitFor(async () => {
        if (member.script.exitCode !== null) throw new Error("it exited");
        return isReady();
      }, 300_000);
    } catch (error) {
      throw new Error(
        `${member.name} did not start (${(error as Error).message}):\n${member.output()}`,
      );
    }
  }

  async function startWeb(port: number): Promise<TClusterProcess> {
    const name = `web-${port}`;
    const url = `http://127.0.0.1:${port}`;
    const { script, output } = spawnProcess("web", name, { PORT: String(port) });
    const web: TClusterProcess = { role: "web", name, url, script, output };
    all.push(web);
    await ready(web, async () => (await fetch(`${url}/sign-in`).catch(() => null))?.ok);
    const replaced = webs.findIndex((other) => other.name === name);
    if (replaced >= 0) webs[replaced] = web;
    else webs.push(web);
    return web;
  }

  async function startWorker(): Promise<TClusterProcess> {
    const name = `worker-${workers.length + 1}`;
    const { script, output } = spawnProcess("worker", name, {});
    const worker: TClusterProcess = { role: "worker", name, url: null, script, output };
    all.push(worker);
    workers.push(worker);
    await ready(worker, () => output().includes("is taking jobs from the queue"));
    return worker;
  }

  function serverPid(member: TClusterProcess): number {
    const [pid] = childPids(member.script.pid!);
    if (!pid) throw new Error(`${member.name} runs no server process`);
    return pid;
  }

  const exited = (member: TClusterProcess) =>
    member.script.exitCode !== null || member.script.signalCode !== null
      ? Promise.resolve(member.script.exitCode)
      : new Promise<number | null>((resolve) => member.script.once("exit", resolve));

  async function close() {
    for (const member of all) {
      const done = exited(member);
      killTree(member.script.pid);
      await done;
    }
    await s3.close();
    await database.drop();
    await deleteRedisKeys(redisPrefix);
    for (const dir of dataDirs.values()) fs.rmSync(dir, { recursive: true, force: true });
  }

  try {
    // web processes one after the other: the first applies the migrations and creates the admin
    for (const port of args.webPorts) await startWeb(port);
    await Promise.all(Array.from({ length: args.workers }, () => startWorker()));
  } catch (error) {
    await close();
    throw error;
  }

  return {
    databaseUrl: database.url,
    redisPrefix,
    s3,
    webs,
    workers,
    startWeb,
    startWorker,
    serverPid,
    async stop(member) {
      const done = exited(member);
      member.script.kill("SIGTERM");
      return done;
    },
    async crash(member) {
      const done = exited(member);
      process.kill(serverPid(member), "SIGKILL");
      await done;
    },
    close,
  };
}
