import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogRing, listRecentWarnings, logger, RECENT_WARNINGS_KEPT } from "./logger";

afterEach(() => vi.restoreAllMocks());

describe("logger", () => {
  it("redacts secret-looking fields at any depth and keeps the rest", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    logger.info(
      { user: "ann", connector: { password: "hunter2", apiKey: "k", host: "h" } },
      "hello",
    );
    const entry = JSON.parse(lines[0]!);
    expect(entry.message).toBe("hello");
    expect(entry.user).toBe("ann");
    expect(entry.connector).toEqual({ password: "[redacted]", apiKey: "[redacted]", host: "h" });
    expect(lines[0]).not.toContain("hunter2");
  });
});

describe("recent warnings", () => {
  const line = (level: "info" | "warn" | "error", message: string) => ({
    time: new Date().toISOString(),
    level,
    message,
    fields: {},
  });

  it("keeps only the newest lines, newest first, once the ring is full", () => {
    const ring = createLogRing(3);
    expect(ring.newestFirst()).toEqual([]);
    ring.keep(line("warn", "one"));
    ring.keep(line("error", "two"));
    expect(ring.newestFirst().map((l) => l.message)).toEqual(["two", "one"]);
    for (const message of ["three", "four", "five", "six", "seven"])
      ring.keep(line("warn", message));
    expect(ring.newestFirst().map((l) => l.message)).toEqual(["seven", "six", "five"]);
  });

  it("drops info lines", () => {
    const ring = createLogRing(3);
    ring.keep(line("warn", "kept"));
    ring.keep(line("info", "dropped"));
    expect(ring.newestFirst().map((l) => `${l.level} ${l.message}`)).toEqual(["warn kept"]);
  });

  it("keeps the logger's warn and error lines, redacted, and at most RECENT_WARNINGS_KEPT", () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    vi.spyOn(console, "error").mockImplementation(() => {});
    logger.warn({ host: "h", connector: { password: "hunter2" } }, "slow host");
    logger.info({}, "an info line");
    logger.error({ err: new Error("disk full") }, "store failed");
    const [newest, before] = listRecentWarnings();
    expect(newest).toMatchObject({
      level: "error",
      message: "store failed",
      fields: { err: { name: "Error", message: "disk full" } },
    });
    expect(before).toMatchObject({
      level: "warn",
      message: "slow host",
      fields: { host: "h", connector: { password: "[redacted]" } },
    });
    expect(JSON.stringify(listRecentWarnings())).not.toContain("hunter2");

    for (let i = 0; i < RECENT_WARNINGS_KEPT + 50; i++) logger.warn({ i }, "again");
    const lines = listRecentWarnings();
    expect(lines).toHaveLength(RECENT_WARNINGS_KEPT);
    expect(lines[0]!.fields).toEqual({ i: RECENT_WARNINGS_KEPT + 49 });
    expect(lines.at(-1)!.fields).toEqual({ i: 50 });
  });

  it("cuts a huge line's fields instead of keeping them whole", () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    logger.warn({ body: "x".repeat(100_000) }, "huge");
    const [newest] = listRecentWarnings();
    expect(JSON.stringify(newest!.fields).length).toBeLessThan(5_000);
  });
});
