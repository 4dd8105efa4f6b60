import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { inferColumnTypes, typedSelect, type TInferred, type TSourceColumn } from "./infer-types";
import { csvRelation } from "./read-source";
import { SQL_TYPE, quoteIdent } from "./table-types";

let instance: DuckDBInstance;
let connection: DuckDBConnection;
let dir: string;
let files = 0;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-infer-"));
  instance = await DuckDBInstance.create(":memory:");
  connection = await instance.connect();
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A CSV of these lines, as the text-only relation read-source.ts reads it. */
function csv(lines: readonly string[]): string {
  const file = path.join(dir, `table-${++files}.csv`);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  return csvRelation(file, {});
}

async function namesOf(relation: string): Promise<string[]> {
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
  return (reader.getRowObjectsJson() as { column_name: string }[]).map((row) => row.column_name);
}

async function infer(lines: readonly string[]): Promise<TInferred & { relation: string }> {
  const relation = csv(lines);
  return { ...(await inferColumnTypes(connection, relation, await namesOf(relation))), relation };
}

/** One column's values, one a line, under the header `v`: its inferred column. */
async function column(...values: string[]): Promise<TSourceColumn> {
  const inferred = await infer(["v", ...values]);
  expect(inferred.columns).toHaveLength(1);
  return inferred.columns[0]!;
}

