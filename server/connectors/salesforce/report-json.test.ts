import { describe, expect, it } from "vitest";
import { reportResultToCsv } from "./report-json";

describe("reportResultToCsv", () => {
  it("writes the detail rows of a tabular report under their column labels", () => {
    const { csv, rows } = reportResultToCsv({
      reportMetadata: { detailColumns: ["OPPORTUNITY_NAME", "AMOUNT"] },
      reportExtendedMetadata: {
        detailColumnInfo: {
          OPPORTUNITY_NAME: { label: "Opportunity Name" },
          AMOUNT: { label: "Amount" },
        },
      },
      factMap: {
        "T!T": {
          rows: [
            {
              dataCells: [
                { label: "Acme, Inc.", value: "006A" },
                { label: "USD 10.00", value: { amount: 10 } },
              ],
            },
            { dataCells: [{ label: 'Say "hi"', value: "006B" }, { value: null }] },
          ],
        },
      },
    });
    expect(csv).toBe('Opportunity Name,Amount\r\n"Acme, Inc.",USD 10.00\r\n"Say ""hi""",\r\n');
    expect(rows).toBe(2);
  });

  it("collects the rows of every grouping of a summary report in key order", () => {
    const { rows, csv } = reportResultToCsv({
      reportMetadata: { detailColumns: ["A"] },
      factMap: {
        "1!T": { rows: [{ dataCells: [{ label: "second" }] }] },
        "0!T": { rows: [{ dataCells: [{ label: "first" }] }] },
        "T!T": undefined as never,
      },
    });
    expect(rows).toBe(0); // "T!T" present but empty wins: a tabular answer with no rows
    expect(csv).toBe("A\r\n");
    const grouped = reportResultToCsv({
      reportMetadata: { detailColumns: ["A"] },
      factMap: {
        "1!T": { rows: [{ dataCells: [{ label: "second" }] }] },
        "0!T": { rows: [{ dataCells: [{ label: "first" }] }] },
      },
    });
    expect(grouped.csv).toBe("A\r\nfirst\r\nsecond\r\n");
  });
});
