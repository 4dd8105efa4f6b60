import { describe, expect, it } from "vitest";
import { alertFor, ZAlertRules, type TRunOutcome } from "./alert-rules";

const rules = (over: Partial<ReturnType<typeof ZAlertRules.parse>> = {}) => ({
  ...ZAlertRules.parse({}),
  ...over,
});
const ok = (rows = 1000): TRunOutcome => ({ status: "completed", rows, isTruncated: false });
const failed: TRunOutcome = { status: "failed", rows: null, isTruncated: false };
const partial: TRunOutcome = { status: "completed_with_errors", rows: 500, isTruncated: false };
const cancelled: TRunOutcome = { status: "cancelled", rows: null, isTruncated: false };

/** the alert each run would raise, as the runs come in one by one */
const alertsAlong = (rulesUsed: ReturnType<typeof rules>, runs: TRunOutcome[]) =>
  runs.map((_, index) => alertFor(rulesUsed, runs.slice(0, index + 1)));

describe("alert rules", () => {
  it("alerts once per failure streak and once on recovery", () => {
    expect(alertsAlong(rules(), [ok(), failed, failed, failed, ok(), ok(), failed])).toEqual([
      null,
      "failure",
      null,
      null,
      "recovery",
      null,
      "failure",
    ]);
  });

  it("alerts a first run that fails, and keeps quiet about recovery when told to", () => {
    expect(alertsAlong(rules({ onRecovery: false }), [failed, ok()])).toEqual(["failure", null]);
  });

  it("treats a partial failure as the same streak as a failure, and skips cancelled runs", () => {
    expect(alertsAlong(rules(), [ok(), partial, cancelled, failed, cancelled, ok()])).toEqual([
      null,
      "partial",
      null,
      null,
      null,
      "recovery",
    ]);
    expect(alertsAlong(rules({ onPartial: false }), [ok(), partial, ok()])).toEqual([
      null,
      null,
      null,
    ]);
  });

  it("alerts a truncated report only when asked", () => {
    const truncated = { ...ok(), isTruncated: true };
    expect(alertsAlong(rules(), [ok(), truncated])).toEqual([null, null]);
    expect(alertsAlong(rules({ onTruncated: true }), [ok(), truncated, ok()])).toEqual([
      null,
      "truncated",
      "recovery",
    ]);
  });

  it("alerts a row count that drops by more than the share against the median of the runs before", () => {
    const dropRules = rules({ rowDropPercent: 30 });
    // median of 1000, 1100, 900, 5000 (an outlier does not move it) is 1050, 70 % of it 735;
    // with 740 too the median is 1000, and 690 is under its 70 %
    const runs = [ok(1000), ok(1100), ok(900), ok(5000), ok(740), ok(690), ok(500), ok(1000)];
    expect(alertsAlong(dropRules, runs)).toEqual([
      null,
      null,
      null,
      null,
      null,
      "row_drop",
      null,
      "recovery",
    ]);
    // without earlier runs there is nothing to compare with
    expect(alertFor(dropRules, [ok(1)])).toBeNull();
    // a low run is not part of the baseline later runs are measured against
    expect(alertFor(dropRules, [ok(1000), ok(100), ok(1000), ok(690)])).toBe("row_drop");
  });
});
