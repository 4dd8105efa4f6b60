import { describe, expect, it } from "vitest";
import { reportResultToCsv } from "./report-json";

describe("reportResultToCsv", () => {
  it("writes the detail rows of a tabular report under their column labels, every field quoted", () => {
    const { csv, rows } = reportResultToCsv({
      reportMetadata: { detailColumns: ["OPPORTUNITY_NAME", "AMOUNT"] },
      reportExtendedMetadata: {
        detailColumnInfo: {
          OPPORTUNITY_NAME: { label: "Opportunity Name", dataType: "string" },
          AMOUNT: { label: "Amount", dataType: "currency" },
        },
      },
      factMap: {
        "T!T": {
          rows: [
            {
              dataCells: [
                { label: "Acme, Inc.", value: "006A" },
                { label: "USD 10.00", value: { amount: 10, currency: "USD" } },
              ],
            },
            {
              dataCells: [
                { label: 'Say "hi"', value: "006B" },
                { label: "-", value: null },
              ],
            },
          ],
        },
      },
    });
    expect(csv).toBe('"Opportunity Name","Amount"\r\n"Acme, Inc.","10.00"\r\n"Say ""hi""",""\r\n');
    expect(rows).toBe(2);
  });

  it("writes numbers, percentages and amounts as the export does, not as the labels show them", () => {
    const { csv } = reportResultToCsv({
      reportMetadata: { detailColumns: ["AMOUNT", "PROBABILITY", "QUANTITY", "SCORE", "CLOSE"] },
      reportExtendedMetadata: {
        detailColumnInfo: {
          AMOUNT: { label: "Amount", dataType: "currency" },
          PROBABILITY: { label: "Probability (%)", dataType: "percent" },
          QUANTITY: { label: "Quantity", dataType: "int" },
          SCORE: { label: "Score", dataType: "double" },
          CLOSE: { label: "Close Date", dataType: "date" },
        },
      },
      factMap: {
        "T!T": {
          rows: [
            {
              dataCells: [
                { label: "USD 1,234,567.50", value: { amount: 1234567.5, currency: "USD" } },
                { label: "12.5%", value: 12.5 },
                { label: "1,234", value: 1234 },
                { label: "0.125", value: 0.125 },
                { label: "1/15/2024", value: "2024-01-15" },
              ],
            },
            {
              dataCells: [
                { label: "USD 0.50", value: { amount: 0.5, currency: "USD" } },
                { label: "100%", value: 100 },
                { label: "-", value: null },
                { label: "1,000,000", value: 1e6 },
                { label: "-", value: null },
              ],
            },
          ],
        },
      },
    });
    expect(csv.split("\r\n")).toEqual([
      '"Amount","Probability (%)","Quantity","Score","Close Date"',
      '"1234567.50","12.5","1234","0.125","1/15/2024"',
      '"0.50","100","","1000000",""',
      "",
    ]);
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
    expect(csv).toBe('"A"\r\n');
    const grouped = reportResultToCsv({
      reportMetadata: { detailColumns: ["A"] },
      factMap: {
        "1!T": { rows: [{ dataCells: [{ label: "second", value: "2" }] }] },
        "0!T": { rows: [{ dataCells: [{ label: "first", value: "1" }] }] },
      },
    });
    expect(grouped.csv).toBe('"A"\r\n"first"\r\n"second"\r\n');
  });
});
