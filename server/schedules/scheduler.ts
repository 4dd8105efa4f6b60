import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { logger } from "@/server/logger";
import {
  fireDueSchedules,
  type TFiredSlot,
  type TIsJobActive,
  type TStartRun,
} from "./fire-due-schedules";

export const DEFAULT_TICK_MS = 15_000;

export type TSchedulerArgs = {
  tickMs?: number;
  now?: () => Date;
  random?: () => number;
  startRun: TStartRun;
  isJobActive?: TIsJobActive;
  db?: PrismaClient;
};

export type TScheduler = {
  /** Stops the loop and waits for a tick in progress. */
  stop(): Promise<void>;
  /** One pass now, after any pass in progress; rejects if the pass fails. */
  tick(): Promise<TFiredSlot[]>;
};

/**
 * Fires due schedules every `tickMs`. Passes never overlap: the next one is timed from the end of
 * the last. Safe to run in several processes at once (see fireDueSchedules).
 */
export function startScheduler(args: TSchedulerArgs): TScheduler {
  const tickMs = args.tickMs ?? DEFAULT_TICK_MS;
  const now = args.now ?? (() => new Date());
  const random = args.random ?? Math.random;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
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

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void loop(), tickMs);
    // The scheduler alone must never keep the process alive.
    timer.unref();
  };

  const loop = async () => {
    try {
      await tick();
    } catch (error) {
      logger.error({ err: error }, "scheduler tick failed");
    }
    schedule();
  };

  schedule();
  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await last;
    },
  };
}
