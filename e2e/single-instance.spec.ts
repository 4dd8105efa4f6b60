import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { E2E_PORT } from "../playwright.config";
import { createDataDir, waitUntil } from "./support/app-server";

const FIRST_PORT = E2E_PORT + 20;
const SECOND_PORT = E2E_PORT + 21;

type TStarted = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

/** `npm start` as a user runs it (scripts/start.mjs), on its own data folder and port. */
function npmStart(dataDir: string, port: number): TStarted {
  return track(
    spawn(process.execPath, [path.resolve("scripts/start.mjs")], {
      env: { ...process.env, DATA_DIR: dataDir, PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
}

/** The server on its own, as a supervisor other than `npm start` would run it. */
function serverOnly(dataDir: string, port: number): TStarted {
  return track(
    spawn(process.execPath, [path.resolve("scripts/server.mjs")], {
      env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), NODE_ENV: "production" },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
}

function track(child: ChildProcess): TStarted {
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { child, output: () => output, exited };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const serves = (port: number) => async () => (await fetch(`http://127.0.0.1:${port}/sign-in`)).ok;

const holder = (dataDir: string) =>
  JSON.parse(fs.readFileSync(path.join(dataDir, "instance.json"), "utf8")) as {
    pid: number;
    port: number;
    serverPid: number;
  };

test("one DataHaul per data folder: a second start is refused, a killed npm start takes its server along, and the folder is free again", async () => {
  test.setTimeout(240_000);
  const { dataDir } = createDataDir("single");
  const started: TStarted[] = [];
  try {
    const first = npmStart(dataDir, FIRST_PORT);
    started.push(first);
    await waitUntil(serves(FIRST_PORT), 120_000);
    const { serverPid } = holder(dataDir);
    expect(holder(dataDir)).toMatchObject({ pid: first.child.pid, port: FIRST_PORT });

    const second = npmStart(dataDir, SECOND_PORT);
    started.push(second);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(
      `DataHaul is already running on this data folder (pid ${first.child.pid}, port ${FIRST_PORT})`,
    );
    // a server started without npm start checks the folder itself
    const direct = serverOnly(dataDir, SECOND_PORT);
    started.push(direct);
    expect(await direct.exited).toBe(1);
    expect(direct.output()).toContain("DataHaul is already running on this data folder");

    // kill -9 of npm start: its server notices that its parent is gone and stops
    first.child.kill("SIGKILL");
    await first.exited;
    await waitUntil(async () => !isAlive(serverPid), 60_000);

    // the lock went with the processes: the next start works
    const third = npmStart(dataDir, SECOND_PORT);
    started.push(third);
    await waitUntil(serves(SECOND_PORT), 120_000);
    const thirdServer = holder(dataDir).serverPid;
    // SIGTERM to npm start reaches its server, which drains and exits, and npm start with it
    third.child.kill("SIGTERM");
    expect(await third.exited).toBe(0);
    expect(isAlive(thirdServer)).toBe(false);
  } finally {
    for (const { child } of started) if (child.exitCode === null) child.kill("SIGKILL");
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
