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

  it("says what is wrong with a template", () => {
    expect(validateFileNameTemplate("{report}_{date:yyyyMMdd}.csv")).toBeNull();
    expect(validateFileNameTemplate("{name}.csv")).toMatch(/Unknown placeholder \{name\}/);
    expect(validateFileNameTemplate("{date:yyyy-QQ}")).toMatch(/may use yyyy/);
    expect(validateFileNameTemplate("{report.csv")).toMatch(/no partner/);
  });
});
