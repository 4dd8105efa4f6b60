import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const lockModule = path.resolve("server/instance-lock.mjs");
const children: ChildProcess[] = [];
const folders: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

function dataFolder() {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-lock-"));
  folders.push(folder);
  return folder;
}

/** A process of its own that takes the data folder's lock, as a running server does, and keeps it. */
async function holdLock(dataDir: string, port: number) {
  const child = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { acquireInstanceLock } from ${JSON.stringify(lockModule)};
       acquireInstanceLock(${JSON.stringify(dataDir)}, { port: ${port} });
       process.stdout.write("HELD\\n");
       setInterval(() => {}, 60_000);`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  let errors = "";
  child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("HELD") && resolve());
    child.once("exit", () => reject(new Error(`the lock holder ended: ${errors}`)));
  });
  return child;
}

function npmStart(dataDir: string, port: number) {
  // the database follows DATA_DIR, as on a user's machine
  const { DATABASE_URL: _, ...env } = process.env;
  return spawnSync(process.execPath, [path.resolve("scripts/start.mjs")], {
    env: { ...env, DATA_DIR: dataDir, PORT: String(port) },
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("one DataHaul per data folder", () => {
  it("refuses a second start before it touches the database, naming the process that runs", async () => {
    const dataDir = dataFolder();
    const running = await holdLock(dataDir, 4321);
    const second = npmStart(dataDir, 4322);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(
      `DataHaul is already running on this data folder (pid ${running.pid}, port 4321)`,
    );
    expect(second.stderr).toContain(`Data folder: ${dataDir}`);
    // it stopped before the migration: no database was created or changed
    expect(fs.existsSync(path.join(dataDir, "datahaul.db"))).toBe(false);
  });

  it("is free again once the process that held it was killed with -9", async () => {
    const dataDir = dataFolder();
    const crashed = await holdLock(dataDir, 4331);
    crashed.kill("SIGKILL");
    await new Promise((resolve) => crashed.once("exit", resolve));
    // the pid file of the dead process is still there; its lock is not
    expect(fs.existsSync(path.join(dataDir, "instance.json"))).toBe(true);
    const next = await holdLock(dataDir, 4332);
    const refused = npmStart(dataDir, 4333);
    expect(refused.stderr).toContain(
      `DataHaul is already running on this data folder (pid ${next.pid}, port 4332)`,
    );
  });
});