/** The typed rows, each value with the DuckDB type typedSelect gave it. */
async function typedRows(relation: string, columns: readonly TSourceColumn[]) {
  const list = columns
    .map(
      (c) =>
        `${quoteIdent(c.name)}, typeof(${quoteIdent(c.name)}) AS ${quoteIdent(`${c.name}:type`)}`,
    )
    .join(", ");
  const reader = await connection.runAndReadAll(
    `SELECT ${list} FROM (${typedSelect(relation, columns)})`,
  );
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

describe("inferColumnTypes: numbers", () => {
  it("reads whole numbers as integers, signs and the largest 18 digits included", async () => {
    expect(await column("1", "-2", "+3", "0", "123456789012345678")).toEqual({
      name: "v",
      type: "integer",
    });
  });

  it("reads decimals, exponents and a mix with whole numbers as numbers", async () => {
    expect(await column("1.5", "2", "-0.25", ".5", "1e3", "0.0")).toEqual({
      name: "v",
      type: "number",
    });
  });

  it("reads a whole number too long for an integer as a number", async () => {
    expect((await column("1", "1234567890123456789")).type).toBe("number");
  });

  it("keeps codes with a leading zero as text", async () => {
    expect((await column("00123", "00124")).type).toBe("text");
    expect((await column("0123.5", "1")).type).toBe("text");
    expect((await column("1", "-007")).type).toBe("text");
  });

  it("keeps a column with one value that is not a number as text", async () => {
    expect((await column("1", "2", "3", "n/a", "5")).type).toBe("text");
    expect((await column("1.5", '"2,5"')).type).toBe("text");
    expect((await column("1", "2", "3 4")).type).toBe("text");
  });

  it("reads numbers with spaces around them", async () => {
    const inferred = await infer(["a,b", "  12  ,3.5 ", " -4, 1"]);
    expect(inferred.columns).toEqual([
      { name: "a", type: "integer" },
      { name: "b", type: "number" },
    ]);
    expect((await typedRows(inferred.relation, inferred.columns)).map((r) => [r.a, r.b])).toEqual([
      ["12", 3.5],
      ["-4", 1],
    ]);
  });
});

describe("inferColumnTypes: true/false", () => {
  it("reads true and false in any capitals as booleans", async () => {
    expect(await column("true", "FALSE", "True")).toEqual({ name: "v", type: "boolean" });
  });

  it("leaves other words for yes and no as text, and 1 and 0 as integers", async () => {
    expect((await column("true", "yes")).type).toBe("text");
    expect((await column("1", "0")).type).toBe("integer");
  });
});

describe("inferColumnTypes: dates and timestamps", () => {
  it("reads ISO dates", async () => {
    expect(await column("2024-01-31", "2024-02-29")).toEqual({
      name: "v",
      type: "date",
      dateOrder: "iso",
    });
  });

  it("keeps a column with an impossible ISO date as text", async () => {
    expect((await column("2024-01-31", "2023-02-29")).type).toBe("text");
    expect((await column("2024-13-01")).type).toBe("text");
  });

  it.each([
    ["with T", ["2024-01-31T10:00:00", "2024-02-01T23:59"]],
    ["with a space", ["2024-01-31 10:00:00", "2024-02-01 23:59:59.123"]],
    ["with Z", ["2024-01-31T10:00:00Z", "2024-02-01 23:59Z"]],
  ])("reads ISO timestamps %s", async (_, values) => {
    expect(await column(...values)).toEqual({ name: "v", type: "timestamp", dateOrder: "iso" });
  });

  it("keeps dates mixed with timestamps as text", async () => {
    expect((await column("2024-01-31", "2024-01-31 10:00")).type).toBe("text");
  });

  it.each([
    ["slashes", ["31/01/2024", "01/02/2024", "5/3/2024"]],
    ["dots", ["31.01.2024", "01.02.2024"]],
    ["dashes", ["31-01-2024", "01-02-2024"]],
  ])("reads day-first dates with %s", async (_, values) => {
    expect(await column(...values)).toEqual({ name: "v", type: "date", dateOrder: "day-first" });
  });

  it("reads month-first dates", async () => {
    expect(await column("01/31/2024", "12/25/2024", "02/01/2024")).toEqual({
      name: "v",
      type: "date",
      dateOrder: "month-first",
    });
  });

  it("reads day-first and month-first timestamps", async () => {
    expect(await column("31/01/2024 10:30", "01/02/2024 23:59:59")).toEqual({
      name: "v",
      type: "timestamp",
      dateOrder: "day-first",
    });
    expect(await column("01/31/2024 10:30", "02/01/2024 08:00:05")).toEqual({
      name: "v",
      type: "timestamp",
      dateOrder: "month-first",
    });
  });

  it("keeps dates that read either way as text, with a note", async () => {
    const inferred = await infer(["when,other", "01/02/2024,1", "12/11/2024,2", "03.04.2024,3"]);
    expect(inferred.columns).toEqual([
      { name: "when", type: "text" },
      { name: "other", type: "integer" },
    ]);
    expect(inferred.notes).toEqual([
      "'when' holds dates that read as valid both day-first and month-first (every day is 12 or less), so it was left as text: cast it to a date and choose the order.",
    ]);
  });

  it("notes ambiguous timestamps the same way", async () => {
    const inferred = await infer(["at", "01/02/2024 10:00", "12/11/2024 11:00"]);
    expect(inferred.columns).toEqual([{ name: "at", type: "text" }]);
    expect(inferred.notes).toHaveLength(1);
    expect(inferred.notes[0]).toMatch(/^'at' holds dates that read as valid both day-first/);
  });

  it("adds no note for dates one day past 12 settles", async () => {
    const inferred = await infer(["d", "01/02/2024", "12/11/2024", "13/01/2024"]);
    expect(inferred.columns).toEqual([{ name: "d", type: "date", dateOrder: "day-first" }]);
    expect(inferred.notes).toEqual([]);
  });

  it("keeps impossible slash dates as text", async () => {
    expect((await column("31/02/2024", "01/02/2024")).type).toBe("text");
    expect((await column("31/13/2024")).type).toBe("text");
  });
});

describe("inferColumnTypes: empty values and the sample", () => {
  it("makes an entirely empty column text", async () => {
    const inferred = await infer(["a,b", "1,", "2,", '3,""']);
    expect(inferred.columns).toEqual([
      { name: "a", type: "integer" },
      { name: "b", type: "text" },
    ]);
    expect(inferred.rows).toBe(3);
  });

  it("skips empty values when it decides a type", async () => {
    expect((await column("1", "", "3", "")).type).toBe("integer");
  });

  // the first 10,000 rows are a sample that may only rule candidates out, never decide
  const late = (fill: (index: number) => string) => {
    const lines = ["id,late"];
    for (let index = 0; index < 10_050; index++)
      lines.push(`${index},${index >= 10_010 ? fill(index) : ""}`);
    return lines;
  };

  it("types a column empty in the first 10,000 rows by the values after them", async () => {
    const inferred = await infer(late((index) => String(index)));
    expect(inferred.rows).toBe(10_050);
    expect(inferred.columns).toEqual([
      { name: "id", type: "integer" },
      { name: "late", type: "integer" },
    ]);
    const dated = await infer(late(() => "31/01/2024"));
    expect(dated.columns[1]).toEqual({ name: "late", type: "date", dateOrder: "day-first" });
  });

  it("keeps such a column text when a later value is text", async () => {
    const inferred = await infer(late((index) => (index === 10_040 ? "oops" : "7")));
    expect(inferred.columns[1]).toEqual({ name: "late", type: "text" });
  });

  it("looks past the sample for a value that breaks its type", async () => {
    const lines = ["n"];
    for (let index = 0; index < 10_020; index++)
      lines.push(index === 10_015 ? "twelve" : String(index));
    const inferred = await infer(lines);
    expect(inferred.columns).toEqual([{ name: "n", type: "text" }]);
    lines[10_016] = "12.5";
    expect((await infer(lines)).columns).toEqual([{ name: "n", type: "number" }]);
  });
});

describe("typedSelect", () => {
  it("gives each column its DuckDB type, empty values NULL and text as written", async () => {
    const inferred = await infer([
      "i,n,b,d,t,dmy,s,e",
      '1,1.5,true,2024-01-31,2024-01-31T10:00:00Z,31/01/2024," hi ",',
      ',,,,,,"",',
      " 3 , 4 , FALSE ,2024-02-29,2024-02-29 08:30,01.02.2024,x,",
    ]);
    expect(inferred.columns).toEqual([
      { name: "i", type: "integer" },
      { name: "n", type: "number" },
      { name: "b", type: "boolean" },
      { name: "d", type: "date", dateOrder: "iso" },
      { name: "t", type: "timestamp", dateOrder: "iso" },
      { name: "dmy", type: "date", dateOrder: "day-first" },
      { name: "s", type: "text" },
      { name: "e", type: "text" },
    ]);
    const rows = await typedRows(inferred.relation, inferred.columns);
    for (const row of rows) {
      for (const c of inferred.columns) expect(row[`${c.name}:type`]).toBe(SQL_TYPE[c.type]);
    }
    const values = rows.map((row) => inferred.columns.map((c) => row[c.name]));
    expect(values).toEqual([
      ["1", 1.5, true, "2024-01-31", "2024-01-31 10:00:00", "2024-01-31", " hi ", null],
      [null, null, null, null, null, null, null, null],
      ["3", 4, false, "2024-02-29", "2024-02-29 08:30:00", "2024-02-01", "x", null],
    ]);
  });

  it("reads dates in the order it is told", async () => {
    const relation = csv(["d", "01/02/2024", "12/11/2024"]);
    const read = async (dateOrder: "day-first" | "month-first") =>
      (await typedRows(relation, [{ name: "d", type: "date", dateOrder }])).map((row) => row.d);
    expect(await read("day-first")).toEqual(["2024-02-01", "2024-11-12"]);
    expect(await read("month-first")).toEqual(["2024-01-02", "2024-12-11"]);
  });

  it("turns a value that does not fit its type into NULL", async () => {
    const relation = csv(["n,d", "12,2024-01-31", "twelve,someday"]);
    const rows = await typedRows(relation, [
      { name: "n", type: "integer" },
      { name: "d", type: "date", dateOrder: "iso" },
    ]);
    expect(rows.map((row) => [row.n, row.d])).toEqual([
      ["12", "2024-01-31"],
      [null, null],
    ]);
  });

  it("quotes awkward column names", async () => {
    const relation = csv(['"say ""hi""",unit price', "1,2.5"]);
    const names = await namesOf(relation);
    expect(names).toEqual(['say "hi"', "unit price"]);
    const inferred = await inferColumnTypes(connection, relation, names);
    expect(inferred.columns.map((c) => c.type)).toEqual(["integer", "number"]);
    const rows = await typedRows(relation, inferred.columns);
    expect(rows[0]).toMatchObject({ 'say "hi"': "1", "unit price": 2.5 });
  });
});
