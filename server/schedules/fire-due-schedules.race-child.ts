/**
 * One scheduler instance in a process of its own, for the integration test that races processes
 * on one database (a SQLite file, or PostgreSQL). The test owns the clock: each stdin line `{"now": ISO}` is one pass, and
 * its result comes back as one `FIRED <json>` line. Run with
 * `node --conditions=react-server --import tsx`, with DATA_DIR and DATABASE_URL set.
 */
import readline from "node:readline";
import { db } from "@/server/db";
import { isPostgres } from "@/server/db-dialect";
import { fireDueSchedules, type TStartRun } from "./fire-due-schedules";
import { jobTitleFields } from "@/server/services/jobs/job-title";

const startRun: TStartRun = async (input) => {
  const job = await db.job.create({
    data: {
      kind: "report_run",
      ...jobTitleFields("Scheduled run"),
      totalItems: input.reportIds.length,
      createdById: input.createdById,
      scheduleId: input.scheduleId,
      status: "completed",
    },
  });
  return { jobId: job.id };
};

async function main() {
  // as the server's boot sets it: wait for the other process's write instead of failing at once
  if (!isPostgres) await db.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
  process.stdout.write("READY\n");
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const { now } = JSON.parse(line) as { now: string };
    const fired = await fireDueSchedules({ now: new Date(now), random: Math.random, startRun });
    process.stdout.write(`FIRED ${JSON.stringify(fired)}\n`);
  }
  await db.$disconnect();
}

void main();
