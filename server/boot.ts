import "server-only";
import { acquireInstanceLock } from "./instance-lock.mjs";
import { db } from "./db";
import { isPostgres } from "./db-dialect";
import { startTempFileSweep } from "./downloads/temp-files";
import { env } from "./env";
import { logger } from "./logger";
import { startDraining } from "./jobs/running-jobs";
import { startRecurringTask } from "./recurring-task";
import { getRuntime } from "./runtime";
import { createFirstAdmin, hasAnyUser } from "./services/accounts/create-admin";
import { removeAbandonedBatchCreations } from "./services/batches/create-batch-job";
import { startScheduler } from "./schedules/scheduler";
import { enqueueJob } from "./services/jobs/enqueue-job";
import { JOB_KINDS } from "./services/jobs/job-kinds";
import { getRetentionDays, purgeExpiredJobs } from "./services/jobs/job-actions";
import { repairLargeImageChecksums } from "./services/jobs/repair-checksums";
import { startScheduledRun } from "./services/schedules/schedules";
import {
  beat,
  forgetStoppedProcesses,
  HEARTBEAT_SECONDS,
  leave,
} from "./services/system/app-processes";
import { rememberStartCommit } from "./services/system/version-info";
import { sweepUnreferencedBlobs } from "./services/storage/sweep-blobs";

const HOUSEKEEPING_EVERY_SECONDS = 3600;
const ALERT_SEND_EVERY_SECONDS = 15;
const FIRST_HOUSEKEEPING_MS = 30_000;
/** Set by `npm start` (scripts/start.mjs), which takes the data folder's lock before it migrates. */
const LOCK_HELD_BY_PARENT = "DATAHAUL_LOCK_HELD_BY";

/**
 * Starts what one server process runs besides pages: database settings, the first admin from env,
 * and (in the embedded default) the worker, which first re-queues every unfinished job.
 */
export async function startServerRuntime(): Promise<void> {
  const globalForBoot = globalThis as unknown as { datahaulBooted?: Promise<void> };
  globalForBoot.datahaulBooted ??= boot();
  return globalForBoot.datahaulBooted;
}

/** SQLite's settings for this connection; PostgreSQL's are the server's own. */
async function tuneSqlite(): Promise<void> {
  // WAL lets pages read while the worker writes; NORMAL sync is safe with WAL and far faster.
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
  await db.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
  // better-sqlite3 builds SQLite with a 16 MB page cache; it filled as a large job was read for its
  // ZIP, so the server grew with the size of the database. SQLite's own default is 2 MB, and the
  // operating system caches the file anyway.
  await db.$queryRawUnsafe("PRAGMA cache_size = -2000");
}

async function boot(): Promise<void> {
  holdDataFolder();
  rememberStartCommit();
  if (!isPostgres) await tuneSqlite();

  if (env.ADMIN_EMAIL && env.ADMIN_PASSWORD && !(await hasAnyUser())) {
    await createFirstAdmin({ name: "Admin", email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD });
    logger.info({ email: env.ADMIN_EMAIL }, "created the admin account from ADMIN_EMAIL");
  }

  const runtime = getRuntime();
  const tempFileSweep = startTempFileSweep(runtime.scratchDir, (removed) =>
    logger.info({ removed }, "removed leftover download files"),
  );
  // the System page lists every process by its heartbeat
  const mode = env.runMode;
  await beat(mode);
  const heartbeat = startRecurringTask({
    name: "heartbeat",
    firstRunAfterMs: HEARTBEAT_SECONDS * 1000,
    periodSeconds: HEARTBEAT_SECONDS,
    run: () => beat(mode),
  });
  if (!runtime.isWorker) {
    stopWebProcessOnSignals(heartbeat);
    return;
  }
  // in the background: on a large store it reads every image over 64 KiB once
  void repairLargeImageChecksums().catch((error: unknown) =>
    logger.error({ err: error }, "could not check the CRC-32 of stored images"),
  );
  await startWorker();
  // several processes may run this against one database: each slot is still fired once
  const scheduler = startScheduler({ startRun: startScheduledRun });

  // batches a dead process left half-created and expired jobs first, then every stored file
  // nothing refers to any more (theirs, and files a killed process left behind)
  const housekeeping = async () => {
    try {
      await removeAbandonedBatchCreations();
    } catch (error) {
      logger.error({ err: error }, "could not remove abandoned batch creations");
    }
    try {
      await purgeExpiredJobs({ retentionDays: await getRetentionDays() });
    } catch (error) {
      logger.error({ err: error }, "retention sweep failed");
    }
    try {
      const { purgeOldAudit } = await import("./services/audit/audit");
      await purgeOldAudit(await getRetentionDays());
    } catch (error) {
      logger.error({ err: error }, "audit log retention failed");
    }
    try {
      await sweepUnreferencedBlobs();
    } catch (error) {
      logger.error({ err: error }, "sweep of stored files failed");
    }
    await forgetStoppedProcesses().catch((error: unknown) =>
      logger.error({ err: error }, "could not forget stopped processes"),
    );
  };
  const housekeepingTask = startRecurringTask({
    name: "housekeeping",
    firstRunAfterMs: FIRST_HOUSEKEEPING_MS,
    periodSeconds: HOUSEKEEPING_EVERY_SECONDS,
    run: housekeeping,
  });

  // alerts waiting for a retry, and any a process that died while sending left behind
  const alertSender = startRecurringTask({
    name: "alert sender",
    firstRunAfterMs: 5_000,
    periodSeconds: ALERT_SEND_EVERY_SECONDS,
    run: async () => {
      const { raiseMissedAlerts, sendDueAlerts } = await import("./services/alerts/alerts");
      await raiseMissedAlerts();
      await sendDueAlerts();
    },
  });

  let isShuttingDown = false;
  const shutdown = async (reason: string, graceMs: number) => {
    if (isShuttingDown) return;
    isShuttingDown = true;
    logger.info({ reason, graceSeconds: graceMs / 1000 }, "draining the worker");
    // no more sweeps; one in progress may be cut short (the next start's sweep puts back what it
    // had set aside), while a pass of the scheduler is let finish starting its runs
    void housekeepingTask.stop();
    void alertSender.stop();
    void tempFileSweep.stop();
    await scheduler.stop();
    // the running jobs finish the downloads and reports they have in flight and claim no more;
    // what is still running when the grace ends is cut short and goes back in line
    startDraining();
    await runtime.queue.close({ graceMs });
    await runtime.downloads.close();
    await heartbeat.stop();
    await leave().catch((error: unknown) =>
      logger.error({ err: error }, "could not take this process off the list"),
    );
    await Promise.allSettled([
      runtime.progress.close(),
      runtime.jobCommands.close(),
      runtime.activitySharing?.close(),
    ]);
    process.exit(0);
  };
  // the embedded default stops at once: its next start resumes every job, and nobody else would
  const graceMs = env.isEmbedded ? 0 : env.SHUTDOWN_GRACE_SECONDS * 1000;
  process.once("SIGTERM", () => void shutdown("SIGTERM", graceMs));
  process.once("SIGINT", () => void shutdown("SIGINT", graceMs));
  // `npm start` and `npm run worker` talk to us over an IPC channel: when the one that started us is
  // gone (killed, even with -9), so are we, instead of running on as a process nobody started;
  // nobody waits for that one to drain
  if (process.connected)
    process.once("disconnect", () => void shutdown("the process that started this one is gone", 0));
}

