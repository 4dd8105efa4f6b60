import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, beforeAll, afterAll } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import iconv from "iconv-lite";
import JSZip from "jszip";
import {
  detectFormat,
  engineMessage,
  parquetRelation,
  readTableFile,
  type TReadOptions,
  type TReadTable,
} from "./read-source";
import { TableError } from "./table-types";

const READABLE =
  "DataHaul reads CSV, TSV, JSON (an array of objects, or one object per line), XLSX, and ZIP files holding those.";

let instance: DuckDBInstance;
let connection: DuckDBConnection;
let root: string;
let cases = 0;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-read-"));
  instance = await DuckDBInstance.create(":memory:");
  connection = await instance.connect();
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
  fs.rmSync(root, { recursive: true, force: true });
});

/** A file in a folder of its own, and an empty work folder to read it into. */
function place(fileName: string, content: string | Uint8Array) {
  const folder = path.join(root, `case-${++cases}`);
  const workDir = path.join(folder, "work");
  fs.mkdirSync(workDir, { recursive: true });
  const filePath = path.join(folder, fileName);
  fs.writeFileSync(filePath, content);
  return { filePath, workDir };
}

type TRead = TReadTable & { rows_: Record<string, unknown>[] };

/** Reads a file, checks only its Parquet file is left in the work folder, and gives its rows. */
async function read(
  fileName: string,
  content: string | Uint8Array,
  options: TReadOptions = {},
): Promise<TRead> {
  const { filePath, workDir } = place(fileName, content);
  const table = await readTableFile(connection, filePath, fileName, options, workDir);
  // scratch files (UTF-8 copies, ZIP entries) are gone
  expect(fs.readdirSync(workDir)).toEqual([path.basename(table.parquetPath)]);
  const reader = await connection.runAndReadAll(
    `SELECT * FROM ${parquetRelation(table.parquetPath)}`,
  );
  return { ...table, rows_: reader.getRowObjectsJson() as Record<string, unknown>[] };
}

async function refusal(
  fileName: string,
  content: string | Uint8Array,
  options: TReadOptions = {},
): Promise<string> {
  const { filePath, workDir } = place(fileName, content);
  const error = await readTableFile(connection, filePath, fileName, options, workDir).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TableError);
  return (error as TableError).message;
}

const bytes = (...values: number[]) => new Uint8Array(values);
const ZIP_HEAD = bytes(0x50, 0x4b, 0x03, 0x04, 0x14, 0x00);
const text = (value: string) => new TextEncoder().encode(value);

describe("detectFormat", () => {
  it.each([
    ["data.csv", "csv"],
    ["notes.TXT", "csv"],
    ["data.tsv", "tsv"],
    ["data.tab", "tsv"],
    ["data.json", "json"],
    ["data.ndjson", "ndjson"],
    ["data.jsonl", "ndjson"],
  ] as const)("reads %s by its extension as %s", (fileName, format) => {
    // the extension wins over what the text looks like
    expect(detectFormat(fileName, text("[1, 2]"))).toBe(format);
    expect(detectFormat(fileName, text("a,b\n1,2\n"))).toBe(format);
  });

  it("knows a ZIP and a workbook by their first bytes", () => {
    expect(detectFormat("book.xlsx", ZIP_HEAD)).toBe("xlsx");
    expect(detectFormat("BOOK.XLSX", ZIP_HEAD)).toBe("xlsx");
    expect(detectFormat("tables.zip", ZIP_HEAD)).toBe("zip");
    // a ZIP is a ZIP whatever it is called
    expect(detectFormat("data.csv", ZIP_HEAD)).toBe("zip");
    expect(detectFormat("download", ZIP_HEAD)).toBe("zip");
  });

  it("refuses a workbook or ZIP that does not start like one", () => {
    expect(detectFormat("book.xlsx", text("a,b\n"))).toBeNull();
    expect(detectFormat("tables.zip", text("a,b\n"))).toBeNull();
  });

  it.each([
    ["an array", '[{"a": 1}]', "json"],
    ["an array after a BOM and spaces", '\uFEFF \n\t[{"a": 1}]', "json"],
    ["an object per line", '{"a": 1}\n{"a": 2}\n', "ndjson"],
    ["an object after spaces", '  {"a": 1}', "ndjson"],
    ["plain text", "a;b\n1;2\n", "csv"],
    ["nothing", "", "csv"],
  ] as const)("sniffs a name without a known extension holding %s", (_, content, format) => {
    expect(detectFormat("download", text(content))).toBe(format);
    expect(detectFormat("export.dat", text(content))).toBe(format);
  });

  it("refuses binary content without a known extension", () => {
    expect(detectFormat("blob.bin", bytes(0x01, 0x00, 0x02, 0x03))).toBeNull();
    expect(
      detectFormat("image", bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00)),
    ).toBeNull();
  });
});

