// `prisma migrate deploy` as `npm start` and `npm run worker` run it. On PostgreSQL, Prisma holds an
// advisory lock while it migrates and gives up waiting for it after 10 s; processes that start
// together (a deploy of three workers) queue for that lock, and one busy migration can make the
// others fail. Those wait their turn instead, for a bounded time; any other failure ends the start.
import { spawn } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const LOCK_TIMEOUT = /Timed out trying to acquire a postgres advisory lock/;
const MAX_LOCK_WAITS = 30;

/**
 * Applies the database's migrations; resolves with prisma's exit code. `onChild` is told each
 * prisma process, so the caller can pass signals on to it.
 */
export async function migrateDatabase({ onChild = () => {} } = {}) {
  for (let attempt = 1; ; attempt++) {
    const { code, output } = await runPrisma(onChild);
    if (code === 0 || !LOCK_TIMEOUT.test(output) || attempt >= MAX_LOCK_WAITS) return code;
    console.log("→ another process is applying the migrations: waiting for it");
  }
}

function runPrisma(onChild) {
  return new Promise((resolve) => {
    const child = spawn(path.join(root, "node_modules", ".bin", "prisma"), ["migrate", "deploy"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: process.env,
      // its own process group: a signal reaches it once, from us
      detached: true,
    });
    onChild(child);
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
      process.stderr.write(chunk);
    });
    child.once("error", (error) => {
      console.error(`✗ ${error.message}`);
      resolve({ code: 1, output });
    });
    child.once("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}
