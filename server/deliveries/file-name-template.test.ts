import { describe, expect, it } from "vitest";
import { deliveryFileNames } from "./file-name-template";
import { ZDeliveryFileNameTemplate } from "./schemas";
import type { TDeliveryFile } from "./types";

const file = (name: string, report?: string): TDeliveryFile => ({
  name,
  path: `/tmp/${name}`,
  bytes: 1,
  sha256: "0".repeat(64),
  contentType: "text/csv",
  ...(report ? { report } : {}),
});
const context = {
  summary: { run: { id: "abcdef12-3456-7890" } },
  date: new Date("2026-11-23T23:30:00Z"),
};

describe("delivery file names", () => {
  it("keeps each file's own name without a template, and tells equal names apart", () => {
    expect(
      deliveryFileNames([file("Sales.csv"), file("sales.csv"), file("Costs.xlsx")], "", context),
    ).toEqual(["Sales.csv", "sales (2).csv", "Costs.xlsx"]);
  });

  it("fills {report} from the name given per file, {date} in the run's time zone and {run}", () => {
    const files = [file("Sales_20261123_2330.csv", "Sales"), file("Costs.csv")];
    expect(deliveryFileNames(files, "{report}_{date:yyyyMMdd}.csv", context)).toEqual([
      "Sales_20261123.csv",
      "Costs_20261123.csv",
    ]);
    expect(
      deliveryFileNames(files, "{report}_{date:yyyy-MM-dd}_{run}", {
        ...context,
        timeZone: "Europe/Berlin",
      }),
    ).toEqual(["Sales_2026-11-24_abcdef12.csv", "Costs_2026-11-24_abcdef12.csv"]);
  });

  it("gives a file its real extension when the template names another", () => {
    expect(
      deliveryFileNames([file("Orders.xlsx"), file("Orders.csv")], "{report}.csv", context),
    ).toEqual(["Orders.xlsx", "Orders.csv"]);
  });

  it("never lets two files of a run take one name, and never a path", () => {
    expect(
      deliveryFileNames([file("a.csv"), file("b.csv")], "daily_{date:yyyyMMdd}.csv", context),
    ).toEqual(["daily_20261123.csv", "daily_20261123 (2).csv"]);
    expect(deliveryFileNames([file("x.csv", "../../etc/passwd")], "{report}", context)).toEqual([
      "_.._etc_passwd.csv",
    ]);
  });

  it("refuses a template with an unknown placeholder where it is typed", () => {
    const parsed = ZDeliveryFileNameTemplate.safeParse("{reprot}.csv");
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain("Unknown placeholder {reprot}");
    expect(ZDeliveryFileNameTemplate.parse(undefined)).toBe("");
  });
});
