// Stops with a plain sentence on a Node.js older than package.json's `engines` floor, instead of a
// crash deep inside a dependency (undici 7 needs 20.18.1; zlib.crc32 arrived in 20.15).
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

function parse(version) {
  return version
    .replace(/^[^\d]*/, "")
    .split(".")
    .map(Number);
}

function isAtLeast(actual, floor) {
  for (let i = 0; i < 3; i++) {
    if ((actual[i] ?? 0) !== (floor[i] ?? 0)) return (actual[i] ?? 0) > (floor[i] ?? 0);
  }
  return true;
}

export function assertNodeVersion(actual = process.versions.node) {
  const { engines } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  const floor = /^>=\s*([\d.]+)$/.exec(engines.node)?.[1];
  if (!floor)
    throw new Error(`package.json engines.node must read ">=x.y.z", not "${engines.node}"`);
  if (isAtLeast(parse(actual), parse(floor))) return;
  console.error(
    `DataHaul needs Node.js ${floor} or later; this is Node.js ${actual}.\n` +
      `Install a newer Node.js (the current 20.x or 22.x LTS) and run the command again.`,
  );
  process.exit(1);
}
