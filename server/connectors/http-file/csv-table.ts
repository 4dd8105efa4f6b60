import fs from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { ConnectorError } from "../connector-error";

// The CSV a paged report becomes, written while its pages arrive (RFC 4180: UTF-8, CRLF, fields
// quoted when they hold a comma, a quote or a line break), so no more than one page is ever held.

const WRITE_BLOCK = 256 * 1024;
const CR = 0x0d;
const QUOTE = 0x22;
const CRLF = "\r\n";

/** An append-only file written in blocks; `bytes` counts what was written, buffered or not. */
export class BufferedFile {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  bytes = 0;

  private constructor(
    private readonly handle: FileHandle,
    /** the most the file may hold; more is the report's size limit, said in words */
    private readonly maxBytes: number,
    private readonly tooLarge: () => Error,
  ) {}

  static async open(path: string, maxBytes: number, tooLarge: () => Error) {
    return new BufferedFile(await open(path, "w"), maxBytes, tooLarge);
  }

  async write(data: string | Buffer): Promise<void> {
    const chunk = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) throw this.tooLarge();
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= WRITE_BLOCK) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const block = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.write(block);
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.handle.close();
    }
  }

  /** Closes without writing what is still buffered (the file is being thrown away). */
  async discard(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.close().catch(() => undefined);
  }
}

/** One CSV field (RFC 4180 §2): quoted when it holds a comma, a double quote or a line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * One record with its CRLF. A record of one empty field is written `""`, or it would be a blank
 * line, which CSV readers (and DataHaul's own normaliser) drop.
 */
export function csvRecord(fields: string[]): string {
  if (fields.length === 1 && fields[0] === "") return `""${CRLF}`;
  return fields.map(csvField).join(",") + CRLF;
}

/**
 * Rows of cells by column name, to one CSV whose columns are the union of all rows' columns in
 * the order they were first seen. A row is written to a body file as it comes, with the columns
 * known then; as columns are only ever added at the end, an earlier row lacks only trailing ones.
 * `finish` writes the header and copies the body after it, adding the empty trailing fields where
 * a stretch of rows was written before the last columns appeared.
 */
export class CsvTable {
  readonly columns: string[] = [];
  private readonly index = new Map<string, number>();
  /** where the body's rows start having a new number of fields */
  private readonly stretches: { startByte: number; fields: number }[] = [];
  rows = 0;

  private constructor(
    private readonly body: BufferedFile,
    private readonly bodyPath: string,
  ) {}

  static async open(bodyPath: string, maxBytes: number, tooLarge: () => Error) {
    return new CsvTable(await BufferedFile.open(bodyPath, maxBytes, tooLarge), bodyPath);
  }

  async addRow(cells: [string, string][]): Promise<void> {
    const values: string[] = new Array<string>(this.columns.length).fill("");
    for (const [column, text] of cells) {
      let at = this.index.get(column);
      if (at === undefined) {
        at = this.columns.length;
        this.columns.push(column);
        this.index.set(column, at);
        values.push("");
      }
      values[at] = text;
    }
    // a row before any column is known still needs a field, or it would be a blank line
    const fields = Math.max(1, values.length);
    if (this.stretches.at(-1)?.fields !== fields)
      this.stretches.push({ startByte: this.body.bytes, fields });
    await this.body.write(csvRecord(values.length > 0 ? values : [""]));
    this.rows += 1;
  }

  /** Writes the header and every row to `out`, padded to the final columns; removes the body. */
  async finish(out: BufferedFile): Promise<void> {
    await this.body.close();
    try {
      if (this.rows === 0) return;
      if (this.columns.length === 0)
        throw new ConnectorError(`the ${this.rows} rows have no fields at all`);
      await out.write(csvRecord(this.columns));
      const total = this.columns.length;
      for (const [n, stretch] of this.stretches.entries()) {
        const end = this.stretches[n + 1]?.startByte ?? this.body.bytes;
        if (end <= stretch.startByte) continue;
        const padding = Buffer.from(",".repeat(total - stretch.fields));
        await copyPadded(this.bodyPath, stretch.startByte, end, padding, out);
      }
    } finally {
      fs.rmSync(this.bodyPath, { force: true });
    }
  }

  async discard(): Promise<void> {
    await this.body.discard();
    fs.rmSync(this.bodyPath, { force: true });
  }
}

/**
 * Copies bytes [start, end) of a body written by CsvTable, putting `padding` before every record's
 * CRLF. Outside quotes a CR only ever ends a record there: a field holding one is quoted.
 */
async function copyPadded(
  path: string,
  start: number,
  end: number,
  padding: Buffer,
  out: BufferedFile,
): Promise<void> {
  const input = fs.createReadStream(path, { start, end: end - 1, highWaterMark: WRITE_BLOCK });
  let isInQuotes = false;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    if (padding.length === 0) {
      await out.write(chunk);
      continue;
    }
    const pieces: Buffer[] = [];
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === QUOTE) isInQuotes = !isInQuotes;
      else if (byte === CR && !isInQuotes) {
        pieces.push(chunk.subarray(from, i), padding);
        from = i;
      }
    }
    pieces.push(chunk.subarray(from));
    await out.write(Buffer.concat(pieces));
  }
}

/**
 * The end of the first record (its CRLF included) of a normalised CSV's start, or -1 when the
 * start holds no complete record. Line breaks inside quotes are data.
 */
export function firstRecordEnd(bytes: Uint8Array): number {
  let isInQuotes = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === QUOTE) isInQuotes = !isInQuotes;
    else if (byte === CR && !isInQuotes && bytes[i + 1] === 0x0a) return i + 2;
  }
  return -1;
}
