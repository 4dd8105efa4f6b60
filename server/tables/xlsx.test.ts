import { describe, expect, it } from "vitest";
import {
  createReadStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import ExcelJS from "exceljs";
import JSZip from "jszip";
import Papa from "papaparse";
import { waitFor } from "@/test-support/wait-for";

import { TableError, type TColumn } from "./table-types";
import {
  listXlsxSheets,
  skipSheet,
  writeXlsx,
  XLSX_MAX_ROWS_PER_SHEET,
  xlsxSheetToCsv,
} from "./xlsx";

async function withTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "xlsx-unit-"));
  try {
    await run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const utc = (...parts: [number, number, number, number?, number?, number?]) =>
  new Date(Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3] ?? 0, parts[4] ?? 0, parts[5] ?? 0));

/** A workbook with the cell kinds users bring: text that looks numeric, dates, formulas, … */
async function writeSourceWorkbook(path: string): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  const data = workbook.addWorksheet("Data");
  data.addRow([]); // the header is the first non-empty row, not row 1
  data.addRow([
    "code",
    "amount",
    null,
    "Name",
    "name",
    "day",
    "at",
    "ok",
    "total",
    "note",
    "link",
    "err",
  ]);
  data.addRow([
    "00123",
    0.1,
    3,
    "Ann",
    'x, "y"\nz',
    utc(2024, 1, 15),
    utc(2024, 1, 15, 10, 30, 5),
    true,
    { formula: "B3*2", result: 0.2 },
    { richText: [{ text: "bold", font: { bold: true } }, { text: " plain" }] },
    { text: "site", hyperlink: "https://example.com" },
    { error: "#N/A" },
    "right of the header",
  ]);
  data.addRow([]); // blank rows inside the data are dropped
  data.addRow([
    "007",
    1e21,
    -2.5,
    null,
    null,
    utc(1999, 12, 31),
    null, // a time typed alone, set below
    false,
    { formula: "F5+1", result: utc(2000, 1, 1) },
    "",
    null,
    null,
  ]);
  data.getCell("F3").numFmt = "yyyy-mm-dd";
  data.getCell("G3").numFmt = "yyyy-mm-dd hh:mm:ss";
  data.getCell("F5").numFmt = "mm-dd-yy"; // Excel's built-in date format 14, no format code stored
  data.getCell("G5").value = 0.5 + 5 / 1440; // 12:05 as Excel stores a bare time
  data.getCell("G5").numFmt = "hh:mm";
  data.getCell("I5").numFmt = "yyyy-mm-dd";

  workbook.addWorksheet("R&D").addRow(["only", "a", "header"]);
  workbook.addWorksheet("Empty");
  await workbook.xlsx.writeFile(path);
}

const EXPECTED_DATA_ROWS = [
  [
    "code",
    "amount",
    "column_3",
    "Name",
    "name_2",
    "day",
    "at",
    "ok",
    "total",
    "note",
    "link",
    "err",
  ],
  [
    "00123",
    "0.1",
    "3",
    "Ann",
    'x, "y"\nz',
    "2024-01-15",
    "2024-01-15T10:30:05",
    "true",
    "0.2",
    "bold plain",
    "site",
    "",
  ],
  ["007", "1e+21", "-2.5", "", "", "1999-12-31", "12:05:00", "false", "2000-01-01", "", "", ""],
];

/** The same parts in another order: shared strings and styles ahead of the sheets. */
async function reorderParts(source: string, target: string): Promise<void> {
  const zip = await JSZip.loadAsync(readFileSync(source));
  const names = Object.keys(zip.files).filter((name) => !zip.files[name]?.dir);
  const rank = (name: string) => (name.includes("worksheets/") ? 1 : 0);
  const reordered = new JSZip();
  for (const name of names.sort((a, b) => rank(a) - rank(b))) {
    reordered.file(name, await zip.file(name)!.async("uint8array"));
  }
  const bytes = await reordered.generateAsync({ type: "nodebuffer", compression: "DEFLATE" });
  writeFileSync(target, bytes);
}

const exceljsTempFiles = () =>
  readdirSync(tmpdir()).filter((name) => name.startsWith(`tmp-${process.pid}-`));

/** Open file descriptors of this process, where the platform shows them. */
const openDescriptors = () =>
  existsSync("/proc/self/fd") ? readdirSync("/proc/self/fd").length : null;

function parseCsv(path: string): string[][] {
  return Papa.parse<string[]>(readFileSync(path, "utf8"), { skipEmptyLines: true }).data;
}

