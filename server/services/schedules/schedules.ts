import "server-only";
import { z } from "zod";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { enableSchedule, pauseSchedule } from "@/server/schedules/fire-due-schedules";
import {
  describeSpec,
  previewNextRuns,
  scheduleSpecFromRow,
  validateScheduleSpec,
  type TScheduleSpec,
} from "@/server/schedules/schedule-spec";
import { ZDeliverTo } from "@/server/deliveries/schemas";
import { AUTHORSHIP_INCLUDE, authorshipOf } from "../accounts/authorship";
import { parseAlertRules, ZAlertRules } from "@/server/alerts/alert-rules";
import { checkAlertRules } from "../alerts/alerts";
import { copyBase, copyName } from "../bulk-actions";
import { checkFileDestinations } from "../deliveries/start-deliveries";
import { startPipelineRun } from "../pipelines/pipelines";
import { startReportRun } from "../reports/start-report-run";

const ZMinutes = z
  .number()
  .int()
  .min(0)
  .max(24 * 60);

export const ZScheduleTiming = z.object({
  kind: z.enum(["interval", "cron"]),
  intervalMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .nullable()
    .default(null),
  firstJitterMinMinutes: ZMinutes.default(1),
  firstJitterMaxMinutes: ZMinutes.default(5),
  laterJitterMinMinutes: ZMinutes.default(1),
  laterJitterMaxMinutes: ZMinutes.default(20),
  cronExpression: z.string().trim().max(200).nullable().default(null),
  timeZone: z.string().trim().min(1).default("UTC"),
});

const ZScheduleFields = ZScheduleTiming.extend({
  id: z.uuid().optional(),
  name: z.string().trim().min(1, "Give the schedule a name.").max(100),
  /** the reports a slot runs; or none, when the schedule runs a pipeline */
  reportIds: z.array(z.uuid()).default([]),
  pipelineId: z.string().min(1).nullish(),
  deliverTo: ZDeliverTo,
  alertRules: ZAlertRules.optional(),
  overlapPolicy: z.enum(["skip"]).default("skip"),
  misfirePolicy: z.enum(["skip", "run_once"]).default("run_once"),
  maxConcurrency: z.number().int().min(1).max(32).default(4),
  maxAttempts: z.number().int().min(1).max(20).default(5),
  isEnabled: z.boolean().default(true),
});
/** A schedule runs its reports, or one pipeline instead: one of the two, never neither. */
export const ZScheduleInput = ZScheduleFields.refine(
  (input) =>
    input.pipelineId ? (input.reportIds ?? []).length === 0 : (input.reportIds ?? []).length > 0,
  {
    message: "Choose at least one report, or a pipeline.",
    path: ["reportIds"],
    // said with the other fields' problems, not only once they are fixed
    when: () => true,
  },
);
export type TScheduleInput = z.input<typeof ZScheduleInput>;

function specOf(timing: z.infer<typeof ZScheduleTiming>): TScheduleSpec {
  return scheduleSpecFromRow({ ...timing, cronExpression: timing.cronExpression ?? "" });
}

/** The next five runs for the editor, or a plain-words problem with the timing. */
export function previewSchedule(
  raw: z.input<typeof ZScheduleTiming>,
  now = new Date(),
):
  | { ok: true; description: string; runs: Array<{ at: Date; latest?: Date }> }
  | { ok: false; message: string } {
  const timing = ZScheduleTiming.parse(raw);
  const spec = specOf(timing);
  const check = validateScheduleSpec(spec);
  if (!check.ok) return check;
  return { ok: true, description: describeSpec(spec), runs: previewNextRuns(spec, now, 5) };
}

