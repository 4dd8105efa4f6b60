import { describe, expect, it, vi } from "vitest";
import { describeHttpStatus, DownloadError, formatByteLimit, formatSeconds } from "./errors";

describe("plain-words helpers", () => {
  it("names HTTP statuses with their standard reason", () => {
    expect(describeHttpStatus(404)).toBe("404 Not Found");
    expect(describeHttpStatus(500)).toBe("500 Internal Server Error");
    expect(describeHttpStatus(503)).toBe("503 Service Unavailable");
    expect(describeHttpStatus(599)).toBe("HTTP 599");
  });

  it("formats size limits the way users set them", () => {
    expect(formatByteLimit(50 * 1024 * 1024)).toBe("50 MB");
    expect(formatByteLimit(2 * 1024 * 1024)).toBe("2 MB");
    expect(formatByteLimit(1.5 * 1024 * 1024)).toBe("1.5 MB");
    expect(formatByteLimit(512 * 1024)).toBe("512 KB");
    expect(formatByteLimit(100)).toBe("100 bytes");
  });

  it("formats durations in seconds", () => {
    expect(formatSeconds(45_000)).toBe("45 s");
    expect(formatSeconds(300)).toBe("0.3 s");
    expect(formatSeconds(1250)).toBe("1.25 s");
  });

  it("copies every field when rewording an error", () => {
    const original = new DownloadError("http", "503 Service Unavailable", {
      retryable: true,
      httpStatus: 503,
      retryAfterMs: 1000,
    });
    const reworded = original.withMessage("503 Service Unavailable (after 4 attempts)");
    expect(reworded).toMatchObject({
      kind: "http",
      retryable: true,
      httpStatus: 503,
      retryAfterMs: 1000,
    });
    expect(reworded.message).toBe("503 Service Unavailable (after 4 attempts)");
    expect(reworded).toBeInstanceOf(Error);
  });
});

describe("DownloadError across bundles", () => {
  it("is recognised by instanceof when another copy of the module threw it", async () => {
    vi.resetModules();
    const other = await import("./errors");
    expect(other.DownloadError).not.toBe(DownloadError);
    const thrown = new other.DownloadError("http", "401 Unauthorized", { httpStatus: 401 });
    expect(thrown instanceof DownloadError).toBe(true);
    expect(new DownloadError("network", "x") instanceof other.DownloadError).toBe(true);
    expect(new Error("x") instanceof DownloadError).toBe(false);
    expect((null as unknown as object) instanceof DownloadError).toBe(false);
  });
});
