import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { startRecurringTask } from "@/server/recurring-task";
import {
  fireDueSchedules,
  type TFiredSlot,
  type TIsJobActive,
  type TStartRun,
} from "./fire-due-schedules";

/** How often each process looks for due schedules; the first look is this long after start. */
export const TICK_EVERY_SECONDS = 15;

export type TSchedulerArgs = {
  now?: () => Date;
  random?: () => number;
  startRun: TStartRun;
  isJobActive?: TIsJobActive;
  db?: PrismaClient;
};

export type TScheduler = {
  /** Stops the passes and waits for one in progress. */
  stop(): Promise<void>;
  /** One pass now, after any pass in progress; rejects if the pass fails. */
  tick(): Promise<TFiredSlot[]>;
};

/**
 * Fires due schedules every TICK_EVERY_SECONDS (on node-cron, with the app's other recurring
 * tasks). Passes never overlap: one still going when the next is due makes that one skip. Safe to
 * run in several processes at once (see fireDueSchedules).
 */
export function startScheduler(args: TSchedulerArgs): TScheduler {
  const scheduler = createScheduler(args);
  const ticking = startRecurringTask({
    name: "scheduler tick",
    firstRunAfterMs: TICK_EVERY_SECONDS * 1000,
    periodSeconds: TICK_EVERY_SECONDS,
    run: scheduler.tick,
  });
  return {
    tick: scheduler.tick,
    async stop() {
      await ticking.stop();
      await scheduler.stop();
    },
  };
}

/** Passes only when `tick` is called (tests drive it so); they run one after the other. */
export function createScheduler(args: TSchedulerArgs): TScheduler {
  const now = args.now ?? (() => new Date());
  const random = args.random ?? Math.random;
  let stopped = false;
  let last: Promise<unknown> = Promise.resolve();

  const tick = (): Promise<TFiredSlot[]> => {
    if (stopped) return Promise.resolve([]);
    const pass = last.then(() =>
      fireDueSchedules({
        now: now(),
        random,
        startRun: args.startRun,
        isJobActive: args.isJobActive,
        db: args.db,
      }),
    );
    last = pass.catch(() => undefined);
    return pass;
  };

  return {
    tick,
    async stop() {
      stopped = true;
      await last;
    },
  };
}
