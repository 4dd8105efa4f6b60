import { describe, expect, it } from "vitest";
import {
  estimateSecondsLeft,
  forgetJobActivity,
  readJobActivity,
  recordFinishedImages,
  trackDownload,
} from "./job-activity";

const T0 = 1_000_000;

describe("job activity", () => {
  it("lists downloads waiting to try again first, then later attempts, then the longest running", () => {
    const job = "job-order";
    const item = (n: number) => ({ itemIds: [`i${n}`], productId: "p", url: `http://x/${n}` });
    const early = trackDownload(job, item(1), T0);
    const retrying = trackDownload(job, item(2), T0 + 1_000);
    const waiting = trackDownload(job, item(3), T0 + 2_000);
    trackDownload(job, item(4), T0 + 3_000);
    retrying.attemptStarts(2, T0 + 5_000);
    waiting.waitsForRetry("503 Service Unavailable", 12_000, T0 + 6_000);
    const activity = readJobActivity(job, 3, T0 + 7_000);
    expect(activity.inFlightCount).toBe(4);
    expect(activity.inFlight.map((d) => d.url)).toEqual(["http://x/3", "http://x/2", "http://x/1"]);
    expect(activity.inFlight[0]).toMatchObject({
      attempt: 1,
      retryAt: T0 + 18_000,
      lastError: "503 Service Unavailable",
    });
    early.ends();
    expect(readJobActivity(job, 20, T0 + 8_000).inFlightCount).toBe(3);
    forgetJobActivity(job);
    expect(readJobActivity(job, 20, T0 + 8_000).inFlightCount).toBe(0);
  });

  it("gives a rate only from enough finishes over enough time, and forgets old ones", () => {
    const job = "job-rate";
    trackDownload(job, { itemIds: ["a"], productId: "p", url: "http://x/a" }, T0);
    recordFinishedImages(job, 30, T0 + 2_000);
    // 2 s of watching is too little to say how long the rest takes
    expect(readJobActivity(job, 20, T0 + 2_000).imagesPerSecond).toBeNull();
    recordFinishedImages(job, 20, T0 + 9_000);
    expect(readJobActivity(job, 20, T0 + 10_000).imagesPerSecond).toBe(5);
    // a minute later only the finishes of that minute count: none, so no rate
    expect(readJobActivity(job, 20, T0 + 80_000).imagesPerSecond).toBeNull();
    forgetJobActivity(job);
  });

  it("estimates the time left from the rate, and nothing without one", () => {
    expect(estimateSecondsLeft(900, 5)).toBe(180);
    expect(estimateSecondsLeft(900, null)).toBeNull();
    expect(estimateSecondsLeft(0, 5)).toBeNull();
  });
});
