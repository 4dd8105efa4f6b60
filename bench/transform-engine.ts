/**
 * The reference side of `npm run bench:transform`: DuckDB called directly, the way a script would,
 * in a process of its own so its peak RSS is its own. Reads the CSV with DuckDB's own sniffing,
 * runs one case and prints { seconds, rows, maxRssMb } as JSON.
 *   tsx bench/transform-engine.ts <case> <input.csv> <output>
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { writeXlsx } from "../server/tables/xlsx";
import type { TColumn } from "../server/tables/table-types";

const [caseName, input, output] = process.argv.slice(2) as [string, string, string];
const source = `read_csv('${input}')`;
const QUERIES: Record<string, string> = {
  "filter+select": `SELECT id, region, units, price FROM ${source} WHERE region = 'North' AND units >= 100`,
  "group (3 aggregates)": `SELECT region, count(*) AS count, sum(units) AS sum_units, avg(price) AS mean_price FROM ${source} GROUP BY region ORDER BY region`,
  sort: `SELECT * FROM ${source} ORDER BY price DESC, id`,
  "computed column": `SELECT *, units * price AS revenue FROM ${source} WHERE units * price > 100`,
  "all rows": `SELECT * FROM ${source}`,
};
const format = output.endsWith(".parquet") ? "parquet" : output.endsWith(".xlsx") ? "xlsx" : "csv";
const sql = QUERIES[caseName.replace(/ → .*/, "")];
if (!sql) throw new Error(`no case ${caseName}`);

const instance = await DuckDBInstance.create(":memory:", { threads: "2", memory_limit: "192MB" });
const connection = await instance.connect();
const started = performance.now();
let rows: number;
if (format === "xlsx") {
  const result = await connection.stream(sql);
  const names = result.columnNames();
  const types = result.columnTypes().map(String);
  const columns: TColumn[] = names.map((name, i) => ({
    name,
    type: /INT/.test(types[i]!)
      ? "integer"
      : /DOUBLE|DECIMAL/.test(types[i]!)
        ? "number"
        : types[i] === "DATE"
          ? "date"
          : types[i] === "BOOLEAN"
            ? "boolean"
            : "text",
  }));
  rows = (await writeXlsx(output, { columns, batches: result.yieldRowsJs() })).rows;
} else {
  const copied = await connection.runAndReadAll(
    `COPY (${sql}) TO '${output}' (FORMAT ${format === "parquet" ? "parquet, COMPRESSION snappy" : "csv, HEADER true"})`,
  );
  rows = Number(copied.getRowObjectsJson()[0]?.Count ?? 0);
}
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ seconds, rows, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
connection.closeSync();
