// Deterministic datasets for the report fakes: row i is computed from i alone, so a test can
// predict any row, and a 100,000-row export never has to exist in memory.
import type { Writable } from "node:stream";

export type FakeRow = (string | number)[];

export type FakeTable = { columns: string[]; rowCount: number; row(i: number): FakeRow };

function rowFrom(rows: readonly FakeRow[], i: number): FakeRow {
  const found = rows[i];
  if (!found) throw new RangeError(`row ${i} is outside 0..${rows.length - 1}`);
  return [...found];
}

const SMALL_SALES_ROWS: readonly FakeRow[] = [
  ["EU", 10],
  // A comma and a double quote make every consumer exercise RFC 4180 quoting.
  ["US, East", 20],
  ['APAC "North"', 30.5],
];

export const SMALL_SALES: FakeTable = {
  columns: ["region", "amount"],
  rowCount: SMALL_SALES_ROWS.length,
  row: (i) => rowFrom(SMALL_SALES_ROWS, i),
};

const BIG_TABLE_EPOCH_MS = Date.UTC(2024, 0, 1);
const MINUTE_MS = 60_000;

export function bigTable(rowCount: number): FakeTable {
  if (!Number.isInteger(rowCount) || rowCount < 0) {
    throw new RangeError(`rowCount must be a non-negative integer, got ${rowCount}`);
  }
  return {
    columns: ["id", "name", "amount", "created_at"],
    rowCount,
    row(i) {
      if (!Number.isInteger(i) || i < 0 || i >= rowCount) {
        throw new RangeError(`row ${i} is outside 0..${rowCount - 1}`);
      }
      return [
        i,
        `customer-${i}`,
        ((i * 37) % 1000) + 0.5,
        new Date(BIG_TABLE_EPOCH_MS + i * MINUTE_MS).toISOString(),
      ];
    },
  };
}

export type RowSelection = { filter?: (row: FakeRow) => boolean; limit?: number };

export function* selectRows(table: FakeTable, selection: RowSelection = {}): Generator<FakeRow> {
  const limit = selection.limit ?? Infinity;
  let emitted = 0;
  for (let i = 0; i < table.rowCount && emitted < limit; i += 1) {
    const row = table.row(i);
    if (selection.filter && !selection.filter(row)) continue;
    emitted += 1;
    yield row;
  }
}

export function rowObject(table: FakeTable, row: FakeRow): Record<string, string | number> {
  return Object.fromEntries(table.columns.map((column, index) => [column, row[index] ?? ""]));
}

export function* rowObjects(
  table: FakeTable,
  selection: RowSelection = {},
): Generator<Record<string, string | number>> {
  for (const row of selectRows(table, selection)) yield rowObject(table, row);
}

export function csvField(value: string | number, quoteAll = false): string {
  const text = String(value);
  if (quoteAll || /[",\r\n]/.test(text)) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

export function csvLine(
  values: readonly (string | number)[],
  lineEnding: string,
  quoteAll = false,
) {
  return values.map((value) => csvField(value, quoteAll)).join(",") + lineEnding;
}

export type CsvOptions = RowSelection & {
  lineEnding: "\r\n" | "\n";
  bom?: boolean;
  // Salesforce's classic export quotes every field, not only the ones that need it.
  quoteAll?: boolean;
  // Defaults to true; pass false to append a trailer (Salesforce's footer) before ending.
  end?: boolean;
};

export function* csvPieces(table: FakeTable, options: CsvOptions): Generator<string> {
  yield (
    (options.bom ? "\uFEFF" : "") + csvLine(table.columns, options.lineEnding, options.quoteAll)
  );
  for (const row of selectRows(table, options)) {
    yield csvLine(row, options.lineEnding, options.quoteAll);
  }
}

// For small tables only (ETags, Content-Length); big ones go through writeCsv.
export function csvText(table: FakeTable, options: Omit<CsvOptions, "end">): string {
  return [...csvPieces(table, options)].join("");
}

const CHUNK_CHARS = 16 * 1024;

// One res.write per row would make a chunked-encoding frame per row; batching keeps the stream
// cheap while memory stays bounded by the chunk size.
function* coalesce(pieces: Iterable<string>, chunkChars = CHUNK_CHARS): Generator<string> {
  let buffer = "";
  for (const piece of pieces) {
    buffer += piece;
    if (buffer.length >= chunkChars) {
      yield buffer;
      buffer = "";
    }
  }
  if (buffer) yield buffer;
}

export function drainedOrClosed(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off("drain", done);
      out.off("close", done);
      resolve();
    };
    out.on("drain", done);
    out.on("close", done);
  });
}

// Writes lazily produced text with backpressure; stops quietly when the client goes away.
export async function writeChunks(out: Writable, pieces: Iterable<string>): Promise<void> {
  for (const chunk of coalesce(pieces)) {
    if (out.destroyed) return;
    if (!out.write(chunk)) {
      if (out.destroyed) return;
      await drainedOrClosed(out);
    }
  }
}

export async function writeCsv(
  res: Writable,
  table: FakeTable,
  options: CsvOptions,
): Promise<void> {
  await writeChunks(res, csvPieces(table, options));
  if (options.end !== false && !res.destroyed) res.end();
}

// Streams `prefix`, the rows as a JSON array, then `suffix(count)` (which may mention the count).
export function* jsonArrayPieces<T>(
  items: Iterable<T>,
  prefix = "",
  suffix: (count: number) => string = () => "",
): Generator<string> {
  yield `${prefix}[`;
  let count = 0;
  for (const item of items) {
    yield (count === 0 ? "" : ",") + JSON.stringify(item);
    count += 1;
  }
  yield `]${suffix(count)}`;
}
