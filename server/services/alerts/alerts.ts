import "server-only";
import { connectorKind } from "@/server/connectors";
import {
  alertFor,
  parseAlertRules,
  problemOf,
  rowBaseline,
  ZAlertRules,
  type TAlertEvent,
  type TAlertRules,
  type TRunOutcome,
} from "@/server/alerts/alert-rules";
import { db } from "@/server/db";
import { DeliveryError, type TAlertMessage } from "@/server/deliveries/types";
import { env } from "@/server/env";
import { AppError } from "@/server/errors";
import { logger } from "@/server/logger";
import { connectorContext, loadConnection } from "../connectors/connectors";
import {
  getPipelineHistory,
  getScheduleHistory,
  type TRunHistoryPoint,
} from "../reports/run-history";

/** how often an alert is tried before it is shown as failed */
export const ALERT_MAX_ATTEMPTS = 5;
/** the wait before each retry: a channel that is down for a while still gets the alert */
const RETRY_DELAYS_MS = [30_000, 120_000, 600_000, 1_800_000];
/** a send that takes longer is taken over by another process: the one that took it died */
const SEND_LEASE_MS = 120_000;
/** the runs looked at to tell a new problem from a streak, and for the row baseline */
const HISTORY_RUNS = 30;

/** A schedule's rules, checked against the channels that exist and take alerts. */
export async function checkAlertRules(raw: unknown): Promise<TAlertRules> {
  const rules = ZAlertRules.parse(raw ?? {});
  if (rules.channels.length === 0) return rules;
  const found = await db.connector.findMany({
    where: { id: { in: rules.channels } },
    select: { id: true, kind: true, name: true },
  });
  for (const id of rules.channels) {
    const channel = found.find((row) => row.id === id);
    if (!channel)
      throw new AppError("BAD_REQUEST", "An alert channel no longer exists; reload the page.");
    if (!connectorKind(channel.kind).destination?.takesAlerts)
      throw new AppError("BAD_REQUEST", `${channel.name} cannot send alerts.`);
  }
  return rules;
}

const formatRows = (rows: number | null) => (rows === null ? "no" : rows.toLocaleString("en"));

function messageFor(args: {
  event: TAlertEvent;
  schedule: string;
  jobId: string;
  run: TRunOutcome & { at: string; error: string | null };
  runs: TRunOutcome[];
  rules: TAlertRules;
  failedReports: number;
  reports: number;
}): TAlertMessage {
  const { event, schedule, run } = args;
  const when = new Date(run.at).toUTCString();
  const url = env.APP_URL ? `${env.APP_URL.replace(/\/+$/, "")}/jobs/${args.jobId}` : null;
  const base = { event, url, schedule, occurredAt: new Date().toISOString() };
  switch (event) {
    case "failure":
      return {
        ...base,
        title: `“${schedule}” failed`,
        text: `The run started ${when} failed${run.error ? `: ${run.error}` : "."}`,
      };
    case "partial":
      return {
        ...base,
        title: `“${schedule}” partly failed`,
        text: `${args.failedReports} of ${args.reports} reports of the run started ${when} failed${run.error ? `; the first said: ${run.error}` : "."}`,
      };
    case "truncated":
      return {
        ...base,
        title: `“${schedule}” got fewer rows than its report has`,
        text: `A system sent the run started ${when} only part of a report (${formatRows(run.rows)} rows in all): its export limit was reached.`,
      };
    case "row_drop": {
      const baseline = rowBaseline(args.rules, args.runs) ?? 0;
      const drop = Math.round((1 - (run.rows ?? 0) / baseline) * 100);
      return {
        ...base,
        title: `“${schedule}” brought ${drop}% fewer rows than usual`,
        text: `The run started ${when} brought ${formatRows(run.rows)} rows; the runs before it brought ${formatRows(Math.round(baseline))} (their median). A report that returns much less than usual often means a filter or a source changed.`,
      };
    }
    case "recovery":
      return {
        ...base,
        title: `“${schedule}” works again`,
        text: `The run started ${when} succeeded with ${formatRows(run.rows)} rows.`,
      };
  }
}

/**
 * After a run ended: the alerts its schedule's rules call for (a scheduled run) and its pipeline's
 * rules (a pipeline's run, by hand or scheduled), one row per channel, then sent. A run's alert is
 * made once per channel and event: a finished job finishing again makes none, and a channel named
 * by both the schedule and the pipeline hears of it once.
 */
