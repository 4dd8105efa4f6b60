/**
 * A worker process of the embedded default (RUN_MODE=all, the in-process queue) without the web
 * server, for tests that kill one: it starts the worker as boot does (`startWorker`: pushes a dead
 * process held go back in line, every unfinished job is queued) and runs jobs until it is killed,
 * or until its stdin closes (the test that started it is gone). Prints `WORKER READY <pid>` once it
 * takes jobs. Run with `node --conditions=react-server --import tsx`, with the test app's env
 * (DATA_DIR, DATABASE_URL, NODE_EXTRA_CA_CERTS, DOWNLOAD_ALLOW_PRIVATE_HOSTS).
 */
import { startWorker } from "@/server/boot";
import { db } from "@/server/db";
import { isPostgres } from "@/server/db-dialect";

async function main() {
  // as boot sets it: a write waits for the test process's lock on the SQLite file instead of failing
  if (!isPostgres) await db.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
  await startWorker();
  process.stdout.write(`WORKER READY ${process.pid}\n`);
}

process.stdin.once("end", () => process.exit(0));
process.stdin.resume();
void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
