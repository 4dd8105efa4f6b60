import { spawn } from "node:child_process";
import { once } from "node:events";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { PrismaClient } from "@/server/db/generated/client";
import { isPostgresRun, startTestApp } from "@/tests/support/test-app";
import type { TFiredSlot, TStartRun, TStartRunInput } from "./fire-due-schedules";
import { jobTitleFields } from "@/server/services/jobs/job-title";

let app: Awaited<ReturnType<typeof startTestApp>>;
let schedules: typeof import("./fire-due-schedules");
let scheduler: typeof import("./scheduler");
let logger: (typeof import("@/server/logger"))["logger"];
/**
 * A second connection to the same database, as another process or host would have. Its writes never
 * overlap the first connection's here: Prisma wraps updateMany in BEGIN…COMMIT with an await in
 * between, and a second connection in the same thread would wait on SQLite's lock synchronously,
 * so the first could never commit. Truly concurrent connections are raced in child processes.
 */
let otherDb: PrismaClient;
let reportIds: string[];

const T0 = new Date("2026-06-01T10:00:00.000Z");
const MINUTE = 60_000;
const plus = (date: Date, ms: number) => new Date(date.getTime() + ms);

beforeAll(async () => {
  app = await startTestApp();
  schedules = await import("./fire-due-schedules");
  scheduler = await import("./scheduler");
  ({ logger } = await import("@/server/logger"));
  const { env } = await import("@/server/env");
  const { createPrismaClient } = await import("@/server/db-client");
  otherDb = createPrismaClient(env.databaseUrl);
  // as the server's boot sets them (PostgreSQL has nothing to set)
  if (!isPostgresRun) {
    await app.db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
    for (const client of [app.db, otherDb])
      await client.$queryRawUnsafe("PRAGMA busy_timeout = 5000");
  }

  const connector = await app.db.connector.create({
    data: { name: "Metabase", kind: "metabase", baseUrl: "https://metabase.example.com" },
  });
  const [second, first] = await Promise.all(
    ["Revenue", "Orders"].map((name) =>
      app.db.report.create({ data: { name, connectorId: connector.id, query: "{}" } }),
    ),
  );
  reportIds = [first!.id, second!.id];
});

afterAll(async () => {
  await otherDb?.$disconnect();
  await app?.stop();
});

beforeEach(async () => {
  vi.restoreAllMocks();
  await app.db.job.deleteMany();
  await app.db.schedule.deleteMany();
});

let scheduleCount = 0;
async function createSchedule(data: {
  kind?: "interval" | "cron";
  intervalMinutes?: number;
  laterJitterMinMinutes?: number;
  laterJitterMaxMinutes?: number;
  cronExpression?: string;
  timeZone?: string;
  misfirePolicy?: string;
  overlapPolicy?: string;
  nextRunAt?: Date | null;
}) {
  const schedule = await app.db.schedule.create({
    data: {
      name: `Schedule ${++scheduleCount}`,
      kind: "interval",
      intervalMinutes: data.kind === "cron" ? null : 20,
      createdById: app.userId,
      nextRunAt: T0,
      ...data,
    },
  });
  // positions decide the order, not the order rows were written in
  await app.db.scheduleReport.createMany({
    data: [
      { scheduleId: schedule.id, reportId: reportIds[1]!, position: 1 },
      { scheduleId: schedule.id, reportId: reportIds[0]!, position: 0 },
    ],
  });
  return schedule;
}

