import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

const INTEGRATION_TESTS = ["server/**/*.int.test.ts", "tests/**/*.int.test.ts"];
/**
 * Integration tests that `integration-pg` leaves to the SQLite run: they never open the app's
 * database (the download engine, ZIPs, connectors' HTTP, fakes, the queue and channels on Redis,
 * the limits and sessions shared through it, file deliveries to their local servers), test SQLite
 * itself (its migrations' backfills, the data folder's SQLite lock), or test PostgreSQL already.
 */
const DATABASE_FREE_OR_SQLITE_ONLY = [
  "server/archive/zip-unzip.int.test.ts",
  "server/connectors/connector-http.int.test.ts",
  "server/downloads/engine-calls.int.test.ts",
  "server/downloads/engine.int.test.ts",
  "server/downloads/https.int.test.ts",
  "tests/report-fakes.int.test.ts",
  "tests/migrations.int.test.ts",
  "tests/instance-lock.int.test.ts",
  "tests/postgres-schema.int.test.ts",
  "server/jobs/bullmq-queue.int.test.ts",
  "server/jobs/progress.int.test.ts",
  "server/jobs/running-jobs.int.test.ts",
  "tests/redis-limits.int.test.ts",
  "tests/shared-sessions.int.test.ts",
  "tests/deliveries-email.int.test.ts",
  "tests/deliveries-s3.int.test.ts",
  "tests/deliveries-sftp.int.test.ts",
  "tests/deliveries-webhook.int.test.ts",
  // a minute of waiting by design: the quota it measures is the same in both modes
  "tests/destination-pacing.int.test.ts",
];

/**
 * Integration tests only the PostgreSQL run takes: several worker processes on one database, which
 * needs PostgreSQL (a worker's `prisma migrate deploy` fails on a SQLite file another process holds
 * open in WAL mode).
 */
const POSTGRES_ONLY = ["tests/worker-shutdown.int.test.ts"];

export default defineConfig({
  resolve: { alias: { "@": root, "server-only": `${root}test-support/server-only-stub.ts` } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: [
            "server/**/*.test.ts",
            "app/**/*.test.ts",
            "test-support/fakes/**/*.test.ts",
            "e2e/fakes/**/*.test.ts",
            "scripts/**/*.test.ts",
          ],
          exclude: ["**/*.int.test.ts", "node_modules/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: INTEGRATION_TESTS,
          exclude: [...POSTGRES_ONLY, "node_modules/**"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        // the same tests on PostgreSQL: tests/support/test-app.ts makes a database per file
        extends: true,
        test: {
          name: "integration-pg",
          include: INTEGRATION_TESTS,
          exclude: [...DATABASE_FREE_OR_SQLITE_ONLY, "node_modules/**"],
          env: { TEST_DATABASE: "postgres" },
          globalSetup: ["test-support/postgres-template.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
