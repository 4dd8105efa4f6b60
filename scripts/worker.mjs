// `npm run worker`: a worker process without the web server (RUN_MODE=worker), for the scale-out
// mode where web and worker processes share a queue on Redis (QUEUE=bullmq, REDIS_URL). It applies
// the database's migrations as `npm start` does, then runs server/worker-main.ts through tsx.
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
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

console.log("→ migrating the database");
const migrated = spawnSync(
  path.join(root, "node_modules", ".bin", "prisma"),
  ["migrate", "deploy"],
  {
    cwd: root,
    stdio: "inherit",
  },
);
if (migrated.status !== 0) {
  console.error(`✗ migrating the database failed (exit ${migrated.status}).`);
  process.exit(migrated.status ?? 1);
}

// the server modules import "server-only", which only the react-server condition lets load
const worker = spawn(
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
);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => worker.kill(signal));
worker.once("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
