import "server-only";
import cron, { type Logger, type ScheduledTask } from "node-cron";
import { logger } from "./logger";

export type TRecurringTask = {
  /** No more runs from now on; settles once a run in progress has ended. */
  stop(): Promise<void>;
};

type TRecurringTaskArgs = {
  /** in the logs: "<name> failed" */
  name: string;
  /** the first run, counted from now: start-up has its own work to do first */
  firstRunAfterMs: number;
  /** seconds from one run to the next: a divisor of a minute, or whole minutes dividing an hour */
  periodSeconds: number;
  run: () => Promise<unknown>;
};

/**
 * The app's own recurring work (sweeps, the schedules' tick) on node-cron: a first run after
 * `firstRunAfterMs`, then one every period on the same second as the first. A run still going when
 * the next is due makes it skip, so runs never overlap or pile up. Users' schedules are computed
 * by croner (server/schedules/schedule-spec.ts), which handles time zones; this needs none.
 */
export function startRecurringTask(args: TRecurringTaskArgs): TRecurringTask {
  let stopped = false;
  let task: ScheduledTask | undefined;
  let running: Promise<void> | undefined;

  const runOnce = () => {
    if (running) return; // the last run is still going: this one is skipped
    const run = (async () => {
      try {
        await args.run();
      } catch (error) {
        logger.error({ err: error }, `${args.name} failed`);
      }
    })();
    running = run;
    void run.finally(() => {
      if (running === run) running = undefined;
    });
  };

  const first = setTimeout(() => {
    if (stopped) return;
    task = cron.schedule(cronEvery(args.periodSeconds, new Date()), runOnce, {
      name: args.name,
      timezone: "UTC",
      // never keeps the process alive; a late timer (a busy event loop) still runs within half a period
      unref: true,
      missedExecutionTolerance: (args.periodSeconds * 1000) / 2,
      logger: cronLogger(args.name),
    });
    runOnce();
  }, args.firstRunAfterMs);
  first.unref();

  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      await task?.destroy();
      await running;
    },
  };
}

/**
 * A cron expression (with seconds, in UTC) that matches `anchor` and every `periodSeconds` after
 * it: 15 s from 10:00:07 is "7,22,37,52 * * * * *", an hour from 10:23:45 is "45 23 * * * *".
 */
export function cronEvery(periodSeconds: number, anchor: Date): string {
  const second = anchor.getUTCSeconds();
  if (Number.isInteger(periodSeconds) && periodSeconds > 0 && 60 % periodSeconds === 0) {
    return `${steps(second, periodSeconds, 60)} * * * * *`;
  }
  const periodMinutes = periodSeconds / 60;
  if (Number.isInteger(periodMinutes) && 60 % periodMinutes === 0) {
    return `${second} ${steps(anchor.getUTCMinutes(), periodMinutes, 60)} * * * *`;
  }
  throw new Error(
    `A recurring task runs every N seconds or minutes that divide a minute or an hour, not every ${periodSeconds} s.`,
  );
}

function steps(start: number, step: number, range: number): string {
  const values = Array.from({ length: range / step }, (_, i) => (start + i * step) % range);
  return values.sort((a, b) => a - b).join(",");
}

/** node-cron's own messages (a run missed while the process was busy) in our log lines. */
function cronLogger(task: string): Logger {
  return {
    info: (message) => logger.info({ task }, message),
    warn: (message) => logger.warn({ task }, message),
    error: (message, err) =>
      logger.error({ task, err: err ?? message }, typeof message === "string" ? message : "failed"),
    debug: () => undefined,
  };
}
