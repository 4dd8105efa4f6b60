import fs from "node:fs";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { DuckDBConnection, DuckDBType } from "@duckdb/node-api";
import { DuckDBTypeId } from "@duckdb/node-api";
import iconv from "iconv-lite";
import JSZip from "jszip";
import { queryRows } from "./duckdb";
import { inferColumnTypes, typedSelect, type TSourceColumn } from "./infer-types";
import { TableError, quoteIdent, quoteString } from "./table-types";
import { listXlsxSheets, xlsxSheetToCsv } from "./xlsx";

export const SOURCE_FORMATS = ["csv", "tsv", "json", "ndjson", "xlsx"] as const;
export type TSourceFormat = (typeof SOURCE_FORMATS)[number];

/** How to read a file: all optional, found from the file itself when not given. */
export type TReadOptions = {
  format?: TSourceFormat;
  /** a CSV's field separator (found by DuckDB's sniffer when not given) */
  delimiter?: string;
  /** a workbook's sheet (the first when not given) */
  sheet?: string;
  /** the file inside a ZIP (the first table in it when not given) */
  entry?: string;
  /** the most bytes the table inside a ZIP may unpack to (default: 1 GB) */
  maxUnpackedBytes?: number;
};

const DEFAULT_MAX_UNPACKED_BYTES = 1024 ** 3;

/** A source file read, typed and written as Parquet, which every later step reads. */
export type TReadTable = {
  parquetPath: string;
  columns: TSourceColumn[];
  rows: number;
  format: TSourceFormat;
  notes: string[];
  /** what else could have been picked: a workbook's sheets, a ZIP's tables */
  sheets?: string[];
  entries?: string[];
};

const TABLE_EXTENSIONS: Record<string, TSourceFormat> = {
  ".csv": "csv",
  ".txt": "csv",
  ".tsv": "tsv",
  ".tab": "tsv",
  ".json": "json",
  ".ndjson": "ndjson",
  ".jsonl": "ndjson",
  ".xlsx": "xlsx",
};

const READABLE =
  "DataHaul reads CSV, TSV, JSON (an array of objects, or one object per line), XLSX, and ZIP files holding those.";

/** What `fileName` holds, from its extension and its first bytes. */
export function detectFormat(fileName: string, head: Uint8Array): TSourceFormat | "zip" | null {
  const isZip = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  const extension = path.extname(fileName).toLowerCase();
  if (isZip) return extension === ".xlsx" ? "xlsx" : "zip";
  if (extension === ".zip" || extension === ".xlsx") return null;
  const byExtension = TABLE_EXTENSIONS[extension];
  if (byExtension) return byExtension;
  const text = new TextDecoder()
    .decode(head.subarray(0, 512))
    .replace(/^\uFEFF/, "")
    .trimStart();
  if (text.startsWith("[")) return "json";
  if (text.startsWith("{")) return "ndjson";
  return head.includes(0) ? null : "csv";
}

/**
 * Reads one uploaded or fetched file into a typed Parquet file in `workDir`: the sheet of a
 * workbook, the table inside a ZIP, a CSV in any of the encodings the paste path reads. Refuses a
 * file it cannot read, or one without rows, with a sentence saying why.
 */
