/**
 * npm run bench:create [-- 100000]
 *
 * How long another request waits while an image batch of N rows is created in the same process:
 * a loop stands in for another session's page, asking the database one small question after each
 * turn of the event loop (as an HTTP request is served), and the longest wait is printed. Uses a
 * fresh SQLite file with the server's settings (WAL, synchronous NORMAL). BENCH_TRACE=1 prints every wait.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROWS = Number(process.argv[2] ?? 100_000);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-create-bench-"));
const databaseUrl = `file:${path.join(dataDir, "datahaul.db")}`;
Object.assign(process.env, { DATA_DIR: dataDir, DATABASE_URL: databaseUrl });
execFileSync(path.resolve("node_modules/.bin/prisma"), ["migrate", "deploy"], { stdio: "pipe" });

const { db } = await import("@/server/db");
const { createBatchJob } = await import("@/server/services/batches/create-batch-job");
const { generateLargePaste } = await import("@/server/batches/input/generate-large-paste");
const { getRuntime } = await import("@/server/runtime");
await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
await db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
await db.$queryRawUnsafe("PRAGMA cache_size = -2000");
const user = await db.user.create({
  data: { id: crypto.randomUUID(), name: "Bench", email: "bench@example.com" },
});
const text = generateLargePaste(ROWS);

for (let round = 1; round <= 3; round++) {
  let isDone = false;
  const started = performance.now();
  const creating = createBatchJob({ userId: user.id, text, source: "paste" }).finally(() => {
    isDone = true;
  });
  const waits: number[] = [];
  while (!isDone) {
    const asked = performance.now();
    await new Promise((resolve) => setImmediate(resolve));
    await db.user.count();
    waits.push(performance.now() - asked);
    if (process.env.BENCH_TRACE) console.log(waits.length, (performance.now() - asked).toFixed(0));
  }
  await creating;
  const total = performance.now() - started;
  waits.sort((a, b) => a - b);
  const longest = waits.at(-1) ?? 0;
  const median = waits[Math.floor(waits.length / 2)] ?? 0;
  console.log(
    `round ${round}: ${ROWS.toLocaleString("en")} rows created in ${total.toFixed(0)} ms; ` +
      `${waits.length} other requests answered meanwhile; longest wait ${longest.toFixed(0)} ms, median ${median.toFixed(1)} ms`,
  );
}
await getRuntime().queue.close();
await db.$disconnect();
fs.rmSync(dataDir, { recursive: true, force: true });
