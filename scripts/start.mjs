// `npm start`: prepares the embedded default (SQLite under ./data, migrated), builds when the
// sources are newer than the last build, then serves on PORT (3000) and prints the URL.
import { spawnSync, spawn } from "node:child_process";
import path from "node:path";
import { buildIfStale, SERVER_ENV_DEFAULTS } from "./prepare-server.mjs";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const port = process.env.PORT ?? "3000";
// a self-hosted app reports nothing home
process.env.NEXT_TELEMETRY_DISABLED ??= "1";

function run(command, args, label) {
  console.log(`→ ${label}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: process.env });
  if (result.status !== 0) {
    console.error(`✗ ${label} failed (exit ${result.status}).`);
    process.exit(result.status ?? 1);
  }
}

run(bin("prisma"), ["generate"], "generating the database client");
run(bin("prisma"), ["migrate", "deploy"], "migrating the database");
try {
  buildIfStale();
} catch (error) {
  console.error(`✗ ${error.message}`);
  process.exit(1);
}

console.log(`\nDataHaul is starting on http://localhost:${port}\n`);
const server = spawn(bin("next"), ["start", "-p", port], {
  cwd: root,
  stdio: "inherit",
  env: process.env,
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code) => process.exit(code ?? 0));
