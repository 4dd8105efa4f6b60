import { describe, expect, it } from "vitest";
import { formatIn } from "./format-time";
import { timeZoneNames, timeZoneProblem } from "./time-zones";

describe("time zones typed into a form", () => {
  it("lists UTC and the IANA zones", () => {
    const names = timeZoneNames();
    expect(names).toContain("UTC");
    expect(names).toContain("Europe/Berlin");
    expect(new Set(names).size).toBe(names.length);
  });

  it("says in a sentence what is wrong with an empty or partial zone, without throwing", () => {
    expect(timeZoneProblem("")).toMatch(/^Choose a time zone/);
    expect(timeZoneProblem("Europe/Ber")).toBe(
      "“Europe/Ber” is not a time zone: choose one from the list, like Europe/Berlin or UTC.",
    );
    expect(timeZoneProblem(" Europe/Berlin ")).toBeNull();
    expect(timeZoneProblem("UTC")).toBeNull();
  });

  it("formats a time in an unknown zone as UTC instead of throwing", () => {
    const at = new Date("2026-03-01T06:00:00Z");
    expect(formatIn(at, "Europe/Ber")).toBe(formatIn(at, "UTC"));
    expect(formatIn(at, "")).toBe(formatIn(at, "UTC"));
  });
});
