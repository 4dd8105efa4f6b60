import { Cron } from "croner";

/** When a schedule fires. Jitter ranges are whole minutes, both ends included. */
export type TScheduleSpec =
  | {
      kind: "interval";
      intervalMinutes: number;
      firstJitter: [number, number];
      laterJitter: [number, number];
    }
  | { kind: "cron"; expression: string; timeZone: string };

export type TSpecCheck = { ok: true } | { ok: false; message: string };

/** The schedule columns a spec is read from (a Prisma `Schedule` row fits). */
export type TScheduleSpecRow = {
  kind: string;
  intervalMinutes: number | null;
  firstJitterMinMinutes: number;
  firstJitterMaxMinutes: number;
  laterJitterMinMinutes: number;
  laterJitterMaxMinutes: number;
  cronExpression: string | null;
  timeZone: string;
};

const MINUTE_MS = 60_000;

type TCronField = { name: string; min: number; max: number; names?: readonly string[] };

const CRON_FIELDS: readonly TCronField[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of the month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  // 7 is Sunday too, as in classic cron
  {
    name: "day of the week",
    min: 0,
    max: 7,
    names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
  },
];

const CRON_ITEM = /^(?:(\*)|([0-9]+|[a-z]+)(?:-([0-9]+|[a-z]+))?)(?:\/([0-9]+))?$/i;

export function scheduleSpecFromRow(row: TScheduleSpecRow): TScheduleSpec {
  if (row.kind === "cron") {
    return { kind: "cron", expression: row.cronExpression ?? "", timeZone: row.timeZone };
  }
  return {
    kind: "interval",
    intervalMinutes: row.intervalMinutes ?? 0,
    firstJitter: [row.firstJitterMinMinutes, row.firstJitterMaxMinutes],
    laterJitter: [row.laterJitterMinMinutes, row.laterJitterMaxMinutes],
  };
}

export function validateScheduleSpec(spec: TScheduleSpec): TSpecCheck {
  if (spec.kind === "cron") {
    const problem = cronProblem(spec.expression) ?? timeZoneProblem(spec.timeZone);
    if (problem) return { ok: false, message: problem };
    try {
      // A day that never exists (30 February) parses fine but would leave the schedule stuck.
      if (!cronFor(spec).nextRun(new Date(0))) {
        return {
          ok: false,
          message: `The cron expression "${spec.expression.trim()}" never matches a real date (like 30 February).`,
        };
      }
    } catch (error) {
      return { ok: false, message: cronLibraryMessage(spec.expression, error) };
    }
    return { ok: true };
  }
  const { intervalMinutes } = spec;
  if (!Number.isInteger(intervalMinutes)) {
    return { ok: false, message: "The interval must be a whole number of minutes." };
  }
  if (intervalMinutes < 1) {
    return { ok: false, message: "The interval must be at least 1 minute." };
  }
  const problem =
    jitterProblem(spec.firstJitter, "the first run") ??
    jitterProblem(spec.laterJitter, "later runs");
  return problem ? { ok: false, message: problem } : { ok: true };
}

/**
 * The slot after `after`. Interval: the first run lands `firstJitter` after enabling, each later
 * one `intervalMinutes` plus `laterJitter` after the previous. Cron: the next matching minute
 * strictly after `after`, read in the spec's time zone. Throws on an invalid spec.
 */
export function nextSlotAfter(
  spec: TScheduleSpec,
  after: Date,
  args: { isFirst: boolean; random: () => number },
): Date {
  if (spec.kind === "interval") {
    const base = args.isFirst ? 0 : spec.intervalMinutes * MINUTE_MS;
    const jitter = args.isFirst ? spec.firstJitter : spec.laterJitter;
    return new Date(after.getTime() + base + drawJitterMs(jitter, args.random));
  }
  const next = cronFor(spec).nextRun(after);
  if (!next)
    throw new Error(
      `The cron expression "${spec.expression}" has no time after ${after.toISOString()}.`,
    );
  return next;
}

/**
 * The next `count` runs for the editor. Cron runs are exact; an interval run is a window from its
 * earliest to its latest possible time (`latest` left out when the jitter leaves no room).
 * Throws on an invalid spec: validate first.
 */
export function previewNextRuns(
  spec: TScheduleSpec,
  from: Date,
  count = 5,
): Array<{ at: Date; latest?: Date }> {
  const runs: Array<{ at: Date; latest?: Date }> = [];
  if (spec.kind === "cron") {
    const cron = cronFor(spec);
    let previous = from;
    for (let i = 0; i < count; i++) {
      const next = cron.nextRun(previous);
      if (!next) break;
      runs.push({ at: next });
      previous = next;
    }
    return runs;
  }
  let earliest = from.getTime() + spec.firstJitter[0] * MINUTE_MS;
  let latest = from.getTime() + spec.firstJitter[1] * MINUTE_MS;
  for (let i = 0; i < count; i++) {
    if (i > 0) {
      earliest += (spec.intervalMinutes + spec.laterJitter[0]) * MINUTE_MS;
      latest += (spec.intervalMinutes + spec.laterJitter[1]) * MINUTE_MS;
    }
    runs.push(
      latest > earliest
        ? { at: new Date(earliest), latest: new Date(latest) }
        : { at: new Date(earliest) },
    );
  }
  return runs;
}

