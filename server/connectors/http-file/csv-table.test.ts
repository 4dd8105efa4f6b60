import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Papa from "papaparse";
import { afterAll, describe, expect, it } from "vitest";
import { BufferedFile, csvRecord, CsvTable, firstRecordEnd } from "./csv-table";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "datahaul-csv-table-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const tooLarge = () => new Error("too large");
let n = 0;
const file = (name: string) => path.join(dir, `${name}-${n++}`);

async function tableOf(rows: [string, string][][], maxBytes = 1e9) {
  const bodyPath = file("body");
  const outPath = file("out");
  const table = await CsvTable.open(bodyPath, maxBytes, tooLarge);
  for (const row of rows) await table.addRow(row);
  const out = await BufferedFile.open(outPath, maxBytes, tooLarge);
  await table.finish(out);
  await out.close();
  expect(fs.existsSync(bodyPath)).toBe(false);
  return { text: fs.readFileSync(outPath, "utf8"), table, bytes: out.bytes };
}

describe("csvRecord", () => {
  it("quotes a field with a comma, a quote or a line break (RFC 4180), and ends with CRLF", () => {
    expect(csvRecord(["a", "b,c", 'say "hi"', "x\ny", "r\rs", " pad "])).toBe(
      'a,"b,c","say ""hi""","x\ny","r\rs", pad \r\n',
    );
  });

  it('writes one empty field as "" so the record is not a blank line', () => {
    expect(csvRecord([""])).toBe('""\r\n');
    expect(csvRecord(["", ""])).toBe(",\r\n");
  });
});

describe("CsvTable", () => {
  it("writes the union of the columns in first-seen order, padding the rows written before a column appeared", async () => {
    const { text, table, bytes } = await tableOf([
      [
        ["id", "1"],
        ["name", "Ann, A."],
      ],
      [
        ["name", "Bob"],
        ["id", "2"],
      ],
      [
        ["id", "3"],
        ["note", 'multi\r\nline "quoted"'],
      ],
      [["id", "4"]],
      [
        ["extra", "x"],
        ["id", "5"],
      ],
    ]);
    expect(table.columns).toEqual(["id", "name", "note", "extra"]);
    expect(table.rows).toBe(5);
    expect(text).toBe(
      [
        "id,name,note,extra",
        '1,"Ann, A.",,',
        "2,Bob,,",
        '3,,"multi\r\nline ""quoted""",',
        "4,,,",
        "5,,,x",
        "",
      ].join("\r\n"),
    );
    expect(bytes).toBe(Buffer.byteLength(text));
    const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true });
    expect(parsed.errors).toEqual([]);
    expect(parsed.data.every((row) => row.length === 4)).toBe(true);
  });

  it("pads across buffer blocks and keeps a CR inside quotes as data", async () => {
    const rows: [string, string][][] = [];
    for (let i = 0; i < 20_000; i++) rows.push([["a", `v${i}\r"x"`]]);
    rows.push([
      ["a", "last"],
      ["b", "new"],
    ]);
    const { text } = await tableOf(rows);
    const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true });
    expect(parsed.data).toHaveLength(20_002);
    expect(parsed.data[0]).toEqual(["a", "b"]);
    expect(parsed.data[1]).toEqual(['v0\r"x"', ""]);
    expect(parsed.data[20_000]).toEqual(['v19999\r"x"', ""]);
    expect(parsed.data[20_001]).toEqual(["last", "new"]);
  });

  it("keeps a row with no field yet as a record, and a single empty column's rows too", async () => {
    const { text } = await tableOf([[], [["a", ""]], [["a", "1"]], [["a", ""]]]);
    expect(text).toBe('a\r\n""\r\n""\r\n1\r\n""\r\n');
    const padded = await tableOf([
      [],
      [
        ["a", "1"],
        ["b", "2"],
      ],
    ]);
    expect(padded.text).toBe('a,b\r\n"",\r\n1,2\r\n');
  });

  it("writes nothing for no rows, and refuses rows that have no fields at all", async () => {
    expect((await tableOf([])).text).toBe("");
    await expect(tableOf([[], []])).rejects.toThrow("the 2 rows have no fields at all");
  });

  it("stops at the size limit with the caller's error", async () => {
    const big = "x".repeat(1000);
    await expect(tableOf([[["a", big]], [["a", big]]], 1500)).rejects.toThrow("too large");
  });
});

describe("firstRecordEnd", () => {
  it("finds the CRLF that ends the first record, not one inside quotes", () => {
    expect(firstRecordEnd(Buffer.from("a,b\r\n1,2\r\n"))).toBe(5);
    expect(firstRecordEnd(Buffer.from('"a\r\nb",c\r\n1'))).toBe(10);
    expect(firstRecordEnd(Buffer.from('"a""\r\n",c'))).toBe(-1);
    expect(firstRecordEnd(Buffer.from(""))).toBe(-1);
  });
});
