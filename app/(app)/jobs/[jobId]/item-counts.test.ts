import { describe, expect, it } from "vitest";
import { describeOutcome, describeReportOutcome, describeTimeLeft } from "./item-counts";

const none = {
  total: 0,
  pending: 0,
  downloading: 0,
  downloaded: 0,
  duplicate: 0,
  failed: 0,
  cancelled: 0,
};

describe("describeOutcome", () => {
  it("names downloaded and failed images apart", () => {
    expect(describeOutcome({ ...none, total: 9, downloaded: 3, failed: 6 })).toBe(
      "3 downloaded, 6 failed",
    );
  });

  it("says so when nothing was downloaded", () => {
    expect(describeOutcome({ ...none, total: 9, failed: 9 })).toBe("0 downloaded, 9 failed");
  });

  it("lists duplicates, cancelled images and those still to go", () => {
    expect(
      describeOutcome({
        ...none,
        total: 2_010,
        downloaded: 2_000,
        duplicate: 1,
        cancelled: 2,
        pending: 4,
        downloading: 3,
      }),
    ).toBe("2,000 downloaded, 1 duplicate, 2 cancelled, 7 to go");
  });
});

describe("describeTimeLeft", () => {
  it("rounds to what a person reads at a glance", () => {
    expect(describeTimeLeft(45)).toBe("less than a minute left");
    expect(describeTimeLeft(170)).toBe("about 3 min left");
    expect(describeTimeLeft(2 * 3600 + 5 * 60 + 10)).toBe("about 2 h 5 min left");
  });
});

describe("describeReportOutcome", () => {
  it("names succeeded, failed, cancelled and waiting reports", () => {
    const none = {
      pending: 0,
      running: 0,
      waiting_retry: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
    };
    expect(describeReportOutcome({ ...none, failed: 2 })).toBe("0 succeeded, 2 failed");
    expect(
      describeReportOutcome({ ...none, succeeded: 1, cancelled: 1, running: 1, waiting_retry: 2 }),
    ).toBe("1 succeeded, 1 cancelled, 3 to go");
  });
});
