import { type EventEmitter, once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import ExcelJS from "exceljs";
import JSZip from "jszip";

import { TableError, type TColumn, type TColumnType } from "./table-types";

// ---------------------------------------------------------------------------------------------
// Reading: the workbook's sheet list straight from the ZIP's directory

const WORKBOOK_PART = "xl/workbook.xml";

const NOT_XLSX = "the file is not an XLSX workbook";

type WorkbookInventory = { sheets: string[]; date1904: boolean };

/** The sheet names of a workbook, in order, without reading the cells. */
export async function listXlsxSheets(path: string): Promise<string[]> {
  return (await readWorkbookInventory(path)).sheets;
}

// exceljs's streaming reader would inflate every sheet to a temp file before it knows the names
// (Excel writes workbook.xml and sharedStrings.xml after the sheets), so the list comes from the
// ZIP's directory: one small part inflated, the cells never touched.
async function readWorkbookInventory(path: string): Promise<WorkbookInventory> {
  const xml = (await readZipPart(path, WORKBOOK_PART)).toString("utf8");
  const sheets: string[] = [];
  for (const match of xml.matchAll(/<(?:[\w.-]+:)?sheet\s([^>]*)>/g)) {
    const name = /(?:^|\s)name\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(match[1] ?? "");
    if (name) sheets.push(decodeXmlText(name[1] ?? name[2] ?? ""));
  }
  const workbookPr = /<(?:[\w.-]+:)?workbookPr\s([^>]*)>/.exec(xml)?.[1] ?? "";
  const date1904 = /(?:^|\s)date1904\s*=\s*["'](?:1|true)["']/.test(workbookPr);
  return { sheets, date1904 };
}

/** One part of the workbook's ZIP, read with JSZip (its directory, then that part alone inflated). */
async function readZipPart(path: string, partName: string): Promise<Buffer> {
  const bytes = await readFile(path);
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(bytes);
  } catch {
    throw new TableError(notXlsxMessage(bytes.subarray(0, 8)));
  }
  const part = zip.file(partName);
  if (!part) throw new TableError(`${NOT_XLSX} (it is a ZIP archive without a workbook in it)`);
  try {
    return await part.async("nodebuffer");
  } catch {
    throw new TableError(`${NOT_XLSX} (its workbook part is damaged)`);
  }
}

function notXlsxMessage(head: Buffer): string {
  // Excel saves password-protected workbooks, like legacy .xls files, as OLE compound files
  const isCompoundFile = head.length >= 8 && head.readUInt32BE(0) === 0xd0cf11e0;
  return isCompoundFile
    ? `${NOT_XLSX} (it looks like a legacy .xls file or a password-protected workbook)`
    : NOT_XLSX;
}

const XML_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (entity: string, body: string) => {
    if (body.startsWith("#")) {
      const code =
        body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : Number(body.slice(1));
      return code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return XML_ENTITIES[body] ?? entity;
  });
}

// ---------------------------------------------------------------------------------------------
// Reading: one sheet to CSV

// the typings leave out what the streaming reader sets on each sheet it emits
type StreamedSheet = ExcelJS.stream.xlsx.WorksheetReader & { name?: string; iterator?: unknown };

const CSV_CHUNK_CHARS = 64 * 1024;

/**
 * Streams one sheet (by name; default the first) into a UTF-8 CSV file at csvPath (comma, RFC 4180
 * quoting, LF). The header is the sheet's first non-empty row and sets the width: cells right of
 * its last non-empty cell are not part of the table. Rows with no value in that width are skipped.
 * Cells become the text a user sees (see cellText). On failure or abort csvPath is removed.
 */
