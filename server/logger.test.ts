import { afterEach, describe, expect, it, vi } from "vitest";
import { logger } from "./logger";

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
