// The cluster-mode tests talk to Redis on 127.0.0.1:6379, which these machines run. When it is
// down it is started (keeping nothing on disk); a machine without it gets Debian's package, when
// it can.
import { spawnSync } from "node:child_process";

const quiet = { stdio: ["ignore", "ignore", "inherit"] };
const has = (command) =>
  spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
const isUp = () =>
  has("redis-cli") &&
  spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", "6379", "ping"], {
    encoding: "utf8",
  }).stdout?.trim() === "PONG";

function start() {
  spawnSync(
    "redis-server",
    [
      "--daemonize",
      "yes",
      "--bind",
      "127.0.0.1",
      "-::1",
      "--port",
      "6379",
      "--save",
      "",
      "--appendonly",
      "no",
    ],
    quiet,
  );
  for (let i = 0; i < 50 && !isUp(); i++) spawnSync("sleep", ["0.1"]);
}

export function ensureRedis() {
  if (isUp()) return true;
  if (!has("redis-server") && process.getuid?.() === 0 && has("apt-get")) {
    console.log("━━ installing Redis from Debian for the cluster-mode tests");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    spawnSync("apt-get", ["update", "-qq"], { ...quiet, env });
    spawnSync("apt-get", ["install", "-y", "-qq", "redis-server"], { ...quiet, env });
  }
  if (has("redis-server")) start();
  if (isUp()) return true;
  console.error(
    "\nThe cluster-mode tests need Redis on 127.0.0.1:6379 (set TEST_REDIS_URL for another" +
      " server), and none answers there. Install and start it (Debian/Ubuntu: sudo apt-get install" +
      " redis-server) and run npm test again.",
  );
  return false;
}
