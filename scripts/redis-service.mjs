// The integration tests of the BullMQ queue, the progress channel and the command channel run on a
// real Redis. These machines run it on 127.0.0.1:6379; when it is down it is started, and a
// machine without it gets Debian's package, when it can.
import { spawnSync } from "node:child_process";

const quiet = { stdio: ["ignore", "ignore", "inherit"] };
const has = (command) =>
  spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
const isUp = () =>
  has("redis-cli") &&
  spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", "6379", "ping"], {
    encoding: "utf8",
  }).stdout?.trim() === "PONG";

function startServer() {
  // in memory only: the tests' keys need no disk
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
  for (let i = 0; i < 50 && !isUp(); i++) spawnSync("sleep", ["0.2"]);
}

export function ensureRedis() {
  if (isUp()) return true;
  const isRoot = process.getuid?.() === 0;
  if (!has("redis-server") && isRoot && has("apt-get")) {
    console.log("━━ installing Redis from Debian for the integration tests");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    spawnSync("apt-get", ["update", "-qq"], { ...quiet, env });
    spawnSync("apt-get", ["install", "-y", "-qq", "redis-server"], { ...quiet, env });
  }
  if (has("redis-server")) startServer();
  if (isUp()) return true;
  console.error(
    "\nThe integration tests need Redis on 127.0.0.1:6379 (set TEST_REDIS_URL for another" +
      " server), and none answers there. Install and start it (Debian/Ubuntu: sudo apt-get install" +
      " redis-server) and run npm test again.",
  );
  return false;
}