export async function raiseAlerts(jobId: string): Promise<number> {
  const job = await db.job.findUnique({
    where: { id: jobId },
    select: { kind: true, scheduleId: true, status: true, options: true },
  });
  if (!job || !ENDED_JOB_STATES.includes(job.status)) return 0;
  if (!job.scheduleId && job.kind !== "pipeline") return 0;
  let raised = 0;
  if (job.scheduleId) {
    const schedule = await db.schedule.findUnique({ where: { id: job.scheduleId } });
    // a pipeline's report stage carries the schedule too: only the pipeline's run counts
    if (schedule && job.kind === (schedule.pipelineId ? "pipeline" : "report_run")) {
      raised += await raiseFor(jobId, {
        name: schedule.name,
        scheduleId: schedule.id,
        rules: parseAlertRules(schedule.alertRules),
        history: () => getScheduleHistory({ id: schedule.id, limit: HISTORY_RUNS }),
      });
    }
  }
  const pipelineId = job.kind === "pipeline" ? pipelineIdOf(job.options) : null;
  const pipeline = pipelineId ? await db.pipeline.findUnique({ where: { id: pipelineId } }) : null;
  if (pipeline) {
    raised += await raiseFor(jobId, {
      name: pipeline.name,
      scheduleId: null,
      rules: parseAlertRules(pipeline.alertRules),
      history: () => getPipelineHistory({ id: pipeline.id, limit: HISTORY_RUNS }),
    });
  }
  // marked after the rows exist: a process that dies in between leaves the job for the sweep,
  // which raises the same alerts (each is made once)
  await db.job.update({ where: { id: jobId }, data: { alertsCheckedAt: new Date() } });
  if (raised > 0) void sendDueAlerts().catch((err) => logger.error({ err }, "sending alerts"));
  return raised;
}

/**
 * A run that alerted and was then retried into a good one: it is now good in the history, so the
 * history shows no streak to end, but whoever heard of its failure should hear it works again.
 */
async function recoveryByRetry(
  jobId: string,
  scheduleId: string | null,
  rules: TAlertRules,
  runs: TRunHistoryPoint[],
): Promise<"recovery" | null> {
  if (!rules.onRecovery || problemOf(rules, runs.at(-1)!, runs.slice(0, -1)) !== null) return null;
  if (runs.at(-1)!.status === "cancelled") return null;
  const earlier = await db.alert.findFirst({
    where: { jobId, scheduleId, event: { not: "recovery" } },
    select: { id: true },
  });
  return earlier ? "recovery" : null;
}

function pipelineIdOf(options: string): string | null {
  try {
    const parsed = JSON.parse(options) as { pipelineId?: unknown };
    return typeof parsed.pipelineId === "string" ? parsed.pipelineId : null;
  } catch {
    return null;
  }
}

const ENDED_JOB_STATES = ["completed", "completed_with_errors", "failed", "cancelled"];
/** how long a finished job may wait for its alerts before the sweep raises them */
const UNCHECKED_GRACE_MS = 60_000;

/** Scheduled runs and pipeline runs that ended while no process was there to check their alerts. */
export async function raiseMissedAlerts(): Promise<number> {
  const missed = await db.job.findMany({
    where: {
      OR: [{ scheduleId: { not: null } }, { kind: "pipeline" }],
      alertsCheckedAt: null,
      status: { in: ENDED_JOB_STATES },
      finishedAt: { lt: new Date(Date.now() - UNCHECKED_GRACE_MS) },
    },
    select: { id: true },
    take: 100,
  });
  let raised = 0;
  for (const job of missed) raised += await raiseAlerts(job.id);
  return raised;
}

async function raiseFor(
  jobId: string,
  source: {
    /** the schedule's or the pipeline's name, which the alert speaks of */
    name: string;
    scheduleId: string | null;
    rules: TAlertRules;
    history: () => Promise<{ points: TRunHistoryPoint[] }>;
  },
): Promise<number> {
  const { rules } = source;
  if (rules.channels.length === 0) return 0;
  const history = await source.history();
  const index = history.points.findIndex((point) => point.jobId === jobId);
  if (index < 0) return 0;
  const runs = history.points.slice(0, index + 1);
  const event =
    alertFor(rules, runs) ?? (await recoveryByRetry(jobId, source.scheduleId, rules, runs));
  if (!event) return 0;
  const items = await db.reportRunItem.findMany({ where: { jobId }, select: { state: true } });
  const message = messageFor({
    event,
    schedule: source.name,
    jobId,
    run: runs.at(-1)!,
    runs: runs.slice(0, -1),
    rules,
    failedReports: items.filter((item) => item.state === "failed").length,
    reports: items.length,
  });
  const channels = await db.connector.findMany({
    where: { id: { in: rules.channels } },
    select: { id: true, name: true },
  });
  let raised = 0;
  for (const channel of channels) {
    try {
      await db.alert.create({
        data: {
          scheduleId: source.scheduleId,
          jobId,
          connectorId: channel.id,
          connectorName: channel.name,
          event,
          title: message.title,
          text: message.text,
          url: message.url,
        },
      });
      raised += 1;
    } catch (error) {
      if ((error as { code?: string }).code !== "P2002") throw error;
    }
  }
  logger.info({ jobId, source: source.name, event, channels: raised }, "alert raised");
  return raised;
}

