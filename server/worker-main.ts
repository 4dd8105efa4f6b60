// `npm run worker` (scripts/worker.mjs) runs this: the worker and the scheduler without the web
// server, taking jobs from the shared queue (QUEUE=bullmq). It stops on SIGTERM or SIGINT after
// the running jobs have settled (boot.ts).
import { startServerRuntime } from "./boot";
import { env } from "./env";
import { logger } from "./logger";

if (env.runMode !== "worker") {
  console.error(
    `npm run worker runs a worker: RUN_MODE is ${env.runMode} here, unset it or set worker.`,
  );
  process.exit(1);
}
await startServerRuntime();
logger.info({ queue: env.redis?.prefix, pid: process.pid }, "worker started");
console.log(`DataHaul worker ${process.pid} is taking jobs from the queue.`);
