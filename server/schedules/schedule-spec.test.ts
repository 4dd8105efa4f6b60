import { describe, expect, it } from "vitest";
import {
  describeSpec,
  nextSlotAfter,
  previewNextRuns,
  scheduleSpecFromRow,
  validateScheduleSpec,
  type TScheduleSpec,
} from "./schedule-spec";

const at = (iso: string) => new Date(iso);
const JUST_BELOW_ONE = 1 - 1e-12;

const everyTwoHours: TScheduleSpec = {
  kind: "interval",
  intervalMinutes: 120,
  firstJitter: [1, 5],
  laterJitter: [1, 20],
};

const cron = (expression: string, timeZone: string): TScheduleSpec => ({
  kind: "cron",
  expression,
  timeZone,
});

/** Each slot computed from the one before, the way the scheduler moves nextRunAt on. */
function slots(spec: TScheduleSpec, from: string, count: number): string[] {
  const out: string[] = [];
  let after = at(from);
  for (let i = 0; i < count; i++) {
    after = nextSlotAfter(spec, after, { isFirst: false, random: () => 0 });
    out.push(after.toISOString());
  }
  return out;
}

describe("interval slots", () => {
  const enabledAt = at("2026-01-01T10:00:00.000Z");

  it("puts the first run 1 to 5 minutes after enabling", () => {
    const first = (random: number) =>
      nextSlotAfter(everyTwoHours, enabledAt, { isFirst: true, random: () => random });
    expect(first(0)).toEqual(at("2026-01-01T10:01:00.000Z"));
    expect(first(JUST_BELOW_ONE)).toEqual(at("2026-01-01T10:05:00.000Z"));
    expect(first(0.5)).toEqual(at("2026-01-01T10:03:00.000Z"));
  });

  it("adds 1 to 20 minutes to each later interval", () => {
    const later = (random: number) =>
      nextSlotAfter(everyTwoHours, enabledAt, { isFirst: false, random: () => random });
    expect(later(0)).toEqual(at("2026-01-01T12:01:00.000Z"));
    expect(later(JUST_BELOW_ONE)).toEqual(at("2026-01-01T12:20:00.000Z"));
  });

  it("stays inside the range even when the random source returns 1", () => {
    expect(nextSlotAfter(everyTwoHours, enabledAt, { isFirst: false, random: () => 1 })).toEqual(
      at("2026-01-01T12:20:00.000Z"),
    );
  });

  it("spreads runs over whole seconds of the range", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 241; i++) {
      const slot = nextSlotAfter(everyTwoHours, enabledAt, {
        isFirst: true,
        random: () => (i + 0.5) / 241,
      });
      seen.add(slot.getTime());
    }
    // 1:00 to 5:00 minutes inclusive is 241 distinct seconds
    expect(seen.size).toBe(241);
    expect(Math.min(...seen)).toBe(at("2026-01-01T10:01:00.000Z").getTime());
    expect(Math.max(...seen)).toBe(at("2026-01-01T10:05:00.000Z").getTime());
  });

  it("adds no jitter when the range is zero", () => {
    const plain: TScheduleSpec = { ...everyTwoHours, firstJitter: [0, 0], laterJitter: [0, 0] };
    expect(nextSlotAfter(plain, enabledAt, { isFirst: false, random: () => 0.7 })).toEqual(
      at("2026-01-01T12:00:00.000Z"),
    );
  });
});