/** Takes the next alert due, so no other process sends it too; null when none is due. */
type TAlertRow = NonNullable<Awaited<ReturnType<typeof db.alert.findFirst>>>;

async function claimDueAlert(): Promise<TAlertRow | null> {
  const now = new Date();
  const due = await db.alert.findFirst({
    where: {
      OR: [
        { state: "pending", nextAttemptAt: { lte: now } },
        { state: "sending", leaseUntil: { lt: now } },
      ],
    },
    orderBy: { nextAttemptAt: "asc" },
  });
  if (!due) return null;
  const { count } = await db.alert.updateMany({
    where: { id: due.id, state: due.state, attempts: due.attempts },
    data: {
      state: "sending",
      attempts: due.attempts + 1,
      leaseUntil: new Date(now.getTime() + SEND_LEASE_MS),
    },
  });
  // another process took it first: look again
  return count === 1 ? { ...due, attempts: due.attempts + 1 } : claimDueAlert();
}

/**
 * Sends every alert that is due, one at a time, and says how many went. A failed send waits
 * longer each time; after the last try, or a refusal that will not change (a revoked hook), the
 * alert is shown failed with the reason.
 */
export async function sendDueAlerts(maxAlerts = 50): Promise<number> {
  let sent = 0;
  for (let i = 0; i < maxAlerts; i++) {
    const alert = await claimDueAlert();
    if (!alert) break;
    const message: TAlertMessage = {
      event: alert.event,
      title: alert.title,
      text: alert.text,
      url: alert.url,
      schedule: null,
      occurredAt: alert.createdAt.toISOString(),
    };
    try {
      if (!alert.connectorId)
        throw new DeliveryError("the channel was deleted", { isPermanent: true });
      const result = await sendToChannel(alert.connectorId, message);
      await db.alert.update({
        where: { id: alert.id },
        data: { state: "sent", result, sentAt: new Date(), leaseUntil: null },
      });
      sent += 1;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const isLast =
        alert.attempts >= ALERT_MAX_ATTEMPTS ||
        (error instanceof DeliveryError && error.isPermanent) ||
        (error instanceof AppError && error.code === "NOT_FOUND");
      const delay = RETRY_DELAYS_MS[Math.min(alert.attempts - 1, RETRY_DELAYS_MS.length - 1)]!;
      await db.alert.update({
        where: { id: alert.id },
        data: isLast
          ? { state: "failed", result: reason, leaseUntil: null }
          : {
              state: "pending",
              result: `${reason}; trying again`,
              nextAttemptAt: new Date(Date.now() + delay),
              leaseUntil: null,
            },
      });
      logger.warn({ alertId: alert.id, attempts: alert.attempts, err: error }, "alert not sent");
    }
  }
  return sent;
}

async function sendToChannel(connectorId: string, message: TAlertMessage): Promise<string> {
  const connection = await loadConnection(connectorId);
  const kind = connectorKind(connection.kind);
  if (!kind.sendAlert)
    throw new DeliveryError(`${connection.name} cannot send alerts`, { isPermanent: true });
  return kind.sendAlert(connection, message, connectorContext(connection.id));
}

/** A test alert straight to one channel, for its "Send a test alert" button. */
export async function sendTestAlert(connectorId: string): Promise<{ message: string }> {
  try {
    const message = await sendToChannel(connectorId, {
      event: "test",
      title: "DataHaul test alert",
      text: "This is how DataHaul will tell you when a scheduled run fails, recovers or brings fewer rows than usual.",
      url: env.APP_URL ?? null,
      schedule: null,
      occurredAt: new Date().toISOString(),
    });
    return { message: `Test alert sent: ${message}.` };
  } catch (error) {
    if (error instanceof DeliveryError)
      throw new AppError("BAD_REQUEST", `The test alert was not sent: ${error.message}.`);
    throw error;
  }
}

export type TAlertView = {
  id: string;
  scheduleId: string | null;
  scheduleName: string | null;
  jobId: string | null;
  channel: string;
  event: string;
  title: string;
  state: string;
  attempts: number;
  result: string | null;
  createdAt: Date;
  sentAt: Date | null;
  nextAttemptAt: Date | null;
};

/** The latest alerts, newest first, with how their sending went. */
export async function listAlerts(limit = 100): Promise<TAlertView[]> {
  const rows = await db.alert.findMany({
    orderBy: { createdAt: "desc" },
    take: limit,
    include: { schedule: { select: { name: true } } },
  });
  return rows.map((row) => ({
    id: row.id,
    scheduleId: row.scheduleId,
    scheduleName: row.schedule?.name ?? null,
    jobId: row.jobId,
    channel: row.connectorName,
    event: row.event,
    title: row.title,
    state: row.state,
    attempts: row.attempts,
    result: row.result,
    createdAt: row.createdAt,
    sentAt: row.sentAt,
    nextAttemptAt: row.state === "pending" ? row.nextAttemptAt : null,
  }));
}
