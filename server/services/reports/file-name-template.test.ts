import { describe, expect, it } from "vitest";
import { renderFileName, validateFileNameTemplate } from "./file-name-template";

const date = new Date("2026-11-23T09:05:07Z");

describe("file name templates", () => {
  it("fills the report name and the date in the chosen format and time zone", () => {
    const values = { report: "Sales EU", date, runId: "abcdef12-3456", extension: "csv" };
    expect(renderFileName("{report}_{date:yyyyMMdd_HHmm}.csv", values)).toBe(
      "Sales EU_20261123_0905.csv",
    );
    expect(
      renderFileName("{report}_{date:yyyy-MM-dd HH.mm.ss}", {
        ...values,
        timeZone: "Europe/Berlin",
      }),
    ).toBe("Sales EU_2026-11-23 10.05.07.csv");
    expect(renderFileName("{run}/{report}", values)).toBe("abcdef12_Sales EU.csv");
  });

  it("never starts a name with what a spreadsheet would run, so the summary lists it unchanged", () => {
    const values = { date, runId: "abcdef12-3456", extension: "csv" };
    expect(renderFileName("{report}", { ...values, report: "=HYPERLINK(1)" })).toBe(
      "_=HYPERLINK(1).csv",
    );
    expect(renderFileName("{report}", { ...values, report: "-EU totals" })).toBe("_-EU totals.csv");
    expect(renderFileName("{report}", { ...values, report: "@risk" })).toBe("_@risk.csv");
    expect(renderFileName("{report}", { ...values, report: "Sales-EU" })).toBe("Sales-EU.csv");
  });

  it("says what is wrong with a template", () => {
    expect(validateFileNameTemplate("{report}_{date:yyyyMMdd}.csv")).toBeNull();
    expect(validateFileNameTemplate("{name}.csv")).toMatch(/Unknown placeholder \{name\}/);
    expect(validateFileNameTemplate("{date:yyyy-QQ}")).toMatch(/may use yyyy/);
    expect(validateFileNameTemplate("{report.csv")).toMatch(/no partner/);
  });
});
