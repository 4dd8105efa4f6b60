import Papa from "papaparse";

/** The parts of a Reports API answer we read (tabular, summary or matrix). */
export type TReportResult = {
  allData?: boolean;
  attributes?: { reportName?: string };
  reportMetadata?: { detailColumns?: string[]; name?: string };
  reportExtendedMetadata?: { detailColumnInfo?: Record<string, { label?: string }> };
  factMap?: Record<
    string,
    { rows?: Array<{ dataCells?: Array<{ label?: unknown; value?: unknown }> }> }
  >;
};

/**
 * Detail rows as CSV, labelled as Salesforce shows them. Tabular reports keep their rows under
 * "T!T"; grouped reports spread them over keys like "0!T" and "0_1!T", read here in key order.
 */
export function reportResultToCsv(result: TReportResult): { csv: string; rows: number } {
  const columns = result.reportMetadata?.detailColumns ?? [];
  const info = result.reportExtendedMetadata?.detailColumnInfo ?? {};
  const header = columns.map((column) => info[column]?.label ?? column);
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
      data.push((row.dataCells ?? []).map((cell) => cellText(cell)));
    }
  }
  const csv = Papa.unparse({ fields: header, data }, { newline: "\r\n" });
  return { csv: csv.endsWith("\r\n") ? csv : `${csv}\r\n`, rows: data.length };
}

function cellText(cell: { label?: unknown; value?: unknown }): string {
  if (typeof cell.label === "string") return cell.label;
  if (cell.value === null || cell.value === undefined) return "";
  return typeof cell.value === "object" ? JSON.stringify(cell.value) : String(cell.value);
}
