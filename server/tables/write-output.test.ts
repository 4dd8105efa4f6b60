import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { crc32 } from "node:zlib";
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import ExcelJS from "exceljs";
import { parquetReadObjects } from "hyparquet";
import type { TRelation } from "./compile-steps";
import {
  fileDigest,
  writeOutput,
  ZOutputSpec,
  type TOutputSpec,
  type TWrittenOutput,
} from "./write-output";

let instance: DuckDBInstance;
let connection: DuckDBConnection;
let dir: string;
let files = 0;

const TABLE: TRelation = {
  sql: "SELECT * FROM t ORDER BY id",
  columns: [
    { name: "id", type: "integer" },
    { name: "name", type: "text" },
    { name: "price", type: "number" },
    { name: "day", type: "date" },
    { name: "at", type: "timestamp" },
    { name: "ok", type: "boolean" },
  ],
};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-write-"));
  instance = await DuckDBInstance.create(":memory:");
  connection = await instance.connect();
  await connection.run(`CREATE TABLE t AS SELECT
      CAST(id AS BIGINT) AS id, CAST(name AS VARCHAR) AS name, CAST(price AS DOUBLE) AS price,
      CAST(day AS DATE) AS day, CAST("at" AS TIMESTAMP) AS "at", CAST(ok AS BOOLEAN) AS ok
    FROM (VALUES
      (1, 'Zoë, "Z"', 2.5, '2024-01-31', '2024-01-31 10:30:00', true),
      (2, 'line
break', NULL, NULL, NULL, NULL),
      (3, 'plain', -0.125, '1999-12-31', '2000-01-01 00:00:00', false)
    ) AS v(id, name, price, day, "at", ok)`);
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes the relation with a spec (defaults filled in by the schema) and checks the digest. */
async function write(
  spec: Partial<TOutputSpec> & { format: TOutputSpec["format"] },
  relation: TRelation = TABLE,
  options: Parameters<typeof writeOutput>[4] = {},
): Promise<{ written: TWrittenOutput; bytes: Buffer; file: string }> {
  const file = path.join(dir, `out-${++files}.${spec.format}`);
  const written = await writeOutput(connection, relation, ZOutputSpec.parse(spec), file, options);
  const bytes = fs.readFileSync(file);
  expect(written.bytes).toBe(bytes.byteLength);
  expect(written.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
  expect(written.crc32).toBe(crc32(bytes));
  return { written, bytes, file };
}

describe("writeOutput: CSV", () => {
  it("writes a header, a comma, quotes only where needed and LF by default", async () => {
    const { written, bytes } = await write({ format: "csv" });
    expect(written).toMatchObject({ rows: 3, notes: [] });
    expect(bytes.toString("utf8")).toBe(
      [
        "id,name,price,day,at,ok",
        '1,"Zoë, ""Z""",2.5,2024-01-31,2024-01-31 10:30:00,true',
        '2,"line\nbreak",,,,',
        "3,plain,-0.125,1999-12-31,2000-01-01 00:00:00,false",
        "",
      ].join("\n"),
    );
  });

  it("writes a semicolon, every value quoted, a BOM and CRLF when asked", async () => {
    const { written, bytes, file } = await write({
      format: "csv",
      delimiter: ";",
      quote: "all",
      bom: true,
      lineEnding: "crlf",
    });
    expect(written.rows).toBe(3);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString("utf8")).toBe(
      [
        '"id";"name";"price";"day";"at";"ok"',
        '"1";"Zoë, ""Z""";"2.5";"2024-01-31";"2024-01-31 10:30:00";"true"',
        // the line break inside a value is the value's own
        '"2";"line\nbreak";;;;',
        '"3";"plain";"-0.125";"1999-12-31";"2000-01-01 00:00:00";"false"',
        "",
      ].join("\r\n"),
    );
    // the body written before the BOM was put in front is gone
    expect(fs.existsSync(`${file}.body`)).toBe(false);
  });

  it("has no BOM unless asked", async () => {
    const { bytes } = await write({ format: "csv", bom: false });
    expect(bytes.subarray(0, 2).toString("latin1")).toBe("id");
  });

  it.each([
    ["tab", "\t"],
    ["pipe", "|"],
  ] as const)("separates with a %s and quotes values holding it", async (_, delimiter) => {
    const relation: TRelation = {
      sql: `SELECT 'a${delimiter}b' AS "x${delimiter}y", 1 AS n`,
      columns: [
        { name: `x${delimiter}y`, type: "text" },
        { name: "n", type: "integer" },
      ],
    };
    const { bytes } = await write({ format: "csv", delimiter }, relation);
    expect(bytes.toString("utf8")).toBe(
      `"x${delimiter}y"${delimiter}n\n"a${delimiter}b"${delimiter}1\n`,
    );
  });

  it("writes only the header for no rows", async () => {
    const { written, bytes } = await write(
      { format: "csv" },
      { ...TABLE, sql: `${TABLE.sql} LIMIT 0` },
    );
    expect(written.rows).toBe(0);
    expect(bytes.toString("utf8")).toBe("id,name,price,day,at,ok\n");
  });
});