describe("cron slots", () => {
  it("returns the next matching minute strictly after the given time", () => {
    const spec = cron("30 9 * * *", "UTC");
    const next = (iso: string) =>
      nextSlotAfter(spec, at(iso), { isFirst: false, random: () => 0 }).toISOString();
    expect(next("2026-01-05T09:29:59.500Z")).toBe("2026-01-05T09:30:00.000Z");
    expect(next("2026-01-05T09:30:00.000Z")).toBe("2026-01-06T09:30:00.000Z");
    expect(next("2026-01-05T09:30:00.001Z")).toBe("2026-01-06T09:30:00.000Z");
  });

  it("reads the expression in the schedule's time zone", () => {
    expect(slots(cron("0 9 * * *", "Asia/Kolkata"), "2026-01-01T00:00:00Z", 1)).toEqual([
      "2026-01-01T03:30:00.000Z",
    ]);
  });

  it("skips the weekend for 0 9 * * 1-5", () => {
    // Friday 9 January 2026, 09:00 in Berlin (CET, UTC+1)
    expect(slots(cron("0 9 * * 1-5", "Europe/Berlin"), "2026-01-09T08:00:00Z", 2)).toEqual([
      "2026-01-12T08:00:00.000Z",
      "2026-01-13T08:00:00.000Z",
    ]);
  });

  it("skips the weekend across the spring change, at 09:00 summer time on Monday", () => {
    // Friday 27 March 2026 09:00 CET; clocks go forward on Sunday the 29th
    expect(slots(cron("0 9 * * 1-5", "Europe/Berlin"), "2026-03-27T08:00:00Z", 2)).toEqual([
      "2026-03-30T07:00:00.000Z",
      "2026-03-31T07:00:00.000Z",
    ]);
  });

  it("runs a daily 02:30 once at 03:00 summer time on the day 02:30 does not exist in Berlin", () => {
    // 29 March 2026: 02:00 CET jumps to 03:00 CEST (01:00 UTC), so 02:30 never happens that day
    expect(slots(cron("30 2 * * *", "Europe/Berlin"), "2026-03-28T12:00:00Z", 3)).toEqual([
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T00:30:00.000Z",
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  it("runs a daily 01:30 once on the day 01:30 happens twice in New York", () => {
    // 1 November 2026: 02:00 EDT falls back to 01:00 EST, so 01:30 is 05:30 and 06:30 UTC
    expect(slots(cron("30 1 * * *", "America/New_York"), "2026-10-31T12:00:00Z", 3)).toEqual([
      "2026-11-01T05:30:00.000Z",
      "2026-11-02T06:30:00.000Z",
      "2026-11-03T06:30:00.000Z",
    ]);
    // computed from inside the repeated hour (as after a restart), it still does not fire again
    expect(slots(cron("30 1 * * *", "America/New_York"), "2026-11-01T06:00:00Z", 1)).toEqual([
      "2026-11-02T06:30:00.000Z",
    ]);
  });

  it("fires an hourly expression every real hour through the autumn change", () => {
    // 25 October 2026: 03:00 CEST falls back to 02:00 CET (01:00 UTC), so 02:15 happens twice
    expect(slots(cron("15 * * * *", "Europe/Berlin"), "2026-10-25T00:00:00Z", 3)).toEqual([
      "2026-10-25T00:15:00.000Z",
      "2026-10-25T01:15:00.000Z",
      "2026-10-25T02:15:00.000Z",
    ]);
  });

  it("keeps day-of-month and day-of-week as alternatives, as classic cron does", () => {
    // the 1st of the month or any Monday
    expect(slots(cron("0 0 1 * 1", "UTC"), "2026-01-25T00:00:00Z", 3)).toEqual([
      "2026-01-26T00:00:00.000Z",
      "2026-02-01T00:00:00.000Z",
      "2026-02-02T00:00:00.000Z",
    ]);
  });
});

describe("previewNextRuns", () => {
  it("shows each interval run as a window that widens with every run", () => {
    const runs = previewNextRuns(everyTwoHours, at("2026-01-01T10:00:00Z"), 3);
    expect(runs.map((r) => [r.at.toISOString(), r.latest?.toISOString()])).toEqual([
      ["2026-01-01T10:01:00.000Z", "2026-01-01T10:05:00.000Z"],
      ["2026-01-01T12:02:00.000Z", "2026-01-01T12:25:00.000Z"],
      ["2026-01-01T14:03:00.000Z", "2026-01-01T14:45:00.000Z"],
    ]);
  });

  it("shows exact interval times when there is no jitter", () => {
    const plain: TScheduleSpec = { ...everyTwoHours, firstJitter: [0, 0], laterJitter: [0, 0] };
    expect(previewNextRuns(plain, at("2026-01-01T10:00:00Z"), 2)).toEqual([
      { at: at("2026-01-01T10:00:00Z") },
      { at: at("2026-01-01T12:00:00Z") },
    ]);
  });

  it("lists the next five exact cron times by default", () => {
    // Thursday 1 January 2026
    const runs = previewNextRuns(cron("0 6 * * 1-5", "Europe/Berlin"), at("2026-01-01T00:00:00Z"));
    expect(runs).toEqual(
      [
        "2026-01-01T05:00:00Z",
        "2026-01-02T05:00:00Z",
        "2026-01-05T05:00:00Z",
        "2026-01-06T05:00:00Z",
        "2026-01-07T05:00:00Z",
      ].map((iso) => ({ at: at(iso) })),
    );
  });
});

describe("validateScheduleSpec", () => {
  const message = (spec: TScheduleSpec) => {
    const result = validateScheduleSpec(spec);
    return result.ok ? null : result.message;
  };

  it("accepts the defaults and classic cron forms", () => {
    expect(validateScheduleSpec(everyTwoHours)).toEqual({ ok: true });
    for (const expression of [
      "0 6 * * 1-5",
      "*/15 * * * *",
      "0 9 * JAN,jul MON-FRI",
      "0 0 * * 7",
    ]) {
      expect(message(cron(expression, "Europe/Berlin"))).toBeNull();
    }
  });

  it("says what is wrong with a cron expression", () => {
    const problem = (expression: string) => message(cron(expression, "UTC"));
    expect(problem("0 6 * *")).toMatch(/has 5 fields .* has 4/);
    expect(problem("0 0 6 * * *")).toMatch(/has 6/);
    expect(problem("61 * * * *")).toBe("The minute 61 is out of range: use 0 to 59.");
    expect(problem("0 24 * * *")).toBe("The hour 24 is out of range: use 0 to 23.");
    expect(problem("0 0 0 * *")).toBe("The day of the month 0 is out of range: use 1 to 31.");
    expect(problem("0 0 * 13 *")).toBe("The month 13 is out of range: use 1 to 12.");
    expect(problem("0 0 * * 8")).toBe("The day of the week 8 is out of range: use 0 to 7.");
    expect(problem("0 0 * * FUN")).toMatch(/unknown name "FUN": use SUN to SAT/);
    expect(problem("*/0 * * * *")).toMatch(/step of 0/);
    expect(problem("5/10 * * * *")).toMatch(/a step needs \* or a range/);
    expect(problem("0 5-1 * * *")).toMatch(/range "5-1" runs backwards/);
    expect(problem("0 0 ? * *")).toMatch(/does not understand/);
    expect(problem("0 0 30 2 *")).toMatch(/never matches a real date/);
  });

  it("refuses an unknown time zone", () => {
    expect(message(cron("0 6 * * *", "Mars/Olympus"))).toMatch(
      /^Unknown time zone "Mars\/Olympus"/,
    );
    expect(message(cron("0 6 * * *", ""))).toMatch(/^Unknown time zone/);
  });

  it("refuses intervals under a minute and bad jitter", () => {
    expect(message({ ...everyTwoHours, intervalMinutes: 0 })).toBe(
      "The interval must be at least 1 minute.",
    );
    expect(message({ ...everyTwoHours, intervalMinutes: 1.5 })).toMatch(/whole number/);
    expect(message({ ...everyTwoHours, firstJitter: [5, 1] })).toMatch(
      /first run runs from 5 to 1 minutes: the smallest must come first/,
    );
    expect(message({ ...everyTwoHours, laterJitter: [-1, 20] })).toMatch(
      /later runs cannot be negative/,
    );
  });
});

describe("describeSpec", () => {
  it("describes both kinds in plain words", () => {
    expect(describeSpec(everyTwoHours)).toBe("every 120 minutes, plus 1–20 minutes of jitter");
    expect(describeSpec({ ...everyTwoHours, laterJitter: [0, 0] })).toBe("every 120 minutes");
    expect(describeSpec({ ...everyTwoHours, intervalMinutes: 1, laterJitter: [0, 5] })).toBe(
      "every minute, plus up to 5 minutes of jitter",
    );
    expect(describeSpec(cron("0 6 * * 1-5", "Europe/Berlin"))).toBe(
      "cron “0 6 * * 1-5” in Europe/Berlin",
    );
  });
});

describe("scheduleSpecFromRow", () => {
  it("reads the schedule columns", () => {
    const row = {
      kind: "interval",
      intervalMinutes: 120,
      firstJitterMinMinutes: 1,
      firstJitterMaxMinutes: 5,
      laterJitterMinMinutes: 1,
      laterJitterMaxMinutes: 20,
      cronExpression: null,
      timeZone: "UTC",
    };
    expect(scheduleSpecFromRow(row)).toEqual(everyTwoHours);
    expect(
      scheduleSpecFromRow({
        ...row,
        kind: "cron",
        cronExpression: "0 6 * * *",
        timeZone: "Europe/Berlin",
      }),
    ).toEqual(cron("0 6 * * *", "Europe/Berlin"));
  });
});