export async function readTableFile(
  connection: DuckDBConnection,
  filePath: string,
  fileName: string,
  options: TReadOptions,
  workDir: string,
  signal?: AbortSignal,
): Promise<TReadTable> {
  const head = await readHead(filePath);
  const detected = options.format ?? detectFormat(fileName, head);
  if (detected === null)
    throw new TableError(`'${fileName}' is not a table DataHaul can read. ${READABLE}`);
  if (detected === "zip")
    return readZipEntry(connection, filePath, fileName, options, workDir, signal);
  const notes: string[] = [];
  let sheets: string[] | undefined;
  let relation: string;
  const scratch: string[] = [];
  try {
    if (detected === "xlsx") {
      sheets = await listXlsxSheets(filePath);
      const csvPath = path.join(workDir, `${path.basename(filePath)}.sheet.csv`);
      scratch.push(csvPath);
      const sheet = await xlsxSheetToCsv(filePath, csvPath, { sheet: options.sheet, signal });
      if (sheets.length > 1) notes.push(`Read the sheet '${sheet.sheet}' (of ${sheets.length}).`);
      relation = csvRelation(csvPath, { delimiter: "," });
    } else if (detected === "json" || detected === "ndjson") {
      relation = await jsonRelation(connection, filePath, detected);
    } else {
      const utf8Path = await asUtf8(filePath, head, workDir, notes);
      if (utf8Path !== filePath) scratch.push(utf8Path);
      relation = csvRelation(utf8Path, {
        delimiter: options.delimiter ?? (detected === "tsv" ? "\t" : undefined),
      });
    }
    const names = (await queryRows(connection, `DESCRIBE SELECT * FROM ${relation}`)).map((row) =>
      String(row.column_name),
    );
    const inferred = await inferColumnTypes(connection, relation, names);
    if (inferred.rows === 0)
      throw new TableError(
        `'${fileName}' has no rows${names.length > 1 ? " below its header" : ""}.`,
      );
    const parquetPath = path.join(workDir, `${path.basename(filePath)}.${Date.now()}.parquet`);
    await connection.run(
      `COPY (${typedSelect(relation, inferred.columns)}) TO ${quoteString(parquetPath)} (FORMAT parquet)`,
    );
    return {
      parquetPath,
      columns: inferred.columns,
      rows: inferred.rows,
      format: detected,
      notes: [...notes, ...inferred.notes],
      sheets,
    };
  } catch (error) {
    if (error instanceof TableError || signal?.aborted) throw error;
    throw new TableError(`'${fileName}' could not be read: ${engineMessage(error)}`);
  } finally {
    for (const file of scratch) fs.rmSync(file, { force: true });
  }
}

/** The first line of a DuckDB error, without its "Invalid Input Error:" prefix. */
export function engineMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (message.split("\n")[0] ?? message).replace(/^[A-Za-z ]*Error: /, "");
}

async function readHead(filePath: string): Promise<Uint8Array> {
  const handle = await fs.promises.open(filePath, "r");
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A CSV's rows as text: every column VARCHAR, so the types are ours to decide. */
export function csvRelation(filePath: string, dialect: { delimiter?: string }): string {
  const delimiter = dialect.delimiter ? `, delim=${quoteString(dialect.delimiter)}` : "";
  return `read_csv(${quoteString(filePath)}, all_varchar=true, header=true, null_padding=true${delimiter})`;
}

/**
 * UTF-16 (by its byte order mark) and files that are not valid UTF-8 (read as Windows-1252, what
 * Excel writes) are written out as UTF-8 first; a UTF-8 file is read where it is.
 */
async function asUtf8(
  filePath: string,
  head: Uint8Array,
  workDir: string,
  notes: string[],
): Promise<string> {
  let encoding: string | null = null;
  if (head[0] === 0xff && head[1] === 0xfe) encoding = "utf-16le";
  else if (head[0] === 0xfe && head[1] === 0xff) encoding = "utf-16be";
  else if (!(await isValidUtf8(filePath))) {
    encoding = "windows-1252";
    notes.push(
      "The file is not UTF-8, so it was read as Windows-1252 (what Excel's “CSV (Comma delimited)” writes): check that accented letters look right.",
    );
  }
  if (!encoding) return filePath;
  const target = path.join(workDir, `${path.basename(filePath)}.utf8.csv`);
  await pipeline(
    fs.createReadStream(filePath),
    iconv.decodeStream(encoding),
    iconv.encodeStream("utf-8"),
    fs.createWriteStream(target),
  );
  return target;
}

async function isValidUtf8(filePath: string): Promise<boolean> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  try {
    for await (const chunk of fs.createReadStream(filePath, { highWaterMark: 1 << 20 }))
      decoder.decode(chunk as Buffer, { stream: true });
    decoder.decode();
    return true;
  } catch {
    return false;
  }
}

/**
 * A JSON array of objects or one object per line, as text columns: nested objects become dotted
 * columns (customer.address.city), lists and maps their JSON text.
 */
async function jsonRelation(
  connection: DuckDBConnection,
  filePath: string,
  format: "json" | "ndjson",
): Promise<string> {
  const source = `read_json(${quoteString(filePath)}, format=${format === "json" ? "'array'" : "'newline_delimited'"}, records=true, sample_size=-1, maximum_object_size=16777216)`;
  let types: { name: string; type: DuckDBType }[];
  try {
    const described = await connection.runAndReadAll(`SELECT * FROM ${source} LIMIT 0`);
    const names = described.columnNames();
    types = described.columnTypes().map((type, index) => ({ name: names[index]!, type }));
  } catch (error) {
    if (format === "json" && (await isEmptyJsonArray(filePath)))
      throw new TableError("the file is an empty JSON array: it has no rows.");
    throw new TableError(
      format === "json"
        ? `the file is not a JSON array of objects (${engineMessage(error)}). ${READABLE}`
        : `the file is not JSON with one object per line (${engineMessage(error)}). ${READABLE}`,
    );
  }
  const list = types.flatMap(({ name, type }) => flattened(quoteIdent(name), name, type));
  return `(SELECT ${list.join(", ")} FROM ${source})`;
}

