// When a schedule's run is worth telling someone about. Pure and client-safe: the schedule form
// edits these rules, the server applies them when a run ends.
import { z } from "@/server/forms/zod";

export const ZAlertRules = z.object({
  /** alert channels (connector ids: e-mail, webhook, Slack, Teams) */
  channels: z.array(z.uuid()).max(10, "Alert 10 channels at most.").default([]),
  onFailure: z.boolean().default(true),
  /** some of the run's reports failed */
  onPartial: z.boolean().default(true),
  /** a system sent fewer rows than the report has */
  onTruncated: z.boolean().default(false),
  /** the first good run after an alerted one */
  onRecovery: z.boolean().default(true),
  /** alert when a run brings this share fewer rows than the median of the runs before it */
  rowDropPercent: z
    .number()
    .int()
    .min(1, "Use a share from 1 to 99 %.")
    .max(99, "Use a share from 1 to 99 %.")
    .nullable()
    .default(null),
});
export type TAlertRules = z.output<typeof ZAlertRules>;

/** What the rules need of a run: how it ended, and what it brought. */
export type TRunOutcome = { status: string; rows: number | null; isTruncated: boolean };

export type TAlertEvent = "failure" | "partial" | "truncated" | "row_drop" | "recovery";

/** how many good runs before a run its row count is measured against */
export const ROW_BASELINE_RUNS = 10;

export function parseAlertRules(json: string): TAlertRules {
  const parsed = ZAlertRules.safeParse(JSON.parse(json || "{}"));
  return parsed.success ? parsed.data : ZAlertRules.parse({});
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The usual row count before a run: the median of the good runs before it, or null. */
export function rowBaseline(rules: TAlertRules, earlier: TRunOutcome[]): number | null {
  const good = earlier.filter(
    (run, index) =>
      run.status === "completed" &&
      run.rows !== null &&
      problemOf(rules, run, earlier.slice(0, index)) === null,
  );
  return median(good.slice(-ROW_BASELINE_RUNS).map((run) => run.rows!));
}

/** What is wrong with a run by the rules, given the runs before it (oldest first), or null. */
export function problemOf(
  rules: TAlertRules,
  run: TRunOutcome,
  earlier: TRunOutcome[],
): Exclude<TAlertEvent, "recovery"> | null {
  if (run.status === "failed") return rules.onFailure ? "failure" : null;
  if (run.status === "completed_with_errors" && rules.onPartial) return "partial";
  if (run.isTruncated && rules.onTruncated) return "truncated";
  if (rules.rowDropPercent !== null && run.rows !== null && run.status === "completed") {
    const baseline = rowBaseline(rules, earlier);
    if (baseline !== null && baseline > 0 && run.rows < baseline * (1 - rules.rowDropPercent / 100))
      return "row_drop";
  }
  return null;
}

/**
 * The alert the last run of `history` (oldest first) calls for, or null. One alert when things
 * go wrong, none while they stay wrong (a streak of failures is one alert, not a storm), and one
 * when a good run follows. Cancelled runs say nothing either way.
 */
export function alertFor(rules: TAlertRules, history: TRunOutcome[]): TAlertEvent | null {
  if (history.length === 0 || history.at(-1)!.status === "cancelled") return null;
  const ended = history.filter((run) => run.status !== "cancelled");
  const problems = ended.map((run, index) => problemOf(rules, run, ended.slice(0, index)));
  const now = problems.at(-1)!;
  const before = problems.length > 1 ? problems.at(-2)! : null;
  if (now) return before ? null : now;
  return before && rules.onRecovery ? "recovery" : null;
}