export async function saveSchedule(
  raw: TScheduleInput,
  userId: string,
): Promise<{ id: string; nextRunAt: Date | null }> {
  const input = ZScheduleInput.parse(raw);
  const check = validateScheduleSpec(specOf(input));
  if (input.pipelineId && !(await db.pipeline.findUnique({ where: { id: input.pipelineId } }))) {
    throw new AppError("BAD_REQUEST", "The chosen pipeline no longer exists; reload the page.");
  }
  if (!check.ok) throw new AppError("BAD_REQUEST", check.message);
  const deliverTo = await checkFileDestinations(input.deliverTo);
  const alertRules = await checkAlertRules(input.alertRules);
  const reports = await db.report.count({ where: { id: { in: input.reportIds } } });
  if (reports !== new Set(input.reportIds).size) {
    throw new AppError(
      "BAD_REQUEST",
      "Some of the chosen reports no longer exist; reload the page.",
    );
  }
  const data = {
    name: input.name,
    kind: input.kind,
    intervalMinutes: input.kind === "interval" ? input.intervalMinutes : null,
    firstJitterMinMinutes: input.firstJitterMinMinutes,
    firstJitterMaxMinutes: input.firstJitterMaxMinutes,
    laterJitterMinMinutes: input.laterJitterMinMinutes,
    laterJitterMaxMinutes: input.laterJitterMaxMinutes,
    cronExpression: input.kind === "cron" ? input.cronExpression : null,
    timeZone: input.timeZone,
    overlapPolicy: input.overlapPolicy,
    misfirePolicy: input.misfirePolicy,
    maxConcurrency: input.maxConcurrency,
    maxAttempts: input.maxAttempts,
    pipelineId: input.pipelineId ?? null,
    deliverTo: JSON.stringify(deliverTo),
    alertRules: JSON.stringify(alertRules),
    updatedById: userId,
    // the timing may have changed: the next slot is worked out again below
    isEnabled: false,
    nextRunAt: null,
  };
  const links = input.reportIds.map((reportId, position) => ({ reportId, position }));
  let id: string;
  try {
    id = await db.$transaction(async (tx) => {
      const saved = input.id
        ? await tx.schedule.update({ where: { id: input.id }, data })
        : await tx.schedule.create({ data: { ...data, createdById: userId } });
      await tx.scheduleReport.deleteMany({ where: { scheduleId: saved.id } });
      await tx.scheduleReport.createMany({
        data: links.map((l) => ({ ...l, scheduleId: saved.id })),
      });
      return saved.id;
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "P2002")
      throw new AppError("CONFLICT", `A schedule named "${input.name}" exists already.`);
    if (code === "P2025") throw new AppError("NOT_FOUND", "This schedule does not exist any more.");
    throw error;
  }
  if (!input.isEnabled) return { id, nextRunAt: null };
  const { nextRunAt } = await enableSchedule(id, new Date(), Math.random);
  return { id, nextRunAt };
}

export async function setScheduleEnabled(id: string, isEnabled: boolean): Promise<void> {
  if (isEnabled) await enableSchedule(id, new Date(), Math.random);
  else await pauseSchedule(id);
}

export async function deleteSchedule(id: string): Promise<void> {
  await db.schedule.deleteMany({ where: { id } });
}

export type TScheduleView = Awaited<ReturnType<typeof listSchedules>>[number];

export async function listSchedules() {
  const rows = await db.schedule.findMany({
    orderBy: { name: "asc" },
    include: {
      reports: {
        orderBy: { position: "asc" },
        include: { report: { select: { id: true, name: true } } },
      },
      pipeline: { select: { id: true, name: true } },
      ...AUTHORSHIP_INCLUDE,
      // the runs themselves: exports, pushes and deliveries that follow them carry the schedule too
      jobs: {
        where: { kind: { in: ["report_run", "pipeline"] } },
        orderBy: { createdAt: "desc" },
        take: 5,
        select: { id: true, kind: true, status: true, createdAt: true, finishedAt: true },
      },
    },
  });
  const destinations = await db.connector.findMany({ select: { id: true, name: true } });
  return rows.map((row) => {
    const spec = scheduleSpecFromRow(row);
    const deliverTo = JSON.parse(row.deliverTo) as string[];
    return {
      ...authorshipOf(row),
      id: row.id,
      name: row.name,
      kind: row.kind,
      timing: {
        kind: row.kind as "interval" | "cron",
        intervalMinutes: row.intervalMinutes,
        firstJitterMinMinutes: row.firstJitterMinMinutes,
        firstJitterMaxMinutes: row.firstJitterMaxMinutes,
        laterJitterMinMinutes: row.laterJitterMinMinutes,
        laterJitterMaxMinutes: row.laterJitterMaxMinutes,
        cronExpression: row.cronExpression,
        timeZone: row.timeZone,
      },
      description: validateScheduleSpec(spec).ok ? describeSpec(spec) : "invalid timing",
      overlapPolicy: row.overlapPolicy,
      misfirePolicy: row.misfirePolicy,
      maxConcurrency: row.maxConcurrency,
      maxAttempts: row.maxAttempts,
      isEnabled: row.isEnabled,
      updatedAt: row.updatedAt,
      nextRunAt: row.nextRunAt,
      lastFiredAt: row.lastFiredAt,
      lastOutcome: row.lastOutcome,
      lastJob:
        row.jobs.find((job) => job.kind === (row.pipelineId ? "pipeline" : "report_run")) ?? null,
      reports: row.reports.map((r) => r.report),
      pipeline: row.pipeline,
      deliverTo,
      alertRules: parseAlertRules(row.alertRules),
      deliverToNames: deliverTo.map(
        (id) => destinations.find((d) => d.id === id)?.name ?? "a deleted destination",
      ),
    };
  });
}

/** Scheduled runs that failed recently, and exports that followed them, for the dashboard. */
export async function listFailedScheduledRuns(args: { days?: number } = {}) {
  const since = new Date(Date.now() - (args.days ?? 7) * 86_400_000);
  const jobs = await db.job.findMany({
    where: {
      kind: { in: ["report_run", "export", "pipeline", "delivery"] },
      scheduleId: { not: null },
      status: { in: ["failed", "completed_with_errors"] },
      createdAt: { gte: since },
    },
    orderBy: { createdAt: "desc" },
    take: 20,
    include: { schedule: { select: { name: true } } },
  });
  return jobs.map((job) => ({
    jobId: job.id,
    scheduleName: job.schedule?.name ?? "a deleted schedule",
    /** an export's transform or a pipeline's name; null for the report run itself */
    exportTitle: job.kind === "report_run" ? null : job.title,
    status: job.status,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
  }));
}

/**
 * What a schedule's slot starts: its pipeline's run, or a report run titled after the schedule;
 * either delivers its files where the schedule says once it ends.
 */
/**
 * One run of a schedule now, by hand, outside its timing: it counts as the schedule's run (its
 * history, deliveries and alerts), and the next timed run stays where it was.
 */
export async function runScheduleNow(id: string, userId: string): Promise<{ jobId: string }> {
  const schedule = await db.schedule.findUnique({
    where: { id },
    include: { reports: { orderBy: { position: "asc" }, select: { reportId: true } } },
  });
  if (!schedule)
    throw new AppError("NOT_FOUND", "This schedule does not exist (it may have been deleted).");
  const reportIds = schedule.reports.map((report) => report.reportId);
  if (reportIds.length === 0 && !schedule.pipelineId)
    throw new AppError("BAD_REQUEST", "This schedule has no reports and no pipeline to run.");
  return startScheduledRun({
    scheduleId: id,
    reportIds,
    pipelineId: schedule.pipelineId,
    createdById: userId,
    maxConcurrency: schedule.maxConcurrency,
    maxAttempts: schedule.maxAttempts,
  });
}

export async function startScheduledRun(input: {
  scheduleId: string;
  reportIds: string[];
  pipelineId?: string | null;
  createdById: string;
  maxConcurrency: number;
  maxAttempts: number;
}) {
  const schedule = await db.schedule.findUnique({
    where: { id: input.scheduleId },
    select: { name: true, deliverTo: true },
  });
  const deliverTo = JSON.parse(schedule?.deliverTo ?? "[]") as string[];
  if (input.pipelineId) {
    return startPipelineRun({
      pipelineId: input.pipelineId,
      createdById: input.createdById,
      scheduleId: input.scheduleId,
      deliverTo,
    });
  }
  return startReportRun({
    ...input,
    deliverTo,
    title: `${schedule?.name ?? "Schedule"} (scheduled)`,
  });
}

/**
 * A copy of the schedule under a free name, paused: the same reports or pipeline, timing,
 * deliveries and alert rules. Paused, so a copy made to try a change never fires twice with its
 * original; the person resumes it when it is ready.
 */
export async function duplicateSchedule(
  id: string,
  userId: string,
): Promise<{ id: string; name: string }> {
  const schedule = await db.schedule.findUnique({
    where: { id },
    include: { reports: { orderBy: { position: "asc" } } },
  });
  if (!schedule) throw new AppError("NOT_FOUND", "This schedule does not exist any more.");
  const taken = await db.schedule.findMany({
    where: { name: { startsWith: copyBase(schedule.name) } },
    select: { name: true },
  });
  const name = copyName(schedule.name, new Set(taken.map((s) => s.name)));
  const copy = await db.schedule.create({
    data: {
      name,
      kind: schedule.kind,
      intervalMinutes: schedule.intervalMinutes,
      firstJitterMinMinutes: schedule.firstJitterMinMinutes,
      firstJitterMaxMinutes: schedule.firstJitterMaxMinutes,
      laterJitterMinMinutes: schedule.laterJitterMinMinutes,
      laterJitterMaxMinutes: schedule.laterJitterMaxMinutes,
      cronExpression: schedule.cronExpression,
      timeZone: schedule.timeZone,
      overlapPolicy: schedule.overlapPolicy,
      misfirePolicy: schedule.misfirePolicy,
      maxConcurrency: schedule.maxConcurrency,
      maxAttempts: schedule.maxAttempts,
      pipelineId: schedule.pipelineId,
      deliverTo: schedule.deliverTo,
      alertRules: schedule.alertRules,
      isEnabled: false,
      nextRunAt: null,
      createdById: userId,
      updatedById: userId,
      reports: {
        create: schedule.reports.map(({ reportId, position }) => ({ reportId, position })),
      },
    },
  });
  return { id: copy.id, name };
}