describe("listXlsxSheets and xlsxSheetToCsv", () => {
  it("lists the sheets in workbook order and streams the first one as the user sees it", async () => {
    await withTempDir(async (dir) => {
      const source = join(dir, "source.xlsx");
      await writeSourceWorkbook(source);
      expect(await listXlsxSheets(source)).toEqual(["Data", "R&D", "Empty"]);

      const csvPath = join(dir, "data.csv");
      const result = await xlsxSheetToCsv(source, csvPath);
      expect(result).toEqual({ rows: 2, columns: EXPECTED_DATA_ROWS[0], sheet: "Data" });
      expect(readFileSync(csvPath, "utf8")).toBe(
        [
          "code,amount,column_3,Name,name_2,day,at,ok,total,note,link,err",
          '00123,0.1,3,Ann,"x, ""y""\nz",2024-01-15,2024-01-15T10:30:05,true,0.2,bold plain,site,',
          "007,1e+21,-2.5,,,1999-12-31,12:05:00,false,2000-01-01,,,",
          "",
        ].join("\n"),
      );
      expect(parseCsv(csvPath)).toEqual(EXPECTED_DATA_ROWS);
    });
  });

  it("reads the same cells when shared strings and styles come before the sheets", async () => {
    await withTempDir(async (dir) => {
      const source = join(dir, "source.xlsx");
      await writeSourceWorkbook(source);
      const reordered = join(dir, "reordered.xlsx");
      await reorderParts(source, reordered);

      const csvPath = join(dir, "data.csv");
      expect((await xlsxSheetToCsv(reordered, csvPath)).rows).toBe(2);
      expect(parseCsv(csvPath)).toEqual(EXPECTED_DATA_ROWS);
    });
  });

  it("picks a sheet by name, whatever its case, and reads a header without rows", async () => {
    await withTempDir(async (dir) => {
      const source = join(dir, "source.xlsx");
      await writeSourceWorkbook(source);
      const csvPath = join(dir, "rd.csv");
      expect(await xlsxSheetToCsv(source, csvPath, { sheet: "r&d" })).toEqual({
        rows: 0,
        columns: ["only", "a", "header"],
        sheet: "R&D",
      });
      expect(readFileSync(csvPath, "utf8")).toBe("only,a,header\n");
    });
  });

  it("names blank header cells and tells repeated names apart, regardless of case", async () => {
    await withTempDir(async (dir) => {
      const source = join(dir, "headers.xlsx");
      const workbook = new ExcelJS.Workbook();
      const sheet = workbook.addWorksheet("Headers");
      sheet.addRow(["id", "ID", null, "id_2", " Total\nRevenue ", "id"]);
      sheet.addRow([1, 2, 3, 4, 5, 6]);
      await workbook.xlsx.writeFile(source);

      const result = await xlsxSheetToCsv(source, join(dir, "headers.csv"));
      expect(result.columns).toEqual(["id", "ID_3", "column_3", "id_2", "Total Revenue", "id_4"]);
    });
  });

  it("says which sheets there are when the asked-for one is missing", async () => {
    await withTempDir(async (dir) => {
      const source = join(dir, "source.xlsx");
      await writeSourceWorkbook(source);
      const csvPath = join(dir, "missing.csv");
      const reading = xlsxSheetToCsv(source, csvPath, { sheet: "Totals" });
      await expect(reading).rejects.toThrow(TableError);
      await expect(reading).rejects.toThrow(
        "sheet 'Totals' not found; sheets are: Data, R&D, Empty",
      );
      expect(existsSync(csvPath)).toBe(false);
    });
  });

  it("refuses an empty sheet in words", async () => {
    await withTempDir(async (dir) => {
      const source = join(dir, "source.xlsx");
      await writeSourceWorkbook(source);
      const csvPath = join(dir, "empty.csv");
      await expect(xlsxSheetToCsv(source, csvPath, { sheet: "Empty" })).rejects.toThrow(
        new TableError("sheet 'Empty' is empty"),
      );
      expect(existsSync(csvPath)).toBe(false);
    });
  });

  it("refuses files that are not XLSX workbooks with a TableError", async () => {
    await withTempDir(async (dir) => {
      const text = join(dir, "table.xlsx");
      writeFileSync(text, "region,units\nnorth,3\n");
      await expect(listXlsxSheets(text)).rejects.toThrow(
        new TableError("the file is not an XLSX workbook"),
      );
      await expect(xlsxSheetToCsv(text, join(dir, "out.csv"))).rejects.toThrow(TableError);

      const legacy = join(dir, "legacy.xlsx");
      writeFileSync(
        legacy,
        Buffer.concat([Buffer.from("d0cf11e0a1b11ae1", "hex"), Buffer.alloc(600)]),
      );
      await expect(listXlsxSheets(legacy)).rejects.toThrow(/legacy \.xls file or a password/);

      const zip = new JSZip();
      zip.file("notes.txt", "hello");
      const archive = join(dir, "archive.xlsx");
      writeFileSync(archive, await zip.generateAsync({ type: "nodebuffer" }));
      await expect(xlsxSheetToCsv(archive, join(dir, "out.csv"))).rejects.toThrow(
        new TableError(
          "the file is not an XLSX workbook (it is a ZIP archive without a workbook in it)",
        ),
      );
      expect(existsSync(join(dir, "out.csv"))).toBe(false);
    });
  });

  it("skips a parked sheet whose temp file is removed before its stream opened, without an uncaught error", async () => {
    await withTempDir(async (dir) => {
      const closed: Promise<void>[] = [];
      // what exceljs does: a read stream on the sheet's temp file, then, on the next sheet,
      // the file removed; the stream's open (already on its way) fails with ENOENT
      for (let i = 0; i < 20; i++) {
        const path = join(dir, `sheet-${i}.xml`);
        writeFileSync(path, "<worksheet/>");
        const stream = createReadStream(path);
        closed.push(new Promise((resolve) => stream.once("close", () => resolve())));
        skipSheet({ iterator: stream });
        unlinkSync(path);
      }
      // without skipSheet's listener, Vitest reports 20 uncaught ENOENT errors here
      await Promise.all(closed);
    });
  });

  it("stops on abort, removes its CSV and leaves no temp file or descriptor behind", async () => {
    await withTempDir(async (dir) => {
      const source = join(dir, "big.xlsx");
      await writeXlsx(source, {
        columns: [
          { name: "n", type: "integer" },
          { name: "label", type: "text" },
        ],
        batches: (async function* () {
          yield Array.from({ length: 20_000 }, (_, index) => [index, `row ${index}`]);
        })(),
      });
      const descriptorsBefore = openDescriptors();

      const csvPath = join(dir, "big.csv");
      const alreadyAborted = xlsxSheetToCsv(source, csvPath, { signal: AbortSignal.abort() });
      await expect(alreadyAborted).rejects.toMatchObject({ name: "AbortError" });

      // early: exceljs is still inflating the sheet into its temp file; later: copying rows
      for (const delayMs of [0, 60]) {
        const controller = new AbortController();
        const reading = xlsxSheetToCsv(source, csvPath, { signal: controller.signal });
        setTimeout(() => controller.abort(), delayMs);
        await expect(reading).rejects.toMatchObject({ name: "AbortError" });
        expect(existsSync(csvPath)).toBe(false);
      }
      // exceljs removes its temp files (named by the tmp package) without awaiting the removal
      await waitFor(() => exceljsTempFiles().length === 0);
      if (descriptorsBefore !== null) {
        await waitFor(() => (openDescriptors() ?? 0) <= descriptorsBefore);
      }
    });
  });
});