export async function xlsxSheetToCsv(
  path: string,
  csvPath: string,
  options: { sheet?: string; signal?: AbortSignal } = {},
): Promise<{ rows: number; columns: string[]; sheet: string }> {
  const { signal } = options;
  signal?.throwIfAborted();
  const { sheets, date1904 } = await readWorkbookInventory(path);
  const sheet = pickSheet(sheets, options.sheet);
  signal?.throwIfAborted();

  const input = createReadStream(path);
  // exceljs pipes its input into the unzipper and forwards no read error: a failed read would
  // leave it waiting for bytes forever. The whole read races against that error, and only once:
  // each race leaves a reaction on this promise until it settles (one per row was 3 GB)
  let inputError: Error | undefined;
  const inputFailed = new Promise<never>((_, reject) => {
    input.once("error", (error) => {
      inputError = error;
      reject(error);
    });
  });
  inputFailed.catch(() => undefined);

  const output = new CsvWriter(createWriteStream(csvPath));
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: "emit",
    sharedStrings: "cache",
    styles: "cache",
    hyperlinks: "ignore",
    entries: "ignore",
  });
  const worksheets = reader[Symbol.asyncIterator]();
  try {
    const reading = copyNamedSheet(worksheets, sheet, output, { date1904, signal });
    const result = await Promise.race([reading, inputFailed]);
    await output.end();
    return { ...result, sheet };
  } catch (error) {
    if (inputError) {
      input.destroy();
      await output.discard(csvPath);
      throw inputError;
    }
    // run the reader to its end so that it deletes the temp files it inflated sheets into
    await Promise.race([drain(worksheets), inputFailed]).catch(() => undefined);
    await output.discard(csvPath);
    signal?.throwIfAborted();
    if (error instanceof TableError || output.failed(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new TableError(`the workbook could not be read (${reason})`);
  }
}

async function copyNamedSheet(
  worksheets: AsyncGenerator<StreamedSheet>,
  sheet: string,
  output: CsvWriter,
  options: { date1904: boolean; signal?: AbortSignal },
): Promise<{ rows: number; columns: string[] }> {
  const { signal } = options;
  let result: { rows: number; columns: string[] } | undefined;
  // next() rather than for-await, which on an error would close the reader before it deletes its
  // temp files. An abort is seen once the reader has inflated the file to them (about a second
  // per million rows); cutting its input short instead leaves it hanging on a temp file.
  for (;;) {
    const next = await worksheets.next();
    if (next.done) break;
    const worksheet = next.value;
    if (result === undefined && worksheet.name === sheet && !signal?.aborted) {
      result = await copySheet(worksheet, output, options);
    } else {
      skipSheet(worksheet);
    }
  }
  signal?.throwIfAborted();
  if (!result || result.columns.length === 0) throw new TableError(`sheet '${sheet}' is empty`);
  return result;
}

function pickSheet(sheets: readonly string[], wanted: string | undefined): string {
  if (sheets.length === 0) throw new TableError("the workbook has no sheets");
  if (wanted === undefined) return sheets[0] as string;
  if (sheets.includes(wanted)) return wanted;
  // Excel keeps sheet names unique regardless of case, so this match is never ambiguous
  const folded = sheets.find((name) => name.toLowerCase() === wanted.toLowerCase());
  if (folded !== undefined) return folded;
  throw new TableError(`sheet '${wanted}' not found; sheets are: ${sheets.join(", ")}`);
}

/** Exported for its test: the race it guards against needs no workbook to show. */
export function skipSheet(worksheet: Pick<StreamedSheet, "iterator">): void {
  // a sheet the reader parked in a temp file comes with an open read stream; unread, it would
  // keep its descriptor until exit
  if (worksheet.iterator instanceof Readable) {
    // exceljs removes the temp file as soon as it is asked for the next sheet; a stream destroyed
    // before its open finished then fails that open with ENOENT, which without a listener is an
    // uncaught exception (it took down a test process, twice in three CI runs)
    worksheet.iterator.on("error", () => {});
    worksheet.iterator.destroy();
  }
}

async function drain(worksheets: AsyncGenerator<StreamedSheet>): Promise<void> {
  try {
    for (;;) {
      const next = await worksheets.next();
      if (next.done) return;
      skipSheet(next.value);
    }
  } catch {
    // a reader that failed has already stopped, and the error that matters is the first one
  }
}

async function copySheet(
  worksheet: StreamedSheet,
  output: CsvWriter,
  options: { date1904: boolean; signal?: AbortSignal },
): Promise<{ rows: number; columns: string[] }> {
  const { date1904, signal } = options;
  let columns: string[] | undefined;
  let rows = 0;
  const texts: string[] = [];
  for await (const row of worksheet) {
    if (signal?.aborted) signal.throwIfAborted();
    texts.length = 0;
    row.eachCell((cell, columnNumber) => {
      texts[columnNumber - 1] = cellText(cell.value, cell.numFmt, date1904);
    });
    if (columns === undefined) {
      let width = texts.length;
      while (width > 0 && !texts[width - 1]) width--;
      if (width === 0) continue;
      columns = headerNames(Array.from(texts.slice(0, width), (text) => text ?? ""));
      await output.writeRow(columns);
      continue;
    }
    const fields: string[] = new Array<string>(columns.length);
    let hasValue = false;
    for (let index = 0; index < columns.length; index++) {
      const text = texts[index] ?? "";
      fields[index] = text;
      if (text !== "") hasValue = true;
    }
    if (!hasValue) continue;
    await output.writeRow(fields);
    rows++;
  }
  return { rows, columns: columns ?? [] };
}

/** Header cells as column names: blanks become column_N, repeats get _2, _3… */
function headerNames(cells: readonly string[]): string[] {
  // a line break typed into a header cell only wraps it on screen; as a name it would be a trap
  const trimmed = cells.map((cell) => cell.replace(/\s+/g, " ").trim());
  // DuckDB matches column names regardless of case, so "Name" and "name" would collide there
  const key = (name: string) => name.toLowerCase();
  const explicit = new Set(trimmed.filter((name) => name !== "").map(key));
  const used = new Set<string>();
  return trimmed.map((cell, index) => {
    const base = cell === "" ? `column_${index + 1}` : cell;
    let name = base;
    for (let suffix = 2; used.has(key(name)) || (name !== cell && explicit.has(key(name)));) {
      name = `${base}_${suffix++}`;
    }
    used.add(key(name));
    return name;
  });
}

/**
 * A cell as the text a user sees: numbers in their shortest round-trip form, dates as ISO,
 * formulas as their cached result, rich text and hyperlinks as their text, errors as empty.
 */
function cellText(value: ExcelJS.CellValue, numFmt: string | undefined, date1904: boolean): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (value instanceof Date) return dateText(value);
  if ("richText" in value) return value.richText.map((run) => run.text ?? "").join("");
  if ("hyperlink" in value) return cellText(value.text, numFmt, date1904);
  if ("error" in value) return "";
  if ("result" in value) {
    const { result } = value;
    // the streaming reader dates plain cells by their format but hands formula results over raw
    if (typeof result === "number" && Number.isFinite(result) && isDateFormat(numFmt)) {
      return dateText(serialToDate(result, date1904));
    }
    return cellText(result, numFmt, date1904);
  }
  return "";
}

