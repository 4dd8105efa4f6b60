// What the tests need from the operating system: Debian's Chromium for the browser tests, unzip and
// zip to check archives with tools nobody here wrote, openssl for throwaway HTTPS certificates,
// pg_dump to compare PostgreSQL schemas.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const NEEDED = [
  { command: "/usr/bin/chromium", debianPackage: "chromium" },
  { command: "unzip", debianPackage: "unzip" },
  { command: "zip", debianPackage: "zip" },
  { command: "openssl", debianPackage: "openssl" },
  { command: "pg_dump", debianPackage: "postgresql-client" },
];

function isAvailable(command) {
  if (command.startsWith("/")) return fs.existsSync(command);
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

function run(command, args) {
  const result = spawnSync(command, args, {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  return result.status === 0;
}

/**
 * Installs the missing packages with apt-get when it can (as root on Debian or Ubuntu); otherwise
 * names them and returns false, so the test run stops with a message instead of failing later.
 */
export function ensureSystemPackages() {
  const missing = NEEDED.filter((need) => !isAvailable(need.command)).map((n) => n.debianPackage);
  if (missing.length === 0) return true;
  const canInstall = process.getuid?.() === 0 && isAvailable("apt-get");
  if (canInstall) {
    console.log(`━━ installing from Debian: ${missing.join(" ")}`);
    if (run("apt-get", ["update", "-qq"]) && run("apt-get", ["install", "-y", "-qq", ...missing])) {
      const stillMissing = NEEDED.filter((need) => !isAvailable(need.command));
      if (stillMissing.length === 0) return true;
    }
  }
  console.error(
    `\nThe tests need these system packages, which are not installed: ${missing.join(", ")}.\n` +
      `Install them (Debian/Ubuntu: sudo apt-get install ${missing.join(" ")}) and run npm test again.` +
      (canInstall ? "\n(apt-get could not install them; its messages are above.)" : ""),
  );
  return false;
}
