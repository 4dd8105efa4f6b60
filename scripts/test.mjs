// `npm test`: every gate CI runs, in order, then one closing line with the totals.
import { spawnSync } from "node:child_process";
import { assertNodeVersion } from "./node-version.mjs";
import { ensurePostgres } from "./postgres-service.mjs";
import { ensureRedis } from "./redis-service.mjs";
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

/** One vitest project as a step, its counts read from its JSON report. */
function vitestStep(label, project) {
  const report = path.join(results, `${project}.json`);
  step(
    label,
    bin("vitest"),
    [
      "run",
      "--project",
      project,
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${report}`,
    ],
    safely(vitestCounts(report)),
  );
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
if (!process.env.TEST_REDIS_URL && !ensureRedis()) process.exit(1);

// Route types from an earlier build may name routes that are gone; the build writes them anew.
for (const stale of [".next/types", ".next/dev/types"])
  fs.rmSync(path.join(root, stale), { recursive: true, force: true });
step("types (tsc --noEmit)", bin("tsc"), ["--noEmit"]);
step("lint (eslint)", bin("eslint"), ["."]);
step("format (prettier --check)", bin("prettier"), ["--check", "."]);
vitestStep("unit tests", "unit");
vitestStep("integration tests", "integration");
// the same database tests again on PostgreSQL, a database per test file (tests/support/test-app.ts)
vitestStep("integration tests on PostgreSQL", "integration-pg");
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