/** A startRun that writes the job a real one would, and remembers every call. */
function recordRuns(database: () => PrismaClient = () => app.db) {
  const calls: TStartRunInput[] = [];
  const startRun: TStartRun = async (input) => {
    calls.push(input);
    const job = await database().job.create({
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
  return { calls, startRun };
}

const zero = () => 0;

async function reload(id: string) {
  return app.db.schedule.findUniqueOrThrow({ where: { id } });
}

describe("firing on time", () => {
  it("fires exactly at the slot and not a millisecond before", async () => {
    const schedule = await createSchedule({});
    const { calls, startRun } = recordRuns();

    expect(await schedules.fireDueSchedules({ now: plus(T0, -1), random: zero, startRun })).toEqual(
      [],
    );
    expect(calls).toHaveLength(0);

    const fired = await schedules.fireDueSchedules({ now: T0, random: zero, startRun });
    expect(fired).toEqual([
      { scheduleId: schedule.id, slot: T0, outcome: "started", jobId: expect.any(String) },
    ]);
    expect(calls).toEqual([
      {
        scheduleId: schedule.id,
        reportIds,
        createdById: app.userId,
        maxConcurrency: 4,
        maxAttempts: 5,
      },
    ]);
    const after = await reload(schedule.id);
    // 20 minutes plus the smallest later jitter (1 minute), counted from now
    expect(after.nextRunAt).toEqual(plus(T0, 21 * MINUTE));
    expect(after.lastFiredAt).toEqual(T0);
    expect(after.lastOutcome).toBe("started");
    expect(await app.db.job.count({ where: { scheduleId: schedule.id } })).toBe(1);

    // the next tick, 15 seconds later, finds nothing due
    expect(
      await schedules.fireDueSchedules({ now: plus(T0, 15_000), random: zero, startRun }),
    ).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it("moves a cron schedule on from its slot, not from the late tick", async () => {
    const schedule = await createSchedule({ kind: "cron", cronExpression: "*/20 * * * *" });
    const { startRun } = recordRuns();
    await schedules.fireDueSchedules({ now: plus(T0, 40_000), random: zero, startRun });
    expect((await reload(schedule.id)).nextRunAt).toEqual(plus(T0, 20 * MINUTE));
  });

  it("still runs a slot that is late by less than the grace period, even with misfire skip", async () => {
    const schedule = await createSchedule({ misfirePolicy: "skip" });
    const { calls, startRun } = recordRuns();
    const now = plus(T0, schedules.MISFIRE_GRACE_MS);
    const fired = await schedules.fireDueSchedules({ now, random: zero, startRun });
    expect(fired.map((f) => f.outcome)).toEqual(["started"]);
    expect(calls).toHaveLength(1);
    expect((await reload(schedule.id)).nextRunAt).toEqual(plus(now, 21 * MINUTE));
  });
});

describe("slots missed during 3 hours of downtime (20-minute interval)", () => {
  const backAt = plus(T0, 3 * 60 * MINUTE);

  it("skip: starts nothing and moves the next slot past now", async () => {
    const schedule = await createSchedule({ misfirePolicy: "skip" });
    const { calls, startRun } = recordRuns();
    const fired = await schedules.fireDueSchedules({ now: backAt, random: zero, startRun });
    expect(fired).toEqual([{ scheduleId: schedule.id, slot: T0, outcome: "skipped_misfire" }]);
    expect(calls).toHaveLength(0);
    const after = await reload(schedule.id);
    expect(after.nextRunAt).toEqual(plus(backAt, 21 * MINUTE));
    expect(after.lastOutcome).toBe("skipped_misfire");
    expect(
      await schedules.fireDueSchedules({ now: plus(backAt, 15_000), random: zero, startRun }),
    ).toEqual([]);
  });

  it("run_once: starts exactly one run for all missed slots together", async () => {
    const schedule = await createSchedule({ misfirePolicy: "run_once" });
    const { calls, startRun } = recordRuns();
    // the scheduler comes back and ticks every 15 seconds for a few minutes
    const fired: TFiredSlot[] = [];
    for (let t = 0; t < 4 * MINUTE; t += 15_000) {
      fired.push(
        ...(await schedules.fireDueSchedules({ now: plus(backAt, t), random: zero, startRun })),
      );
    }
    expect(fired).toEqual([
      { scheduleId: schedule.id, slot: T0, outcome: "started", jobId: expect.any(String) },
    ]);
    expect(calls).toHaveLength(1);
    expect((await reload(schedule.id)).nextRunAt).toEqual(plus(backAt, 21 * MINUTE));
  });

  it("run_once for cron: one run, then the first cron time after now", async () => {
    const schedule = await createSchedule({
      kind: "cron",
      cronExpression: "*/20 * * * *",
      misfirePolicy: "run_once",
    });
    const { calls, startRun } = recordRuns();
    const now = plus(backAt, 30_000);
    const fired = await schedules.fireDueSchedules({ now, random: zero, startRun });
    expect(fired.map((f) => f.outcome)).toEqual(["started"]);
    expect(calls).toHaveLength(1);
    expect((await reload(schedule.id)).nextRunAt).toEqual(plus(backAt, 20 * MINUTE));
  });

  it("skip for cron: no run, next slot is the first cron time after now", async () => {
    const schedule = await createSchedule({
      kind: "cron",
      cronExpression: "*/20 * * * *",
      misfirePolicy: "skip",
    });
    const { calls, startRun } = recordRuns();
    const fired = await schedules.fireDueSchedules({
      now: plus(backAt, 30_000),
      random: zero,
      startRun,
    });
    expect(fired.map((f) => f.outcome)).toEqual(["skipped_misfire"]);
    expect(calls).toHaveLength(0);
    expect((await reload(schedule.id)).nextRunAt).toEqual(plus(backAt, 20 * MINUTE));
  });
});

describe("overlap", () => {
  async function previousJob(
    scheduleId: string,
    data: { status: string; leaseUntil: Date | null; createdAt: Date },
  ) {
    return app.db.job.create({
      data: {
        kind: "report_run",
        ...jobTitleFields("Earlier run"),
        totalItems: 2,
        createdById: app.userId,
        scheduleId,
        ...data,
      },
    });
  }

  it("skips the slot while the last run is running under a valid lease", async () => {
    const schedule = await createSchedule({});
    await previousJob(schedule.id, {
      status: "running",
      leaseUntil: plus(T0, 2 * MINUTE),
      createdAt: plus(T0, -5 * MINUTE),
    });
    const { calls, startRun } = recordRuns();
    const fired = await schedules.fireDueSchedules({ now: T0, random: zero, startRun });
    expect(fired).toEqual([{ scheduleId: schedule.id, slot: T0, outcome: "skipped_overlap" }]);
    expect(calls).toHaveLength(0);
    const after = await reload(schedule.id);
    expect(after.nextRunAt).toEqual(plus(T0, 21 * MINUTE));
    expect(after.lastOutcome).toBe("skipped_overlap");
  });

  it("does not skip when that run's lease has lapsed: it is stuck, not active", async () => {
    const schedule = await createSchedule({});
    await previousJob(schedule.id, {
      status: "running",
      leaseUntil: plus(T0, -1000),
      createdAt: plus(T0, -30 * MINUTE),
    });
    const { calls, startRun } = recordRuns();
    const fired = await schedules.fireDueSchedules({ now: T0, random: zero, startRun });
    expect(fired.map((f) => f.outcome)).toEqual(["started"]);
    expect(calls).toHaveLength(1);
  });

  it("blocks on a queued run without a lease only for its first 10 minutes", async () => {
    const recent = await createSchedule({});
    await previousJob(recent.id, {
      status: "queued",
      leaseUntil: null,
      createdAt: plus(T0, -2 * MINUTE),
    });
    const old = await createSchedule({});
    await previousJob(old.id, {
      status: "queued",
      leaseUntil: null,
      createdAt: plus(T0, -11 * MINUTE),
    });
    const { startRun } = recordRuns();
    const fired = await schedules.fireDueSchedules({ now: T0, random: zero, startRun });
    const outcome = (id: string) => fired.find((f) => f.scheduleId === id)?.outcome;
    expect(outcome(recent.id)).toBe("skipped_overlap");
    expect(outcome(old.id)).toBe("started");
  });

  it("looks only at the most recent run", async () => {
    const schedule = await createSchedule({});
    await previousJob(schedule.id, {
      status: "running",
      leaseUntil: plus(T0, 2 * MINUTE),
      createdAt: plus(T0, -50 * MINUTE),
    });
    await previousJob(schedule.id, {
      status: "completed",
      leaseUntil: null,
      createdAt: plus(T0, -10 * MINUTE),
    });
    const { calls, startRun } = recordRuns();
    await schedules.fireDueSchedules({ now: T0, random: zero, startRun });
    expect(calls).toHaveLength(1);
  });

  it("lets isJobActive decide instead of the lease", async () => {
    const schedule = await createSchedule({});
    const job = await previousJob(schedule.id, {
      status: "running",
      leaseUntil: plus(T0, 2 * MINUTE),
      createdAt: plus(T0, -5 * MINUTE),
    });
    const isJobActive = vi.fn(() => false);
    const { calls, startRun } = recordRuns();
    await schedules.fireDueSchedules({ now: T0, random: zero, startRun, isJobActive });
    expect(isJobActive).toHaveBeenCalledWith(job.id);
    expect(calls).toHaveLength(1);
  });
});

describe("a run that cannot start", () => {
  it("counts the slot as fired, records failed_to_start and logs it", async () => {
    const error = vi.spyOn(logger, "error").mockImplementation(() => undefined);
    const schedule = await createSchedule({});
    const startRun = vi.fn(async () => {
      throw new Error("queue closed");
    });
    const fired = await schedules.fireDueSchedules({ now: T0, random: zero, startRun });
    expect(fired).toEqual([{ scheduleId: schedule.id, slot: T0, outcome: "failed_to_start" }]);
    expect(error).toHaveBeenCalledWith(
      { scheduleId: schedule.id, err: expect.objectContaining({ message: "queue closed" }) },
      "a scheduled run could not start",
    );
    const after = await reload(schedule.id);
    expect(after.lastOutcome).toBe("failed_to_start");
    expect(after.nextRunAt).toEqual(plus(T0, 21 * MINUTE));
    expect(
      await schedules.fireDueSchedules({ now: plus(T0, 15_000), random: zero, startRun }),
    ).toEqual([]);
    expect(startRun).toHaveBeenCalledTimes(1);
  });

  it("pauses a schedule whose stored timing is invalid instead of failing every tick", async () => {
    vi.spyOn(logger, "error").mockImplementation(() => undefined);
    const schedule = await createSchedule({ kind: "cron", cronExpression: "61 * * * *" });
    const { calls, startRun } = recordRuns();
    const fired = await schedules.fireDueSchedules({ now: T0, random: zero, startRun });
    expect(fired.map((f) => f.outcome)).toEqual(["failed_to_start"]);
    expect(calls).toHaveLength(0);
    expect(await reload(schedule.id)).toMatchObject({ isEnabled: false, nextRunAt: null });
  });
});

describe("enabling and pausing", () => {
  it("gives a new interval schedule its first slot within the first-run jitter, once", async () => {
    const schedule = await createSchedule({ nextRunAt: null });
    expect(await schedules.enableSchedule(schedule.id, T0, zero)).toEqual({
      nextRunAt: plus(T0, MINUTE),
    });
    // enabling again keeps the slot rather than postponing it
    expect(await schedules.enableSchedule(schedule.id, plus(T0, 30_000), () => 0.99)).toEqual({
      nextRunAt: plus(T0, MINUTE),
    });
  });

  it("pauses, then resumes a cron schedule at its next time", async () => {
    const schedule = await createSchedule({
      kind: "cron",
      cronExpression: "0 6 * * 1-5",
      timeZone: "Europe/Berlin",
    });
    await schedules.pauseSchedule(schedule.id);
    expect(await reload(schedule.id)).toMatchObject({ isEnabled: false, nextRunAt: null });
    const { startRun } = recordRuns();
    expect(
      await schedules.fireDueSchedules({ now: plus(T0, 1e9), random: zero, startRun }),
    ).toEqual([]);

    // Monday 1 June 2026, 12:00 in Berlin: next is Tuesday 06:00 CEST
    const { nextRunAt } = await schedules.enableSchedule(schedule.id, T0, zero);
    expect(nextRunAt).toEqual(new Date("2026-06-02T04:00:00.000Z"));
    expect(await reload(schedule.id)).toMatchObject({ isEnabled: true, nextRunAt });
  });

  it("refuses to enable an invalid schedule, and a missing one", async () => {
    const schedule = await createSchedule({
      kind: "cron",
      cronExpression: "0 6 * *",
      nextRunAt: null,
    });
    await expect(schedules.enableSchedule(schedule.id, T0, zero)).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/5 fields/),
    });
    await expect(schedules.pauseSchedule("nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

/** Deterministic random numbers, so a failing race can be replayed. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A scheduler instance in another process (fire-due-schedules.race-child.ts), on its own connection. */
function startInstanceProcess() {
  const script = fileURLToPath(new URL("./fire-due-schedules.race-child.ts", import.meta.url));
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", script], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    stdio: ["pipe", "pipe", "inherit"],
  });
  const pending: Array<{ resolve: (fired: TFiredSlot[]) => void; reject: (e: Error) => void }> = [];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    if (line === "READY") markReady();
    if (!line.startsWith("FIRED ")) return;
    const fired = JSON.parse(line.slice("FIRED ".length)) as Array<TFiredSlot & { slot: string }>;
    pending.shift()?.resolve(fired.map((f) => ({ ...f, slot: new Date(f.slot) })));
  });
  const exited = once(child, "exit");
  // a crashed instance fails the test at once instead of leaving it waiting for an answer
  void exited.then(([code]) => {
    for (const p of pending.splice(0)) p.reject(new Error(`instance exited with ${code}`));
  });
  return {
    ready: Promise.race([ready, exited.then(() => Promise.reject(new Error("instance exited")))]),
    fire(now: Date): Promise<TFiredSlot[]> {
      return new Promise((resolve, reject) => {
        pending.push({ resolve, reject });
        child.stdin.write(`${JSON.stringify({ now: now.toISOString() })}\n`);
      });
    },
    async stop() {
      child.stdin.end();
      await exited;
    },
  };
}

function countBySlot(fired: TFiredSlot[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of fired.filter((f) => f.outcome === "started")) {
    const key = `${f.scheduleId} ${f.slot.toISOString()}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

describe("two scheduler instances on one database", () => {
  const SLOTS = 50;

  it("fire each of 50 cron slots once when their passes race (one connection)", async () => {
    const schedule = await createSchedule({ kind: "cron", cronExpression: "*/5 * * * *" });
    const { calls, startRun } = recordRuns();
    const random = seeded(1);
    const fired: TFiredSlot[] = [];
    for (let i = 0; i < SLOTS; i++) {
      const now = plus(T0, i * 5 * MINUTE + Math.floor(random() * 30_000));
      const results = await Promise.all([
        schedules.fireDueSchedules({ now, random, startRun }),
        schedules.fireDueSchedules({ now, random, startRun }),
      ]);
      fired.push(...results.flat());
      // exactly one of the two won this round's slot
      expect(results.map((r) => r.length).sort()).toEqual([0, 1]);
    }
    const expected = Array.from({ length: SLOTS }, (_, i) => plus(T0, i * 5 * MINUTE));
    expect(fired.map((f) => f.slot)).toEqual(expected);
    expect([...countBySlot(fired).values()].every((n) => n === 1)).toBe(true);
    expect(calls).toHaveLength(SLOTS);
    expect(await app.db.job.count({ where: { scheduleId: schedule.id } })).toBe(SLOTS);
  });

  it("fire each of 50 slots once when three processes race on one database", async () => {
    const cron = await createSchedule({ kind: "cron", cronExpression: "*/5 * * * *" });
    const interval = await createSchedule({
      intervalMinutes: 2,
      laterJitterMinMinutes: 0,
      laterJitterMaxMinutes: 3,
    });
    const children = [startInstanceProcess(), startInstanceProcess()];
    try {
      await Promise.all(children.map((c) => c.ready));
      const local = recordRuns();
      const random = seeded(2);
      const wins = [0, 0, 0];
      const fired: TFiredSlot[] = [];
      for (let i = 0; i < SLOTS; i++) {
        const now = plus(T0, i * 5 * MINUTE);
        const results = await Promise.all([
          ...children.map((c) => c.fire(now)),
          schedules.fireDueSchedules({ now, random, startRun: local.startRun }),
        ]);
        results.forEach((r, k) => (wins[k]! += r.length));
        fired.push(...results.flat());
      }
      const counts = countBySlot(fired);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect(fired.every((f) => f.outcome === "started")).toBe(true);
      const slotsOf = (id: string) =>
        fired
          .filter((f) => f.scheduleId === id)
          .map((f) => f.slot.getTime())
          .sort((a, b) => a - b);
      expect(slotsOf(cron.id)).toEqual(
        Array.from({ length: SLOTS }, (_, i) => T0.getTime() + i * 5 * MINUTE),
      );
      // 2 to 5 minutes apart, ticked every 5 minutes: due on every round
      expect(slotsOf(interval.id)).toHaveLength(SLOTS);
      // every started slot has exactly one job, whichever process started it
      expect(await app.db.job.count()).toBe(counts.size);
      expect(local.calls).toHaveLength(wins[2]!);
      // the race was real: more than one process won slots
      expect(wins.filter((n) => n > 0).length).toBeGreaterThan(1);
    } finally {
      await Promise.all(children.map((c) => c.stop()));
    }
  });

  it("fire each slot of two schedules once when schedulers on two connections tick interleaved", async () => {
    const cron = await createSchedule({ kind: "cron", cronExpression: "*/5 * * * *" });
    const interval = await createSchedule({
      intervalMinutes: 3,
      laterJitterMinMinutes: 0,
      laterJitterMaxMinutes: 2,
    });
    let clock = T0;
    const a = recordRuns(() => app.db);
    const b = recordRuns(() => otherDb);
    const schedulerA = scheduler.createScheduler({
      now: () => clock,
      random: seeded(3),
      startRun: a.startRun,
      db: app.db,
    });
    const schedulerB = scheduler.createScheduler({
      now: () => plus(clock, 700),
      random: seeded(4),
      startRun: b.startRun,
      db: otherDb,
    });
    const schedulerA2 = scheduler.createScheduler({
      now: () => plus(clock, 300),
      random: seeded(5),
      startRun: a.startRun,
      db: app.db,
    });
    const fired: TFiredSlot[] = [];
    let step = 0;
    // 15-second ticks until the cron schedule has passed 50 slots
    while (clock < plus(T0, SLOTS * 5 * MINUTE - 1)) {
      if (step % 3 === 0) {
        // same connection: passes race; the other connection then finds nothing left to fire
        fired.push(...(await Promise.all([schedulerA.tick(), schedulerA2.tick()])).flat());
        fired.push(...(await schedulerB.tick()));
      } else {
        const [first, second] =
          step % 3 === 1 ? [schedulerA, schedulerB] : [schedulerB, schedulerA2];
        fired.push(...(await first.tick()), ...(await second.tick()));
      }
      clock = plus(clock, 15_000);
      step++;
    }
    await Promise.all([schedulerA.stop(), schedulerA2.stop(), schedulerB.stop()]);

    const counts = countBySlot(fired);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const cronSlots = fired.filter((f) => f.scheduleId === cron.id).map((f) => f.slot);
    expect(cronSlots).toEqual(Array.from({ length: SLOTS }, (_, i) => plus(T0, i * 5 * MINUTE)));
    const intervalSlots = fired.filter((f) => f.scheduleId === interval.id);
    // 250 minutes at 3 to 5 minutes apart
    expect(intervalSlots.length).toBeGreaterThanOrEqual(45);
    expect(fired.every((f) => f.outcome === "started")).toBe(true);
    expect(a.calls.length + b.calls.length).toBe(counts.size);
    expect(a.calls.length).toBeGreaterThan(0);
    expect(b.calls.length).toBeGreaterThan(0);
    expect(await app.db.job.count()).toBe(counts.size);
  });
});