function serialToDate(serial: number, date1904: boolean): Date {
  const epochDays = date1904 ? 24107 : 25569;
  return new Date(Math.round((serial - epochDays) * 86_400_000));
}

const TIME_ONLY_DAY = "1899-12-30";

/** 'YYYY-MM-DD' at midnight, 'YYYY-MM-DDTHH:MM:SS' otherwise, 'HH:MM:SS' for a time of day alone. */
function dateText(date: Date): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) return "";
  // serials are days in a double: a typed 10:30:00 comes back some microseconds off
  const iso = new Date(Math.round(ms / 1000) * 1000).toISOString();
  if (iso.length !== 24) return iso;
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 19);
  if (time === "00:00:00") return day;
  // a time typed on its own is stored as a fraction of Excel's day zero
  if (day === TIME_ONLY_DAY) return time;
  return `${day}T${time}`;
}

/** Whether a number format shows a date or time (the rule exceljs applies to plain cells). */
function isDateFormat(numFmt: string | undefined): boolean {
  if (!numFmt) return false;
  const visible = numFmt.replace(/\[[^\]]*\]/g, "").replace(/"[^"]*"/g, "");
  return /[ymdhsb]/i.test(visible);
}

/** A CSV file written through a large buffer, waiting for the disk when it falls behind. */
class CsvWriter {
  private pending = "";
  private error: Error | undefined;

  constructor(private readonly stream: WriteStream) {
    stream.on("error", (error) => {
      this.error = error;
    });
  }

  async writeRow(fields: readonly string[]): Promise<void> {
    this.pending += fields.map(csvField).join(",") + "\n";
    if (this.pending.length >= CSV_CHUNK_CHARS) await this.flush();
  }

  async end(): Promise<void> {
    await this.flush();
    this.stream.end();
    await finished(this.stream);
  }