const COLUMNS: TColumn[] = [
  { name: "id", type: "integer" },
  { name: "price", type: "number" },
  { name: "name", type: "text" },
  { name: "active", type: "boolean" },
  { name: "day", type: "date" },
  { name: "at", type: "timestamp" },
  { name: "big", type: "integer" },
  { name: "code", type: "text" },
];

async function* inBatches<T>(rows: readonly T[], size: number): AsyncGenerator<T[]> {
  for (let start = 0; start < rows.length; start += size) yield rows.slice(start, start + size);
}

async function readBack(path: string): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(path);
  return workbook;
}

describe("writeXlsx", () => {
  it("writes typed cells under a bold, frozen header with widths from the data", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "out.xlsx");
      const long = "a long description ".repeat(10);
      const rows: unknown[][] = [
        [
          1,
          9.5,
          "Ann",
          true,
          utc(2024, 1, 15),
          "2024-01-15 10:30:05",
          12345678901234567890n,
          "00123",
        ],
        [2n, "3.25", long, false, "2024-02-29", utc(2024, 2, 29, 23, 59, 59), 42n, "x"],
        [null, null, null, null, null, null, null, null],
        [4, Number.NaN, "=1+1", "maybe", "2024-02-30", "not a time", "12", 7],
      ];
      const progress: number[] = [];
      const result = await writeXlsx(path, {
        columns: COLUMNS,
        batches: inBatches(rows, 3),
        sheetName: "Q1/Q2: sales [draft]*",
        onRows: (count) => progress.push(count),
      });
      expect(result).toEqual({ rows: 4, sheets: ["Q1_Q2_ sales _draft__"] });
      expect(progress.at(-1)).toBe(4);

      const sheet = (await readBack(path)).getWorksheet("Q1_Q2_ sales _draft__")!;
      const values = (row: number) =>
        COLUMNS.map((_, index) => sheet.getRow(row).getCell(index + 1).value);
      expect(values(1)).toEqual(COLUMNS.map((column) => column.name));
      expect(sheet.getRow(1).getCell(1).font?.bold).toBe(true);
      expect(sheet.views[0]).toMatchObject({ state: "frozen", ySplit: 1 });

      expect(values(2)).toEqual([
        1,
        9.5,
        "Ann",
        true,
        utc(2024, 1, 15),
        utc(2024, 1, 15, 10, 30, 5),
        "12345678901234567890", // past 2^53 a number would lose digits
        "00123",
      ]);
      expect(values(3)).toEqual([
        2,
        3.25,
        long,
        false,
        utc(2024, 2, 29),
        utc(2024, 2, 29, 23, 59, 59),
        42,
        "x",
      ]);
      expect(values(4)).toEqual(COLUMNS.map(() => null));
      // what a column's type cannot hold stays readable as text, never a formula
      expect(values(5)).toEqual([4, "NaN", "=1+1", "maybe", "2024-02-30", "not a time", 12, "7"]);

      expect(sheet.getCell("E2").numFmt).toBe("yyyy-mm-dd");
      expect(sheet.getCell("F2").numFmt).toBe("yyyy-mm-dd hh:mm:ss");
      expect(sheet.getCell("E5").numFmt).toBeUndefined();
      expect(sheet.getCell("A2").type).toBe(ExcelJS.ValueType.Number);
      expect(sheet.getCell("D2").type).toBe(ExcelJS.ValueType.Boolean);
      expect(sheet.getCell("H2").type).toBe(ExcelJS.ValueType.String);

      const widths = COLUMNS.map((_, index) => sheet.getColumn(index + 1).width ?? 0);
      for (const width of widths) expect(width).toBeGreaterThanOrEqual(8);
      for (const width of widths) expect(width).toBeLessThanOrEqual(60);
      expect(widths[0]).toBe(8); // short numbers
      expect(widths[2]).toBe(60); // the long text, clamped
      expect(widths[5]).toBeGreaterThan(widths[4]!); // a timestamp is wider than a date
    });
  });

  it("reads back through xlsxSheetToCsv as the text a user sees", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "round.xlsx");
      await writeXlsx(path, {
        columns: COLUMNS,
        batches: inBatches(
          [[7, 0.1, "a,b", true, "2024-03-01", "2024-03-01 00:00:01", -3n, "0042"]],
          10,
        ),
      });
      const csvPath = join(dir, "round.csv");
      expect(await xlsxSheetToCsv(path, csvPath)).toMatchObject({ rows: 1, sheet: "Sheet1" });
      expect(readFileSync(csvPath, "utf8")).toBe(
        'id,price,name,active,day,at,big,code\n7,0.1,"a,b",true,2024-03-01,2024-03-01T00:00:01,-3,0042\n',
      );
    });
  });

  it("continues on numbered sheets, each with the header, when a sheet is full", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "spill.xlsx");
      const rows = Array.from({ length: 12 }, (_, index) => [index + 1, `row ${index + 1}`]);
      const columns: TColumn[] = [
        { name: "n", type: "integer" },
        { name: "label", type: "text" },
      ];
      const result = await writeXlsx(path, {
        columns,
        batches: inBatches(rows, 5),
        sheetName: "Orders",
        maxRowsPerSheet: 5,
      });
      expect(result).toEqual({ rows: 12, sheets: ["Orders", "Orders (2)", "Orders (3)"] });

      const workbook = await readBack(path);
      expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(result.sheets);
      const seen: unknown[][] = [];
      for (const sheet of workbook.worksheets) {
        expect(sheet.getRow(1).values).toEqual([undefined, "n", "label"]);
        expect(sheet.getRow(1).getCell(1).font?.bold).toBe(true);
        expect(sheet.rowCount).toBe(5);
        for (let row = 2; row <= sheet.rowCount; row++) {
          seen.push([sheet.getRow(row).getCell(1).value, sheet.getRow(row).getCell(2).value]);
        }
      }
      expect(seen).toEqual(rows);
    });
  });

  it("keeps spill sheet names within Excel's 31 characters", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "names.xlsx");
      const result = await writeXlsx(path, {
        columns: [{ name: "n", type: "integer" }],
        batches: inBatches([[1], [2], [3]], 3),
        sheetName: "A very long sheet name that Excel refuses",
        maxRowsPerSheet: 2,
      });
      expect(result.sheets).toEqual([
        "A very long sheet name that Exc",
        "A very long sheet name that (2)",
        "A very long sheet name that (3)",
      ]);
      for (const name of result.sheets) expect(name.length).toBeLessThanOrEqual(31);
      expect(XLSX_MAX_ROWS_PER_SHEET).toBe(1_048_576);
    });
  });

  it("makes any name an Excel sheet name", async () => {
    await withTempDir(async (dir) => {
      const nameFor = async (sheetName: string) => {
        const path = join(dir, "name.xlsx");
        const result = await writeXlsx(path, {
          columns: [{ name: "n", type: "integer" }],
          batches: inBatches([[1]], 1),
          sheetName,
        });
        expect((await readBack(path)).worksheets.map((sheet) => sheet.name)).toEqual(result.sheets);
        return result.sheets[0];
      };
      expect(await nameFor("'Quoted'")).toBe("Quoted");
      expect(await nameFor("  ")).toBe("Sheet1");
      expect(await nameFor("History")).toBe("History_");
      expect(await nameFor(`${"x".repeat(30)}'tail`)).toBe("x".repeat(30));
    });
  });

  it("writes a header-only sheet for no rows, and dates Excel cannot show as text", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "empty.xlsx");
      const columns: TColumn[] = [{ name: "day", type: "date" }];
      expect(await writeXlsx(path, { columns, batches: inBatches([], 1) })).toEqual({
        rows: 0,
        sheets: ["Sheet1"],
      });
      expect((await readBack(path)).getWorksheet("Sheet1")!.getRow(1).values).toEqual([
        undefined,
        "day",
      ]);

      // Excel's phantom 29 February 1900 puts exceljs's January and February 1900 a day out
      const old = [[utc(1900, 2, 28)], ["1899-12-31"], ["1900-03-01"]];
      await writeXlsx(path, { columns, batches: inBatches(old, 10) });
      const sheet = (await readBack(path)).getWorksheet("Sheet1")!;
      expect([2, 3, 4].map((row) => sheet.getCell(`A${row}`).value)).toEqual([
        "1900-02-28",
        "1899-12-31",
        utc(1900, 3, 1),
      ]);
    });
  });

  it("stops on abort, closes the source and removes the file", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "aborted.xlsx");
      const controller = new AbortController();
      let sourceClosed = false;
      async function* endless() {
        try {
          for (let batch = 0; ; batch++) {
            if (batch === 3) controller.abort();
            yield Array.from({ length: 500 }, (_, index) => [batch * 500 + index, "row"]);
          }
        } finally {
          sourceClosed = true;
        }
      }
      const writing = writeXlsx(path, {
        columns: [
          { name: "n", type: "integer" },
          { name: "label", type: "text" },
        ],
        batches: endless(),
        signal: controller.signal,
      });
      await expect(writing).rejects.toMatchObject({ name: "AbortError" });
      expect(sourceClosed).toBe(true);
      expect(existsSync(path)).toBe(false);
    });
  });

  it("fails, rather than hangs, when the file cannot be written", async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "missing-folder", "out.xlsx");
      await expect(
        writeXlsx(path, { columns: COLUMNS, batches: inBatches([[1]], 1) }),
      ).rejects.toMatchObject({ code: "ENOENT" });
    });
  });

  it("finds the exceljs sheet pipe whose back-pressure keeps a big export's memory flat", async () => {
    // writeXlsx reaches into exceljs 4.4 internals for this; an upgrade that moves them must fail here
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: new PassThrough().resume() });
    const sheet = workbook.addWorksheet("Sheet1");
    sheet.addRow(["x"]).commit();
    const { stream } = sheet as unknown as {
      stream?: { pipes?: { _writableState?: { needDrain?: boolean } }[] };
    };
    expect(stream?.pipes?.[0]?._writableState?.needDrain).toBeTypeOf("boolean");
    await workbook.commit();
  });
});