describe("readTableFile: CSV and TSV", () => {
  it("reads a UTF-8 CSV into typed columns", async () => {
    const table = await read(
      "sales.csv",
      "sku,units,price,day\n00123,3,9.5,2024-01-31\n00125,7,4,2024-02-15\n",
    );
    expect(table).toMatchObject({
      format: "csv",
      rows: 2,
      notes: [],
      columns: [
        { name: "sku", type: "text" },
        { name: "units", type: "integer" },
        { name: "price", type: "number" },
        { name: "day", type: "date", dateOrder: "iso" },
      ],
    });
    expect(table.sheets).toBeUndefined();
    expect(table.entries).toBeUndefined();
    expect(table.rows_).toEqual([
      { sku: "00123", units: "3", price: 9.5, day: "2024-01-31" },
      { sku: "00125", units: "7", price: 4, day: "2024-02-15" },
    ]);
  });

  it("reads a UTF-8 CSV with a BOM without the BOM in its first name", async () => {
    const table = await read("bom.csv", "\uFEFFname,n\nZoë,1\n");
    expect(table.columns.map((column) => column.name)).toEqual(["name", "n"]);
    expect(table.rows_).toEqual([{ name: "Zoë", n: "1" }]);
    expect(table.notes).toEqual([]);
  });

  it("reads a UTF-16LE CSV with its byte order mark", async () => {
    const content = iconv.encode("name,amount\nCafé,1.5\nNaïve ☕,2\n", "utf-16le", {
      addBOM: true,
    });
    expect([...content.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    const table = await read("utf16.csv", content);
    expect(table.columns).toEqual([
      { name: "name", type: "text" },
      { name: "amount", type: "number" },
    ]);
    expect(table.rows_).toEqual([
      { name: "Café", amount: 1.5 },
      { name: "Naïve ☕", amount: 2 },
    ]);
    expect(table.notes).toEqual([]);
  });

  it("reads a UTF-16BE CSV with its byte order mark", async () => {
    const content = Buffer.concat([
      Buffer.from([0xfe, 0xff]),
      iconv.encode("name,amount\nCafé,3\n", "utf-16be"),
    ]);
    const table = await read("utf16be.csv", content);
    expect(table.rows_).toEqual([{ name: "Café", amount: "3" }]);
  });

  it("reads a Windows-1252 CSV as such, and says so", async () => {
    const content = iconv.encode("name;price\nCafé crème;€ 3\nSmørrebrød;4\n", "windows-1252");
    // not UTF-8: é is the lone byte 0xE9
    expect(content.includes(0xe9)).toBe(true);
    const table = await read("excel.csv", content);
    expect(table.rows_).toEqual([
      { name: "Café crème", price: "€ 3" },
      { name: "Smørrebrød", price: "4" },
    ]);
    expect(table.notes).toEqual([
      "The file is not UTF-8, so it was read as Windows-1252 (what Excel's “CSV (Comma delimited)” writes): check that accented letters look right.",
    ]);
  });

  it("reads a TSV on tabs only, commas staying in the values", async () => {
    const table = await read("data.tsv", "name\tamount\nSmith, J.\t1,5\nDoe\t2\n");
    expect(table.format).toBe("tsv");
    expect(table.columns).toEqual([
      { name: "name", type: "text" },
      { name: "amount", type: "text" },
    ]);
    expect(table.rows_).toEqual([
      { name: "Smith, J.", amount: "1,5" },
      { name: "Doe", amount: "2" },
    ]);
  });

  it("finds a semicolon by itself, and takes the separator it is given", async () => {
    const sniffed = await read("semi.csv", "a;b\n1;x,y\n2;z\n");
    expect(sniffed.rows_).toEqual([
      { a: "1", b: "x,y" },
      { a: "2", b: "z" },
    ]);
    const given = await read("pipe.txt", "a|b,c\n1|2,3\n", { delimiter: "|" });
    expect(given.rows_).toEqual([{ a: "1", "b,c": "2,3" }]);
  });

  it("pads short rows with empty values", async () => {
    const table = await read("ragged.csv", "a,b,c\n1,2,3\n4,5\n6\n");
    expect(table.rows).toBe(3);
    expect(table.columns.map((column) => column.type)).toEqual(["integer", "integer", "integer"]);
    expect(table.rows_).toEqual([
      { a: "1", b: "2", c: "3" },
      { a: "4", b: "5", c: null },
      { a: "6", b: null, c: null },
    ]);
  });

  it("names duplicate and empty headers apart", async () => {
    const table = await read("headers.csv", "a,a,,A,b\n1,2,3,4,5\n");
    const names = table.columns.map((column) => column.name);
    expect(names).toEqual(["a", "a_1", "column2", "A_2", "b"]);
    // no two differ only in capitals, which DuckDB would take for one
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(names.length);
    expect(table.rows_).toEqual([{ a: "1", a_1: "2", column2: "3", A_2: "4", b: "5" }]);
  });

  it("keeps quoted separators, quotes and line breaks in values", async () => {
    const table = await read("quoted.csv", 'id,text\n1,"a, ""b"""\n2,"two\nlines"\n');
    expect(table.rows_).toEqual([
      { id: "1", text: 'a, "b"' },
      { id: "2", text: "two\nlines" },
    ]);
  });

  it("reads a CSV given under a name without an extension", async () => {
    const table = await read("download", "x,y\n1,2\n");
    expect(table.format).toBe("csv");
    expect(table.rows_).toEqual([{ x: "1", y: "2" }]);
  });

  it("reads a CSV as the format it is told", async () => {
    const table = await read("data.json", "x\ty\n1\t2\n", { format: "tsv" });
    expect(table.format).toBe("tsv");
    expect(table.rows_).toEqual([{ x: "1", y: "2" }]);
  });
});

describe("readTableFile: JSON", () => {
  it("flattens nested objects into dotted columns and writes lists as JSON", async () => {
    const content = JSON.stringify([
      { id: 1, customer: { name: "Ann", address: { city: "Paris" } }, tags: ["a", "b"], ok: true },
      { id: 2, customer: { name: "Bob", address: { city: null } }, tags: [], ok: false },
      { id: 3, customer: null, ok: null },
    ]);
    const table = await read("orders.json", content);
    expect(table.format).toBe("json");
    expect(table.columns).toEqual([
      { name: "id", type: "integer" },
      { name: "customer.name", type: "text" },
      { name: "customer.address.city", type: "text" },
      { name: "tags", type: "text" },
      { name: "ok", type: "boolean" },
    ]);
    expect(table.rows_).toEqual([
      {
        id: "1",
        "customer.name": "Ann",
        "customer.address.city": "Paris",
        tags: '["a","b"]',
        ok: true,
      },
      { id: "2", "customer.name": "Bob", "customer.address.city": null, tags: "[]", ok: false },
      { id: "3", "customer.name": null, "customer.address.city": null, tags: null, ok: null },
    ]);
  });

  it("reads a key holding values of several kinds as their plain text", async () => {
    const content = JSON.stringify([
      { v: "abc" },
      { v: 3 },
      { v: true },
      { v: { x: 1 } },
      { v: null },
    ]);
    const table = await read("mixed.json", content);
    expect(table.columns).toEqual([{ name: "v", type: "text" }]);
    expect(table.rows_.map((row) => row.v)).toEqual(["abc", "3", "true", '{"x":1}', null]);
  });

  it("types numbers read from JSON", async () => {
    const table = await read(
      "numbers.json",
      '[{"n": 1, "x": 1.5, "code": "007"}, {"n": 20, "x": 2, "code": "010"}]',
    );
    expect(table.columns).toEqual([
      { name: "n", type: "integer" },
      { name: "x", type: "number" },
      { name: "code", type: "text" },
    ]);
    expect(table.rows_).toEqual([
      { n: "1", x: 1.5, code: "007" },
      { n: "20", x: 2, code: "010" },
    ]);
  });

  it("reads one object per line, a key missing from some lines", async () => {
    const table = await read(
      "events.ndjson",
      '{"a": 1, "b": "x"}\n{"a": 2}\n\n{"a": 3, "b": "z"}\n',
    );
    expect(table.format).toBe("ndjson");
    expect(table.rows_).toEqual([
      { a: "1", b: "x" },
      { a: "2", b: null },
      { a: "3", b: "z" },
    ]);
  });

  it("refuses a JSON file that is not an array, in plain words", async () => {
    const message = await refusal("object.json", JSON.stringify({ rows: [{ a: 1 }] }));
    expect(message.startsWith("the file is not a JSON array of objects (")).toBe(true);
    expect(message).toContain("Expected top-level JSON array");
    expect(message.endsWith(`). ${READABLE}`)).toBe(true);
    // one line, no engine prefix
    expect(message).not.toContain("\n");
    expect(message).not.toMatch(/Error:/);
  });

  it("refuses lines that are not JSON objects, in plain words", async () => {
    const message = await refusal("lines.ndjson", "a,b\n1,2\n");
    expect(message.startsWith("the file is not JSON with one object per line (")).toBe(true);
    expect(message.endsWith(`). ${READABLE}`)).toBe(true);
  });
});

describe("readTableFile: ZIP", () => {
  async function zipOf(entries: Record<string, string>): Promise<Uint8Array> {
    const zip = new JSZip();
    for (const [name, content] of Object.entries(entries)) zip.file(name, content);
    return zip.generateAsync({ type: "uint8array" });
  }

  const TABLES = {
    "readme.md": "# not a table",
    "__MACOSX/data/._a.csv": "junk",
    "data/.hidden.csv": "h\n1\n",
    "data/a.csv": "id,name\n1,Ann\n2,Bob\n",
    "b.json": '[{"x": 1.5}]',
  };

  it("reads the first table in a ZIP, lists them all and says which it read", async () => {
    const table = await read("tables.zip", await zipOf(TABLES));
    expect(table.entries).toEqual(["data/a.csv", "b.json"]);
    expect(table.format).toBe("csv");
    expect(table.notes).toEqual(["Read 'data/a.csv' (one of 2 tables in the ZIP)."]);
    expect(table.rows_).toEqual([
      { id: "1", name: "Ann" },
      { id: "2", name: "Bob" },
    ]);
  });

  it("reads the entry it is asked for", async () => {
    const table = await read("tables.zip", await zipOf(TABLES), { entry: "b.json" });
    expect(table.format).toBe("json");
    expect(table.entries).toEqual(["data/a.csv", "b.json"]);
    expect(table.notes).toEqual(["Read 'b.json' (one of 2 tables in the ZIP)."]);
    expect(table.rows_).toEqual([{ x: 1.5 }]);
  });

  it("adds no note for a ZIP of one table, and keeps the entry's own notes", async () => {
    const zip = new JSZip();
    zip.file("only.csv", iconv.encode("name\nCafé\n", "windows-1252"));
    const table = await read("one.zip", await zip.generateAsync({ type: "uint8array" }));
    expect(table.entries).toEqual(["only.csv"]);
    expect(table.notes).toEqual([
      "The file is not UTF-8, so it was read as Windows-1252 (what Excel's “CSV (Comma delimited)” writes): check that accented letters look right.",
    ]);
    expect(table.rows_).toEqual([{ name: "Café" }]);
  });

  it("refuses an entry it does not hold, listing those it does", async () => {
    expect(await refusal("tables.zip", await zipOf(TABLES), { entry: "c.csv" })).toBe(
      "'tables.zip' has no table called 'c.csv'; it holds: data/a.csv, b.json",
    );
    // a file that is there but is not a table is not one of them
    expect(await refusal("tables.zip", await zipOf(TABLES), { entry: "readme.md" })).toBe(
      "'tables.zip' has no table called 'readme.md'; it holds: data/a.csv, b.json",
    );
  });

  it("refuses a ZIP without a table", async () => {
    expect(
      await refusal("docs.zip", await zipOf({ "readme.md": "hi", "x/.y.csv": "a\n1\n" })),
    ).toBe(`'docs.zip' holds no table. ${READABLE}`);
  });

  it("refuses a file that starts like a ZIP but is not one", async () => {
    const message = await refusal("broken.zip", Buffer.concat([ZIP_HEAD, Buffer.alloc(64, 7)]));
    expect(message).toMatch(/^'broken\.zip' is not a ZIP file that can be opened \(.+\)\.$/);
  });
});

describe("readTableFile: refusals", () => {
  it.each([
    ["a header and no rows", "header.csv", "a,b\n", "'header.csv' has no rows below its header."],
    ["one header and no rows", "one.csv", "a\n", "'one.csv' has no rows."],
    ["an empty file", "empty.csv", "", "'empty.csv' has no rows."],
  ])("refuses %s", async (_, fileName, content, message) => {
    expect(await refusal(fileName, content)).toBe(message);
  });

  it("refuses content it cannot read", async () => {
    expect(await refusal("blob.bin", bytes(0x01, 0x00, 0x02))).toBe(
      `'blob.bin' is not a table DataHaul can read. ${READABLE}`,
    );
    expect(await refusal("book.xlsx", "a,b\n1,2\n")).toBe(
      `'book.xlsx' is not a table DataHaul can read. ${READABLE}`,
    );
  });

  it("leaves nothing behind in the work folder when it refuses", async () => {
    const { filePath, workDir } = place(
      "utf16.csv",
      iconv.encode("a,b\n", "utf-16le", { addBOM: true }),
    );
    await expect(readTableFile(connection, filePath, "utf16.csv", {}, workDir)).rejects.toThrow(
      "'utf16.csv' has no rows below its header.",
    );
    expect(fs.readdirSync(workDir)).toEqual([]);
  });
});

describe("engineMessage", () => {
  it("keeps the first line of an engine error without its prefix", () => {
    expect(engineMessage(new Error("Invalid Input Error: bad thing\nLINE 1: SELECT"))).toBe(
      "bad thing",
    );
    expect(engineMessage(new Error("Conversion Error: nope"))).toBe("nope");
    expect(engineMessage("plain")).toBe("plain");
  });
});

describe("an empty JSON array", () => {
  it("is refused as having no rows, not as unreadable", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-empty-json-"));
    const file = path.join(dir, "empty.json");
    fs.writeFileSync(file, " [ ]\n");
    const connection = await (await DuckDBInstance.create(":memory:")).connect();
    try {
      await expect(readTableFile(connection, file, "empty.json", {}, dir)).rejects.toThrow(
        "the file is an empty JSON array: it has no rows.",
      );
    } finally {
      connection.closeSync();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a ZIP whose table unpacks past the limit", () => {
  it("is stopped while it unpacks, with the limit in the message", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-zip-bomb-"));
    const zipPath = path.join(dir, "bomb.zip");
    const zip = new JSZip();
    zip.file("rows.csv", `a,b\n${"1,2\n".repeat(600_000)}`);
    fs.writeFileSync(
      zipPath,
      await zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" }),
    );
    expect(fs.statSync(zipPath).size).toBeLessThan(100_000);
    const connection = await (await DuckDBInstance.create(":memory:")).connect();
    try {
      await expect(
        readTableFile(connection, zipPath, "bomb.zip", { maxUnpackedBytes: 1024 * 1024 }, dir),
      ).rejects.toThrow(
        "'rows.csv' in 'bomb.zip' unpacks to more than 1 MB, the most a table in a ZIP may hold.",
      );
      expect(fs.readdirSync(dir)).toEqual(["bomb.zip"]);
    } finally {
      connection.closeSync();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