  async discard(path: string): Promise<void> {
    this.stream.destroy();
    await finished(this.stream).catch(() => undefined);
    await rm(path, { force: true });
  }

  failed(error: unknown): boolean {
    return error !== undefined && error === this.error;
  }

  private async flush(): Promise<void> {
    if (this.error) throw this.error;
    const chunk = this.pending;
    this.pending = "";
    if (chunk && !this.stream.write(chunk)) await once(this.stream, "drain");
  }
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// ---------------------------------------------------------------------------------------------
// Writing

export const XLSX_MAX_ROWS_PER_SHEET = 1_048_576; // Excel's limit, header row included

const MAX_SHEET_NAME = 31;
const MAX_CELL_TEXT = 32_767; // longer text makes Excel "repair" the file by cutting it
const WIDTH_SAMPLE_ROWS = 1_000;
const ROWS_PER_CATCH_UP = 1_000;
const MIN_WIDTH = 8;
const MAX_WIDTH = 60;
const DATE_FORMAT = "yyyy-mm-dd";
const TIMESTAMP_FORMAT = "yyyy-mm-dd hh:mm:ss";

// exceljs 4.4 hands each sheet's XML to a readable-stream v2 PassThrough, which predates the
// public writableNeedDrain; its _writableState is the only place the backlog shows
type SheetPipe = EventEmitter & { _writableState?: { needDrain?: boolean } };
type SheetStreamHandle = { stream?: { pipes?: SheetPipe[] } };
type ArchiverHandle = { abort(): void; on(event: "error", listener: () => void): void };

// shared style objects: exceljs caches a style's id by object identity, so one object per kind
// saves re-serialising a style for each of millions of cells
const PLAIN_STYLE: Partial<ExcelJS.Style> = {};
const HEADER_STYLE: Partial<ExcelJS.Style> = { font: { bold: true } };
const DATE_STYLE: Partial<ExcelJS.Style> = { numFmt: DATE_FORMAT };
const TIMESTAMP_STYLE: Partial<ExcelJS.Style> = { numFmt: TIMESTAMP_FORMAT };

type XlsxValue = string | number | boolean | Date | null;

/**
 * Writes rows to an XLSX file with exceljs's streaming writer: a bold, frozen header row, column
 * widths from the header and the first 1,000 rows, typed cells (numbers, UTC date cells, booleans,
 * text). Rows past maxRowsPerSheet spill to "<sheetName> (2)", "(3)"… each with the header.
 * On failure or abort the file is removed.
 */
export async function writeXlsx(
  path: string,
  args: {
    columns: readonly TColumn[];
    batches: AsyncIterable<readonly (readonly unknown[])[]>;
    sheetName?: string;
    maxRowsPerSheet?: number;
    signal?: AbortSignal;
    onRows?: (rows: number) => void;
  },
): Promise<{ rows: number; sheets: string[] }> {
  const { columns, signal, onRows } = args;
  const maxRowsPerSheet = args.maxRowsPerSheet ?? XLSX_MAX_ROWS_PER_SHEET;
  if (
    !Number.isInteger(maxRowsPerSheet) ||
    maxRowsPerSheet < 2 ||
    maxRowsPerSheet > XLSX_MAX_ROWS_PER_SHEET
  ) {
    throw new RangeError(`maxRowsPerSheet must be 2…${XLSX_MAX_ROWS_PER_SHEET}`);
  }
  signal?.throwIfAborted();
  const baseName = sanitiseSheetName(args.sheetName ?? "Sheet1");
  const dataRowsPerSheet = maxRowsPerSheet - 1;
  const cellStyles = columns.map((column) =>
    column.type === "date"
      ? DATE_STYLE
      : column.type === "timestamp"
        ? TIMESTAMP_STYLE
        : PLAIN_STYLE,
  );

  const stream = createWriteStream(path);
  let outputError: Error | undefined;
  const outputFailure = new AbortController();
  const outputFailed = new Promise<never>((_, reject) => {
    stream.on("error", (error) => {
      outputError = error;
      outputFailure.abort(error);
      reject(error);
    });
  });
  outputFailed.catch(() => undefined);
  // ends a wait for exceljs on abort or on a failed write, after which the wait would never end
  const stopWaiting = signal
    ? AbortSignal.any([signal, outputFailure.signal])
    : outputFailure.signal;
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream,
    useSharedStrings: false,
    useStyles: true,
  });

  const sheets: string[] = [];
  let worksheet: ExcelJS.Worksheet | undefined;
  let widths: number[] | undefined;
  let rowsInSheet = 0;
  let rows = 0;

  const startSheet = () => {
    worksheet?.commit();
    const name = spillSheetName(baseName, sheets.length + 1);
    sheets.push(name);
    worksheet = workbook.addWorksheet(name, { views: [{ state: "frozen", ySplit: 1 }] });
    worksheet.columns = (widths ?? []).map((width) => ({ width }));
    const header = worksheet.addRow(columns.map((column) => column.name));
    header.eachCell((cell) => {
      cell.style = HEADER_STYLE;
    });
    header.commit();
    rowsInSheet = 0;
  };

  const writeRow = (values: readonly unknown[]) => {
    if (worksheet === undefined || rowsInSheet === dataRowsPerSheet) startSheet();
    const row = (worksheet as ExcelJS.Worksheet).addRow(
      // undefined, unlike null, makes exceljs leave the cell out instead of writing an empty one
      columns.map((column, index) => toXlsxValue(values[index], column.type) ?? undefined),
    );
    row.eachCell((cell, columnNumber) => {
      const style = cellStyles[columnNumber - 1] ?? PLAIN_STYLE;
      // text in a date column (a value the engine could not date) must not be shown as a date
      cell.style = cell.value instanceof Date ? style : PLAIN_STYLE;
    });
    row.commit();
    rowsInSheet++;
    rows++;
  };
  // exceljs writes each sheet's XML into a pipe towards zlib without heeding its back-pressure,
  // so a fast source would pile the whole sheet up in memory; wait for that pipe instead
  const zipCatchUp = async () => {
    if (worksheet === undefined) return;
    const { stream: sheetStream } = worksheet as unknown as SheetStreamHandle;
    for (const pipe of sheetStream?.pipes ?? []) {
      if (pipe._writableState?.needDrain) await once(pipe, "drain", { signal: stopWaiting });
    }
  };
  const writeRows = async (list: readonly (readonly unknown[])[]) => {
    for (let index = 0; index < list.length; index++) {
      if (signal?.aborted) signal.throwIfAborted();
      writeRow(list[index] as readonly unknown[]);
      if ((index + 1) % ROWS_PER_CATCH_UP === 0) await zipCatchUp();
    }
    await zipCatchUp();
  };

  try {
    const sample: (readonly unknown[])[] = [];
    for await (const batch of args.batches) {
      signal?.throwIfAborted();
      if (outputError) throw outputError;
      if (widths === undefined) {
        sample.push(...batch);
        if (sample.length < WIDTH_SAMPLE_ROWS) continue;
        widths = columnWidths(columns, sample);
        await writeRows(sample);
        sample.length = 0;
      } else {
        await writeRows(batch);
      }
      onRows?.(rows);
    }
    if (widths === undefined) {
      widths = columnWidths(columns, sample);
      await writeRows(sample);
      if (sample.length > 0) onRows?.(rows);
    }
    if (worksheet === undefined) startSheet();
    signal?.throwIfAborted();
    await Promise.race([workbook.commit(), outputFailed]);
    await finished(stream);
    return { rows, sheets };
  } catch (error) {
    // exceljs keeps its archiver to itself; aborting it stops deflating a file we are deleting
    const { zip } = workbook as unknown as { zip?: ArchiverHandle };
    zip?.on("error", () => undefined);
    zip?.abort();
    stream.destroy();
    await finished(stream).catch(() => undefined);
    await rm(path, { force: true });
    // a wait cut short rejects with its own AbortError; callers get the signal's or the disk's
    signal?.throwIfAborted();
    throw outputError ?? error;
  }
}