/**
 * A web process holds no work: told to stop, it leaves the System page's list at once, and the
 * server (scripts/server.mjs) finishes the requests it is answering. When the process that started
 * it is gone, it goes too.
 */
function stopWebProcessOnSignals(heartbeat: { stop(): Promise<void> }): void {
  const leaveList = async () => {
    await heartbeat.stop();
    await leave().catch((error: unknown) =>
      logger.error({ err: error }, "could not take this process off the list"),
    );
  };
  process.once("SIGTERM", () => void leaveList());
  process.once("SIGINT", () => void leaveList());
  if (process.connected)
    process.once("disconnect", () => void leaveList().finally(() => process.exit(0)));
}

/**
 * One server per data folder: a second one would share the SQLite file, the stored files and the
 * unfinished jobs with the first. `npm start` holds the lock for the server it starts; a server
 * started any other way takes it itself, and stops with a plain message when it is taken.
 */
function holdDataFolder(): void {
  if (env.raw[LOCK_HELD_BY_PARENT] === String(process.ppid)) return;
  try {
    acquireInstanceLock(env.dataDir, { port: env.PORT });
  } catch (error) {
    if (!(error instanceof Error) || error.name !== "InstanceLockedError") throw error;
    logger.error({ dataDir: env.dataDir }, error.message);
    console.error(`${error.message}. Data folder: ${env.dataDir}`);
    process.exit(1);
  }
}

export async function startWorker(): Promise<void> {
  const { queue } = getRuntime();
  const kinds = Object.values(JOB_KINDS);
  for (const kind of kinds) {
    queue.consume<{ jobId: string }>(kind.queue, (m, signal) => kind.run(m.jobId, signal), {
      concurrency: kind.concurrency,
    });
  }
  // This process is the only worker in the embedded default: whatever was in flight when the
  // last process died belongs to nobody now.
  let releasedItems = 0;
  for (const kind of kinds) releasedItems += await kind.releaseAbandonedItems();
  // a batch whose creation a killed process left half-written was never accepted: it goes
  await removeAbandonedBatchCreations().catch((error: unknown) =>
    logger.error({ err: error }, "could not remove abandoned batch creations"),
  );
  const unfinished = await db.job.findMany({
    where: { status: { in: ["queued", "running", "paused"] } },
    select: { id: true, kind: true },
  });
  for (const job of unfinished) {
    await enqueueJob(job).catch((error: unknown) =>
      logger.error({ jobId: job.id, err: error }, "could not resume an unfinished job"),
    );
  }
  if (unfinished.length > 0 || releasedItems > 0) {
    logger.info({ jobs: unfinished.length, releasedItems }, "resumed unfinished jobs");
  }
}
