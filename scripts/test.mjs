// `npm test`: every gate CI runs, in order, then one closing line with the totals.
import { spawnSync } from "node:child_process";
import { assertNodeVersion } from "./node-version.mjs";
import { ensurePostgres } from "./postgres-service.mjs";
import { ensureSystemPackages } from "./system-packages.mjs";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);
const results = path.join(root, "test-results");
fs.mkdirSync(results, { recursive: true });

let passed = 0;
let failed = 0;
const failures = [];

function step(label, command, args, countFrom) {
  console.log(`\n━━ ${label}`);
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const counts = countFrom?.();
  if (counts) {
    passed += counts.passed;
    failed += counts.failed;
  }
  if (result.status !== 0) {
    failures.push(label);
    if (!counts || counts.failed === 0) failed += 1;
  }
  console.log(
    `━━ ${label}: ${result.status === 0 ? "ok" : `FAILED (exit ${result.status})`} in ${seconds} s`,
  );
}

function vitestCounts(file) {
  return () => {
    const report = JSON.parse(fs.readFileSync(file, "utf8"));
    return {
      passed: report.numPassedTests,
      failed: report.numFailedTests + (report.numPendingTests ?? 0),
    };
  };
}

function playwrightCounts(file) {
  return () => {
    const report = JSON.parse(fs.readFileSync(file, "utf8"));
    return {
      passed: report.stats.expected,
      failed: report.stats.unexpected + report.stats.flaky + report.stats.skipped,
    };
  };
}

const safely = (fn) => () => {
  try {
    return fn();
  } catch {
    return null;
  }
};

assertNodeVersion();
if (!ensureSystemPackages()) process.exit(1);
if (!process.env.TEST_POSTGRES_URL && !ensurePostgres()) process.exit(1);

// Route types from an earlier build may name routes that are gone; the build writes them anew.
for (const stale of [".next/types", ".next/dev/types"])
  fs.rmSync(path.join(root, stale), { recursive: true, force: true });
step("types (tsc --noEmit)", bin("tsc"), ["--noEmit"]);
step("lint (eslint)", bin("eslint"), ["."]);
step("format (prettier --check)", bin("prettier"), ["--check", "."]);
const unitJson = path.join(results, "unit.json");
step(
  "unit tests",
  bin("vitest"),
  [
    "run",
    "--project",
    "unit",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${unitJson}`,
  ],
  safely(vitestCounts(unitJson)),
);
const intJson = path.join(results, "integration.json");
step(
  "integration tests",
  bin("vitest"),
  [
    "run",
    "--project",
    "integration",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${intJson}`,
  ],
  safely(vitestCounts(intJson)),
);
// the same database tests again on PostgreSQL, a database per test file (tests/support/test-app.ts)
const intPgJson = path.join(results, "integration-pg.json");
step(
  "integration tests on PostgreSQL",
  bin("vitest"),
  [
    "run",
    "--project",
    "integration-pg",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${intPgJson}`,
  ],
  safely(vitestCounts(intPgJson)),
);
step(
  "end-to-end tests (Chromium)",
  bin("playwright"),
  ["test"],
  safely(playwrightCounts(path.join(results, "e2e.json"))),
);

console.log("");
if (failures.length) console.log(`Failed steps: ${failures.join(", ")}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failures.length ? 1 : 0);
