/**
 * Creates one large image batch in a process of its own, so a test can kill the process while the
 * rows are being stored. Prints `STARTED` first. Run with
 * `node --conditions=react-server --import tsx`, with DATA_DIR and DATABASE_URL set, and the user id
 * and row count as arguments.
 */
import { generateLargePaste } from "@/server/batches/input/generate-large-paste";
import { db } from "@/server/db";
import { isPostgres } from "@/server/db-dialect";
import { createBatchJob } from "@/server/services/batches/create-batch-job";

const [userId = "", rows = "100000"] = process.argv.slice(2);

async function main() {
  if (!isPostgres) await db.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
  const text = generateLargePaste(Number(rows));
  process.stdout.write("STARTED\n");
  const created = await createBatchJob({ userId, text, source: "paste" });
  process.stdout.write(`CREATED ${created.jobId}\n`);
  await db.$disconnect();
}

void main();
