// `npm run worker`: a worker process without the web server (RUN_MODE=worker), for the scale-out
// mode where web and worker processes share a queue on Redis (QUEUE=bullmq, REDIS_URL). It applies
// the database's migrations as `npm start` does, then runs server/worker-main.ts through tsx.
import { spawn } from "node:child_process";
import path from "node:path";
import { migrateDatabase } from "./migrate.mjs";
import { assertNodeVersion } from "./node-version.mjs";
import { SERVER_ENV_DEFAULTS, SERVER_NODE_FLAGS } from "./prepare-server.mjs";

assertNodeVersion();
const root = path.resolve(import.meta.dirname, "..");
if (process.env.RUN_MODE && process.env.RUN_MODE !== "worker") {
  console.error(
    `✗ npm run worker runs a worker, and RUN_MODE is ${process.env.RUN_MODE}: unset it.`,
  );
  process.exit(1);
}
process.env.RUN_MODE = "worker";
process.env.DATA_DIR = path.resolve(root, process.env.DATA_DIR ?? "data");
process.umask(0o077);

// signals go on to the step that runs: the migration, then the worker
let current = null;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"])
  process.on(signal, () => (current ? current.kill(signal) : process.exit(1)));

console.log("→ migrating the database");
const migrated = await migrateDatabase({ onChild: (child) => (current = child) });
current = null;
if (migrated !== 0) {
  console.error(`✗ migrating the database failed (exit ${migrated}).`);
  process.exit(migrated);
}

// the server modules import "server-only", which only the react-server condition lets load
const worker = (current = spawn(
  process.execPath,
  [
    ...SERVER_NODE_FLAGS,
    "--conditions=react-server",
    "--import",
    "tsx",
    path.join(root, "server", "worker-main.ts"),
  ],
  {
    cwd: root,
    // the IPC channel ties the worker to this process: killed (even with -9), it takes the worker
    // with it (boot.ts stops when the channel closes) instead of leaving one nobody started
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    env: { ...process.env, ...SERVER_ENV_DEFAULTS, NODE_ENV: "production" },
  },
));
worker.once("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
