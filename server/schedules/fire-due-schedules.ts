import "server-only";
import { db as sharedDb } from "@/server/db";
import type { PrismaClient } from "@/server/db/generated/client";
import { AppError } from "@/server/errors";
import { logger } from "@/server/logger";
import { nextSlotAfter, scheduleSpecFromRow, validateScheduleSpec } from "./schedule-spec";

/** A slot fired later than this after its time counts as missed, and the misfire policy applies. */
export const MISFIRE_GRACE_MS = 60_000;

/** A queued job without a lease blocks the next slot only this long: no worker may ever pick it up. */
export const QUEUED_WITHOUT_LEASE_MS = 10 * 60_000;

export type TScheduleOutcome =
  "started" | "skipped_overlap" | "skipped_misfire" | "failed_to_start";

export type TStartRunInput = {
  scheduleId: string;
  reportIds: string[];
  /** a schedule of a pipeline runs it instead of reports */
  pipelineId?: string | null;
  createdById: string;
  maxConcurrency: number;
  maxAttempts: number;
};

export type TStartRun = (input: TStartRunInput) => Promise<{ jobId: string }>;

/** Says whether a queued or running job still runs, instead of the lease rule. */
export type TIsJobActive = (jobId: string) => boolean | Promise<boolean>;

export type TFiredSlot = {
  scheduleId: string;
  slot: Date;
  outcome: TScheduleOutcome;
  jobId?: string;
};

export type TFireDueArgs = {
  now: Date;
  random: () => number;
  startRun: TStartRun;
  isJobActive?: TIsJobActive;
  /** another client on the same database; the shared one by default */
  db?: PrismaClient;
};

type TPreviousJob = { status: string; leaseUntil: Date | null; createdAt: Date };

/**
 * Fires every enabled schedule whose slot has come. Each slot is claimed with a compare-and-set on
 * `nextRunAt`, so any number of processes on one database fire it exactly once; the slots this
 * call did not win are left out of the result.
 */
export async function fireDueSchedules(args: TFireDueArgs): Promise<TFiredSlot[]> {
  const database = args.db ?? sharedDb;
  const due = await database.schedule.findMany({
    where: { isEnabled: true, nextRunAt: { lte: args.now } },
    orderBy: { nextRunAt: "asc" },
    include: { reports: { orderBy: { position: "asc" }, select: { reportId: true } } },
  });
  const fired: TFiredSlot[] = [];
  for (const schedule of due) {
    try {
      const result = await fireSlot(database, schedule, args);
      if (result) fired.push(result);
    } catch (error) {
      // One broken schedule must not hold up the others; its slot stays due for the next tick.
      logger.error({ scheduleId: schedule.id, err: error }, "could not fire a schedule slot");
    }
  }
  return fired;
}

type TDueSchedule = Awaited<ReturnType<PrismaClient["schedule"]["findMany"]>>[number] & {
  reports: Array<{ reportId: string }>;
};