async function isEmptyJsonArray(filePath: string): Promise<boolean> {
  const { size } = await fs.promises.stat(filePath);
  if (size > 1024) return false;
  return /^\uFEFF?\s*\[\s*\]\s*$/.test(await fs.promises.readFile(filePath, "utf8"));
}

function flattened(sql: string, name: string, type: DuckDBType): string[] {
  if (type.typeId === DuckDBTypeId.STRUCT) {
    const struct = type as DuckDBType & {
      entryNames: readonly string[];
      entryTypes: readonly DuckDBType[];
    };
    return struct.entryNames.flatMap((entry, index) =>
      flattened(`${sql}.${quoteIdent(entry)}`, `${name}.${entry}`, struct.entryTypes[index]!),
    );
  }
  const isNested = [DuckDBTypeId.LIST, DuckDBTypeId.MAP, DuckDBTypeId.ARRAY].includes(type.typeId);
  // a key whose values differ in kind ("a" in one object, 3 in another) comes as JSON: its text
  // without the JSON quotes, so "a" reads as a, not "a"
  const text =
    type.alias === "JSON"
      ? `(${sql} ->> '$')`
      : isNested || type.typeId === DuckDBTypeId.UNION
        ? `CAST(to_json(${sql}) AS VARCHAR)`
        : `CAST(${sql} AS VARCHAR)`;
  return [`${text} AS ${quoteIdent(name)}`];
}

const MAX_ZIP_ENTRIES = 10_000;

async function readZipEntry(
  connection: DuckDBConnection,
  filePath: string,
  fileName: string,
  options: TReadOptions,
  workDir: string,
  signal?: AbortSignal,
): Promise<TReadTable> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(await fs.promises.readFile(filePath));
  } catch (error) {
    throw new TableError(
      `'${fileName}' is not a ZIP file that can be opened (${(error as Error).message}).`,
    );
  }
  const tables = Object.values(zip.files)
    .slice(0, MAX_ZIP_ENTRIES)
    .filter(
      (entry) =>
        !entry.dir &&
        !entry.name.startsWith("__MACOSX/") &&
        !path.basename(entry.name).startsWith(".") &&
        path.extname(entry.name).toLowerCase() in TABLE_EXTENSIONS,
    )
    .map((entry) => entry.name);
  if (tables.length === 0) throw new TableError(`'${fileName}' holds no table. ${READABLE}`);
  const name = options.entry ?? tables[0]!;
  if (!tables.includes(name))
    throw new TableError(
      `'${fileName}' has no table called '${name}'; it holds: ${tables.join(", ")}`,
    );
  const entryPath = path.join(
    workDir,
    `${path.basename(filePath)}.entry${path.extname(name).toLowerCase()}`,
  );
  try {
    const limit = options.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED_BYTES;
    let unpacked = 0;
    // a few KB of ZIP can unpack to gigabytes: counted as it unpacks, stopped at the limit
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        unpacked += chunk.byteLength;
        if (unpacked > limit)
          done(
            new TableError(
              `'${name}' in '${fileName}' unpacks to more than ${Math.round(limit / 1024 ** 2)} MB, the most a table in a ZIP may hold.`,
            ),
          );
        else done(null, chunk);
      },
    });
    await pipeline(zip.file(name)!.nodeStream(), counted, fs.createWriteStream(entryPath));
    const read = await readTableFile(
      connection,
      entryPath,
      name,
      { ...options, entry: undefined },
      workDir,
      signal,
    );
    const notes =
      tables.length > 1
        ? [`Read '${name}' (one of ${tables.length} tables in the ZIP).`, ...read.notes]
        : read.notes;
    return { ...read, notes, entries: tables };
  } finally {
    fs.rmSync(entryPath, { force: true });
  }
}

/** The typed rows of a Parquet file this module wrote. */
export function parquetRelation(parquetPath: string): string {
  return `read_parquet(${quoteString(parquetPath)})`;
}
