// The integration tests run on PostgreSQL as well as SQLite. These machines run it on
// 127.0.0.1:5432; when it is down it is started, and a machine without it gets Debian's package
// and a role for the user running the tests (with the password the tests use), when it can.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";

export const TEST_POSTGRES_PASSWORD = "datahaul-tests";

const quiet = { stdio: ["ignore", "ignore", "inherit"] };
const has = (command) =>
  spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
const isUp = () =>
  has("pg_isready") &&
  spawnSync("pg_isready", ["-q", "-h", "127.0.0.1", "-p", "5432"]).status === 0;

function clusters() {
  const root = "/etc/postgresql";
  return fs.existsSync(root) ? fs.readdirSync(root) : [];
}

function startClusters() {
  for (const version of clusters())
    spawnSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "start"], quiet);
  for (let i = 0; i < 50 && !isUp(); i++) spawnSync("sleep", ["0.2"]);
}

export function ensurePostgres() {
  if (isUp()) return true;
  const isRoot = process.getuid?.() === 0;
  if (clusters().length === 0 && isRoot && has("apt-get")) {
    console.log("━━ installing PostgreSQL from Debian for the integration tests");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    spawnSync("apt-get", ["update", "-qq"], { ...quiet, env });
    spawnSync("apt-get", ["install", "-y", "-qq", "postgresql"], { ...quiet, env });
    startClusters();
    const user = os.userInfo().username;
    spawnSync(
      "runuser",
      [
        "-u",
        "postgres",
        "--",
        "psql",
        "-qc",
        `CREATE ROLE "${user}" SUPERUSER LOGIN PASSWORD '${TEST_POSTGRES_PASSWORD}'`,
      ],
      quiet,
    );
  } else if (isRoot) startClusters();
  if (isUp()) return true;
  console.error(
    "\nThe integration tests need PostgreSQL on 127.0.0.1:5432 (set TEST_POSTGRES_URL for another" +
      " server), and none answers there. Install and start it (Debian/Ubuntu: sudo apt-get install" +
      " postgresql) and run npm test again.",
  );
  return false;
}