export function describeSpec(spec: TScheduleSpec): string {
  if (spec.kind === "cron") return `cron “${spec.expression.trim()}” in ${spec.timeZone}`;
  const every =
    spec.intervalMinutes === 1 ? "every minute" : `every ${spec.intervalMinutes} minutes`;
  const [min, max] = spec.laterJitter;
  if (max <= 0) return every;
  const amount = min === max ? `${min}` : min === 0 ? `up to ${max}` : `${min}–${max}`;
  return `${every}, plus ${amount} minute${max === 1 ? "" : "s"} of jitter`;
}

/** Uniform over whole seconds in the range, both ends reachable: random 0 gives min, just below 1 gives max. */
function drawJitterMs([min, max]: [number, number], random: () => number): number {
  const spanSeconds = Math.round((max - min) * 60);
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return min * MINUTE_MS + Math.floor(r * (spanSeconds + 1)) * 1000;
}

function cronFor(spec: { expression: string; timeZone: string }): Cron {
  // No callback: croner only evaluates and never starts a timer of its own.
  return new Cron(spec.expression.trim(), { mode: "5-part", timezone: spec.timeZone });
}

function jitterProblem([min, max]: [number, number], which: string): string | null {
  if (!Number.isInteger(min) || !Number.isInteger(max)) {
    return `The jitter for ${which} must be whole minutes.`;
  }
  if (min < 0 || max < 0) {
    return `The jitter for ${which} cannot be negative (${min} to ${max} minutes).`;
  }
  if (min > max) {
    return `The jitter for ${which} runs from ${min} to ${max} minutes: the smallest must come first.`;
  }
  return null;
}

function timeZoneProblem(timeZone: string): string | null {
  try {
    if (timeZone.trim() === "") throw new RangeError("empty");
    new Intl.DateTimeFormat("en-US", { timeZone });
    return null;
  } catch {
    return `Unknown time zone "${timeZone}": use a name like Europe/Berlin, America/New_York or UTC.`;
  }
}

/** Plain-words checks for classic 5-field cron; croner's own errors name internal indexes. */
function cronProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 5) {
    return `A cron expression has 5 fields (minute, hour, day of the month, month, day of the week); "${expression.trim()}" has ${fields.length}.`;
  }
  for (const [index, text] of fields.entries()) {
    const field = CRON_FIELDS[index];
    if (!field) continue;
    for (const item of text.split(",")) {
      const problem = cronItemProblem(item, field);
      if (problem) return problem;
    }
  }
  return null;
}

function cronItemProblem(item: string, field: TCronField): string | null {
  const match = CRON_ITEM.exec(item);
  if (!match) {
    return `The ${field.name} field has "${item}", which cron does not understand: use a number, a range like 1-5, a list like 1,15 or a step like */10.`;
  }
  const [, star, fromText, toText, stepText] = match;
  if (stepText !== undefined) {
    if (Number(stepText) === 0)
      return `The ${field.name} field has a step of 0 ("${item}"); a step must be 1 or more.`;
    if (!star && toText === undefined) {
      return `The ${field.name} field has "${item}": a step needs * or a range before it, like */${stepText} or ${fromText}-${field.max}/${stepText}.`;
    }
  }
  if (star) return null;
  const from = cronValue(fromText ?? "", field);
  if (typeof from === "string") return from;
  if (toText === undefined) return null;
  const to = cronValue(toText, field);
  if (typeof to === "string") return to;
  if (from > to) {
    return `The ${field.name} range "${fromText}-${toText}" runs backwards: put the smaller value first.`;
  }
  return null;
}

function cronValue(text: string, field: TCronField): number | string {
  if (/^[0-9]+$/.test(text)) {
    const value = Number(text);
    if (value < field.min || value > field.max) {
      return `The ${field.name} ${value} is out of range: use ${field.min} to ${field.max}.`;
    }
    return value;
  }
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index < 0) {
    return field.names
      ? `The ${field.name} field has an unknown name "${text}": use ${field.names[0]} to ${field.names[field.names.length - 1]} or numbers.`
      : `The ${field.name} field allows numbers only, not "${text}".`;
  }
  return index + field.min;
}

function cronLibraryMessage(expression: string, error: unknown): string {
  const detail = error instanceof Error ? error.message.replace(/^\w+:\s*/, "") : String(error);
  return `The cron expression "${expression.trim()}" is not valid: ${detail}`;
}