async function fireSlot(
  database: PrismaClient,
  schedule: TDueSchedule,
  args: TFireDueArgs,
): Promise<TFiredSlot | null> {
  const { now, random } = args;
  const slot = schedule.nextRunAt;
  if (!slot) return null;
  const scheduleId = schedule.id;
  const claim = async (
    outcome: TScheduleOutcome,
    data: { nextRunAt: Date | null; isEnabled?: boolean },
  ) => {
    const { count } = await database.schedule.updateMany({
      where: { id: scheduleId, isEnabled: true, nextRunAt: slot },
      data: { ...data, lastFiredAt: now, lastOutcome: outcome },
    });
    return count === 1;
  };

  const spec = scheduleSpecFromRow(schedule);
  const check = validateScheduleSpec(spec);
  if (!check.ok) {
    // Without a valid spec there is no next slot: pause it rather than fail on every tick.
    if (!(await claim("failed_to_start", { nextRunAt: null, isEnabled: false }))) return null;
    logger.error(
      { scheduleId, err: new Error(check.message) },
      "paused a schedule whose timing is invalid",
    );
    return { scheduleId, slot, outcome: "failed_to_start" };
  }

  const missed = now.getTime() - slot.getTime() > MISFIRE_GRACE_MS;
  // Cron slots follow each other; after a misfire (or for intervals) the next one counts from now,
  // so nextRunAt always ends up past now and missed slots never fire one by one.
  const following = nextSlotAfter(spec, spec.kind === "cron" && !missed ? slot : now, {
    isFirst: false,
    random,
  });

  if (missed && schedule.misfirePolicy === "skip") {
    const won = await claim("skipped_misfire", { nextRunAt: following });
    return won ? { scheduleId, slot, outcome: "skipped_misfire" } : null;
  }

  if (schedule.overlapPolicy === "skip") {
    const previous = await database.job.findFirst({
      where: { scheduleId },
      orderBy: { createdAt: "desc" },
      select: { id: true, status: true, leaseUntil: true, createdAt: true },
    });
    const active =
      previous !== null &&
      isUnfinished(previous) &&
      (args.isJobActive ? await args.isJobActive(previous.id) : isPreviousRunActive(previous, now));
    if (active) {
      const won = await claim("skipped_overlap", { nextRunAt: following });
      return won ? { scheduleId, slot, outcome: "skipped_overlap" } : null;
    }
  }

  if (!(await claim("started", { nextRunAt: following }))) return null;
  try {
    const reportIds = schedule.reports.map((r) => r.reportId);
    if (reportIds.length === 0 && !schedule.pipelineId)
      throw new Error("the schedule has no reports and no pipeline");
    const { jobId } = await args.startRun({
      scheduleId,
      reportIds,
      ...(schedule.pipelineId ? { pipelineId: schedule.pipelineId } : {}),
      createdById: schedule.createdById,
      maxConcurrency: schedule.maxConcurrency,
      maxAttempts: schedule.maxAttempts,
    });
    return { scheduleId, slot, outcome: "started", jobId };
  } catch (error) {
    logger.error({ scheduleId, err: error }, "a scheduled run could not start");
    try {
      // The slot stays fired (no retry storm); only the outcome is corrected, unless a later slot
      // has fired meanwhile.
      await database.schedule.updateMany({
        where: { id: scheduleId, lastFiredAt: now, nextRunAt: following },
        data: { lastOutcome: "failed_to_start" },
      });
    } catch (updateError) {
      logger.error({ scheduleId, err: updateError }, "could not record a failed scheduled run");
    }
    return { scheduleId, slot, outcome: "failed_to_start" };
  }
}

function isUnfinished(job: TPreviousJob): boolean {
  return job.status === "queued" || job.status === "running";
}

/**
 * Whether a schedule's latest job still blocks its next slot: queued or running under a lease that
 * holds. A running job whose lease lapsed is stuck; a queued one without a lease blocks only briefly.
 */
export function isPreviousRunActive(job: TPreviousJob, now: Date): boolean {
  if (!isUnfinished(job)) return false;
  if (job.leaseUntil) return job.leaseUntil.getTime() > now.getTime();
  return (
    job.status === "queued" && now.getTime() - job.createdAt.getTime() < QUEUED_WITHOUT_LEASE_MS
  );
}

/**
 * Turns a schedule on (or gives a new one its first slot): an interval's first run lands within
 * its first-run jitter, a cron schedule's at its next time. A schedule that is on and has a slot
 * keeps it, so enabling twice never postpones a run.
 */
export async function enableSchedule(
  id: string,
  now: Date,
  random: () => number,
  database: PrismaClient = sharedDb,
): Promise<{ nextRunAt: Date }> {
  const schedule = await database.schedule.findUnique({ where: { id } });
  if (!schedule) throw new AppError("NOT_FOUND", "This schedule does not exist any more.");
  if (schedule.isEnabled && schedule.nextRunAt) return { nextRunAt: schedule.nextRunAt };
  const spec = scheduleSpecFromRow(schedule);
  const check = validateScheduleSpec(spec);
  if (!check.ok) throw new AppError("BAD_REQUEST", check.message);
  const nextRunAt = nextSlotAfter(spec, now, { isFirst: true, random });
  const { count } = await database.schedule.updateMany({
    where: { id, isEnabled: schedule.isEnabled, nextRunAt: schedule.nextRunAt },
    data: { isEnabled: true, nextRunAt },
  });
  if (count === 1) return { nextRunAt };
  // Someone else changed it in between: their state wins if it has a slot.
  const current = await database.schedule.findUnique({ where: { id } });
  if (current?.isEnabled && current.nextRunAt) return { nextRunAt: current.nextRunAt };
  return enableSchedule(id, now, random, database);
}

/** Turns a schedule off; a run it already started goes on. */
export async function pauseSchedule(id: string, database: PrismaClient = sharedDb): Promise<void> {
  const { count } = await database.schedule.updateMany({
    where: { id },
    data: { isEnabled: false, nextRunAt: null },
  });
  if (count === 0) throw new AppError("NOT_FOUND", "This schedule does not exist any more.");
}