/** A name Excel accepts: no : \ / ? * [ ], not blank, no apostrophe at either end, ≤ 31 chars. */
function sanitiseSheetName(name: string): string {
  const trimEnds = (text: string) => text.replace(/^['\s]+|['\s]+$/g, "");
  const allowed = trimEnds(name.replace(/[:\\/?*[\]]/g, "_").replace(/[\u0000-\u001f]/g, " "));
  // the cut can leave an apostrophe or a space at the new end
  const cleaned = trimEnds(truncateUtf16(allowed, MAX_SHEET_NAME));
  if (cleaned === "") return "Sheet1";
  // "History" is reserved for Excel's own change-tracking sheet
  return cleaned.toLowerCase() === "history" ? `${cleaned}_` : cleaned;
}

function spillSheetName(baseName: string, index: number): string {
  if (index === 1) return baseName;
  const suffix = ` (${index})`;
  return truncateUtf16(baseName, MAX_SHEET_NAME - suffix.length).trimEnd() + suffix;
}

/** Cuts to at most `max` UTF-16 units (Excel's measure) without splitting a surrogate pair. */
function truncateUtf16(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = "";
  for (const character of text) {
    if (cut.length + character.length > max) break;
    cut += character;
  }
  return cut;
}

function columnWidths(
  columns: readonly TColumn[],
  sample: readonly (readonly unknown[])[],
): number[] {
  return columns.map((column, index) => {
    let longest = column.name.length;
    for (const values of sample.slice(0, WIDTH_SAMPLE_ROWS)) {
      longest = Math.max(
        longest,
        displayLength(toXlsxValue(values[index], column.type), column.type),
      );
    }
    // room for the filter arrow and the bold header
    return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, longest + 2));
  });
}

