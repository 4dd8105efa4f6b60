import Papa from "papaparse";
import { z } from "zod";

const ZCell = z.object({ label: z.unknown().optional(), value: z.unknown().optional() });
type TCell = z.output<typeof ZCell>;

/** The parts of a Reports API answer we read (tabular, summary or matrix). */
export const ZReportResult = z.object({
  allData: z.boolean().nullish(),
  attributes: z.object({ reportName: z.string().nullish() }).nullish(),
  reportMetadata: z
    .object({ detailColumns: z.array(z.string()).nullish(), name: z.string().nullish() })
    .nullish(),
  reportExtendedMetadata: z
    .object({
      detailColumnInfo: z
        .record(
          z.string(),
          z.object({ label: z.string().nullish(), dataType: z.string().nullish() }),
        )
        .nullish(),
    })
    .nullish(),
  factMap: z
    .record(
      z.string(),
      z.object({ rows: z.array(z.object({ dataCells: z.array(ZCell).nullish() })).nullish() }),
    )
    .nullish(),
});
export type TReportResult = z.output<typeof ZReportResult>;

const NUMBER_TYPES = new Set(["double", "int", "percent"]);

/** A number as the report export writes it: no grouping, no exponent, at least `decimals` places. */
function plainNumber(value: number, decimals: number): string {
  if (!Number.isFinite(value)) return String(value);
  const shortest = value.toString();
  const places = /e/i.test(shortest) ? 0 : (shortest.split(".")[1]?.length ?? 0);
  return value.toFixed(Math.min(20, Math.max(decimals, places)));
}

/**
 * One cell the way Salesforce's report export (the CSV behind "Export") writes it, so a report
 * reads the same whether it came through the export or, under 2,000 rows or with the export off,
 * through the Reports API: numbers, percentages and currency amounts as plain numbers (the API's
 * labels are formatted for people: "USD 1,234.50", "12.5%", "1,234"), currency with two places
 * (the scale of a standard currency field; the amount's own places when it has more); text,
 * dates and the rest as the label Salesforce shows; an empty cell empty (its label is "-").
 */
function exportText(cell: TCell, dataType: string | null | undefined): string {
  const { value, label } = cell;
  if (value === null || value === undefined)
    return typeof label === "string" && label !== "-" ? label : "";
  if (dataType === "currency") {
    const amount = typeof value === "object" ? (value as { amount?: unknown }).amount : value;
    if (typeof amount === "number") return plainNumber(amount, 2);
    if (amount === null) return "";
  }
  if (dataType && NUMBER_TYPES.has(dataType) && typeof value === "number")
    return plainNumber(value, 0);
  if (typeof label === "string") return label;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/**
 * Detail rows as CSV, in the export's shape: column labels as the header and every field quoted.
 * Tabular reports keep their rows under "T!T"; grouped reports spread them over keys like "0!T"
 * and "0_1!T", read here in key order.
 */
export function reportResultToCsv(result: TReportResult): { csv: string; rows: number } {
  const columns = result.reportMetadata?.detailColumns ?? [];
  const info = result.reportExtendedMetadata?.detailColumnInfo ?? {};
  const header = columns.map((column) => info[column]?.label ?? column);
  const types = columns.map((column) => info[column]?.dataType);
  const factMap = result.factMap ?? {};
  const keys =
    "T!T" in factMap
      ? ["T!T"]
      : Object.keys(factMap)
          .filter((k) => k.endsWith("!T"))
          .sort();
  const data: string[][] = [];
  for (const key of keys) {
    for (const row of factMap[key]?.rows ?? []) {
      data.push((row.dataCells ?? []).map((cell, index) => exportText(cell, types[index])));
    }
  }
  const csv = Papa.unparse({ fields: header, data }, { newline: "\r\n", quotes: true });
  return { csv: csv.endsWith("\r\n") ? csv : `${csv}\r\n`, rows: data.length };
}