describe("writeOutput: JSON and NDJSON", () => {
  const OBJECTS = [
    {
      id: 1,
      name: 'Zoë, "Z"',
      price: 2.5,
      day: "2024-01-31",
      at: "2024-01-31 10:30:00",
      ok: true,
    },
    { id: 2, name: "line\nbreak", price: null, day: null, at: null, ok: null },
    {
      id: 3,
      name: "plain",
      price: -0.125,
      day: "1999-12-31",
      at: "2000-01-01 00:00:00",
      ok: false,
    },
  ];

  it("writes a JSON array of objects in the relation's order", async () => {
    const { written, bytes } = await write({ format: "json" });
    expect(written.rows).toBe(3);
    const text = bytes.toString("utf8");
    expect(text.trimStart().startsWith("[")).toBe(true);
    expect(JSON.parse(text)).toEqual(OBJECTS);
  });

  it("writes an empty JSON array for no rows", async () => {
    const { written, bytes } = await write(
      { format: "json" },
      { ...TABLE, sql: `${TABLE.sql} LIMIT 0` },
    );
    expect(written.rows).toBe(0);
    expect(JSON.parse(bytes.toString("utf8"))).toEqual([]);
  });

  it("writes one object per line for NDJSON", async () => {
    const { written, bytes } = await write({ format: "ndjson" });
    expect(written.rows).toBe(3);
    const lines = bytes.toString("utf8").split("\n");
    expect(lines.at(-1)).toBe("");
    expect(lines.slice(0, -1).map((line) => JSON.parse(line))).toEqual(OBJECTS);
  });

  it("ignores the CSV settings", async () => {
    const { bytes } = await write({
      format: "ndjson",
      bom: true,
      lineEnding: "crlf",
      delimiter: ";",
    });
    expect(bytes[0]).toBe("{".charCodeAt(0));
    expect(bytes.includes("\r")).toBe(false);
  });
});

describe("writeOutput: Parquet", () => {
  it("writes typed columns a Parquet reader reads back", async () => {
    const { written, bytes } = await write({ format: "parquet" });
    expect(written.rows).toBe(3);
    expect(bytes.subarray(0, 4).toString("latin1")).toBe("PAR1");
    const rows = await parquetReadObjects({ file: new Uint8Array(bytes).buffer });
    expect(rows).toEqual([
      {
        id: 1n,
        name: 'Zoë, "Z"',
        price: 2.5,
        day: new Date(Date.UTC(2024, 0, 31)),
        at: new Date(Date.UTC(2024, 0, 31, 10, 30)),
        ok: true,
      },
      { id: 2n, name: "line\nbreak", price: null, day: null, at: null, ok: null },
      {
        id: 3n,
        name: "plain",
        price: -0.125,
        day: new Date(Date.UTC(1999, 11, 31)),
        at: new Date(Date.UTC(2000, 0, 1)),
        ok: false,
      },
    ]);
  });

  it("reads back the same through DuckDB", async () => {
    const { file } = await write({ format: "parquet" });
    const reader = await connection.runAndReadAll(
      `SELECT * FROM read_parquet('${file.replaceAll("'", "''")}') EXCEPT ALL SELECT * FROM t`,
    );
    expect(reader.getRowsJson()).toEqual([]);
  });
});

describe("writeOutput: XLSX", () => {
  it("writes a bold header and typed cells that exceljs reads back", async () => {
    const heard: number[] = [];
    const { written, bytes } = await write({ format: "xlsx" }, TABLE, {
      onRows: (rows) => heard.push(rows),
    });
    expect(written).toMatchObject({ rows: 3, notes: [] });
    expect(heard.at(-1)).toBe(3);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(new Uint8Array(bytes).buffer);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(["Sheet1"]);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.rowCount).toBe(4);
    expect(sheet.getRow(1).values).toEqual([undefined, "id", "name", "price", "day", "at", "ok"]);
    expect(sheet.getRow(1).getCell(1).font?.bold).toBe(true);
    const cells = (row: number) =>
      [1, 2, 3, 4, 5, 6].map((column) => sheet.getRow(row).getCell(column).value);
    expect(cells(2)).toEqual([
      1,
      'Zoë, "Z"',
      2.5,
      new Date(Date.UTC(2024, 0, 31)),
      new Date(Date.UTC(2024, 0, 31, 10, 30)),
      true,
    ]);
    expect(cells(3)).toEqual([2, "line\nbreak", null, null, null, null]);
    expect(cells(4)).toEqual([
      3,
      "plain",
      -0.125,
      new Date(Date.UTC(1999, 11, 31)),
      new Date(Date.UTC(2000, 0, 1)),
      false,
    ]);
    expect(sheet.getRow(2).getCell(4).numFmt).toBe("yyyy-mm-dd");
    expect(sheet.getRow(2).getCell(5).numFmt).toBe("yyyy-mm-dd hh:mm:ss");
  });

  // no rows: a sheet with the header alone (a TypeError before writeXlsx learnt to skip waiting
  // on a sheet that did not exist yet)
  it("writes a sheet with only the header for no rows", async () => {
    const { written, bytes } = await write(
      { format: "xlsx" },
      { ...TABLE, sql: `${TABLE.sql} LIMIT 0` },
    );
    expect(written.rows).toBe(0);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(new Uint8Array(bytes).buffer);
    expect(workbook.worksheets[0]!.rowCount).toBe(1);
  });
});

describe("fileDigest", () => {
  it("gives the size, SHA-256 and CRC-32 of a file", async () => {
    const file = path.join(dir, "digest.bin");
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, index) => (index * 7) % 256));
    fs.writeFileSync(file, bytes);
    expect(await fileDigest(file)).toEqual({
      bytes: 300_000,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      crc32: crc32(bytes),
    });
  });

  it("gives the known digest of an empty file", async () => {
    const file = path.join(dir, "empty.bin");
    fs.writeFileSync(file, "");
    expect(await fileDigest(file)).toEqual({
      bytes: 0,
      sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      crc32: 0,
    });
  });

  it("gives the known CRC-32 of '123456789'", async () => {
    const file = path.join(dir, "check.txt");
    fs.writeFileSync(file, "123456789");
    expect((await fileDigest(file)).crc32).toBe(0xcbf43926);
  });
});