function displayLength(value: XlsxValue, type: TColumnType): number {
  if (value === null) return 0;
  if (value instanceof Date)
    return type === "timestamp" ? TIMESTAMP_FORMAT.length : DATE_FORMAT.length;
  if (typeof value === "string") {
    return Math.max(...value.split("\n", 20).map((line) => line.length));
  }
  return String(value).length;
}

const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?Z?$/;
// Excel shows no dates after 9999, nor before 1900, and counts a 29 February 1900 that never was,
// so exceljs's serials for January and February 1900 come out a day late: those stay text
const EARLIEST_EXCEL_MS = Date.UTC(1900, 2, 1);
const LATEST_EXCEL_MS = Date.UTC(10000, 0, 1);

/** A value as the cell it becomes in a column of the given type; what does not fit stays text. */
function toXlsxValue(value: unknown, type: TColumnType): XlsxValue {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "integer":
    case "number":
      if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
      if (typeof value === "bigint") {
        // beyond 2^53 a number would silently change the last digits
        return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
      }
      if (typeof value === "string" && NUMBER_TEXT.test(value.trim())) {
        const parsed = Number(value);
        // keep text whose digits a double cannot hold, like a 20-digit id
        if (Number.isFinite(parsed) && (type === "number" || Number.isSafeInteger(parsed))) {
          return parsed;
        }
      }
      return textValue(value);
    case "boolean":
      if (typeof value === "boolean") return value;
      if (value === "true" || value === "false") return value === "true";
      return textValue(value);
    case "date":
    case "timestamp": {
      const date =
        value instanceof Date ? value : typeof value === "string" ? parseIsoDate(value) : null;
      if (date !== null) {
        const ms = date.getTime();
        if (ms >= EARLIEST_EXCEL_MS && ms < LATEST_EXCEL_MS) return date;
      }
      return textValue(value);
    }
    case "text":
      return textValue(value);
  }
}

/** 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS[.fff]' as the UTC instant Excel shows as that wall clock. */
function parseIsoDate(text: string): Date | null {
  const match = ISO_DATE_TIME.exec(text.trim());
  if (!match) return null;
  const [, year, month, day, hour = "0", minute = "0", second = "0", fraction = ""] = match;
  const ms = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    Number(fraction.padEnd(3, "0").slice(0, 3)),
  );
  const date = new Date(ms);
  // Date.UTC rolls 2024-02-30 over into March instead of refusing it
  if (date.getUTCDate() !== Number(day) || date.getUTCMonth() !== Number(month) - 1) return null;
  return date;
}

function textValue(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = value;
  else if (value instanceof Date) text = Number.isNaN(value.getTime()) ? "" : dateText(value);
  else if (typeof value === "object" && value !== null) {
    text = JSON.stringify(value, (_key, item: unknown) =>
      typeof item === "bigint" ? item.toString() : item,
    );
  } else text = String(value);
  return text.length > MAX_CELL_TEXT ? truncateUtf16(text, MAX_CELL_TEXT) : text;
}
