import { createHash } from "node:crypto";
import fs from "node:fs";
import type { DuckDBConnection } from "@duckdb/node-api";
import { updateCrc32 } from "@/server/crc32";
import type { TRelation } from "./compile-steps";
import { quoteString } from "./table-types";
import type { TOutputSpec } from "./output-spec";
export {
  OUTPUT_EXTENSIONS,
  OUTPUT_FORMATS,
  ZOutputSpec,
  type TOutputFormat,
  type TOutputSpec,
} from "./output-spec";
import { writeXlsx, XLSX_MAX_ROWS_PER_SHEET } from "./xlsx";

export type TWrittenOutput = {
  rows: number;
  bytes: number;
  sha256: string;
  crc32: number;
  notes: string[];
};

/**
 * Writes a table to `targetPath` in one of the export formats, straight from the engine: CSV,
 * JSON, NDJSON and Parquet with DuckDB's own writers (streamed, in the engine's memory limit),
 * XLSX through exceljs's streamed writer. `onRows` hears how many rows the engine has read so
 * far, a few times a second.
 */
export async function writeOutput(
  connection: DuckDBConnection,
  relation: TRelation,
  spec: TOutputSpec,
  targetPath: string,
  options: { signal?: AbortSignal; onRows?: (rows: number) => void } = {},
): Promise<TWrittenOutput> {
  const notes: string[] = [];
  let rows: number;
  if (spec.format === "xlsx") {
    const result = await connection.stream(relation.sql);
    const written = await writeXlsx(targetPath, {
      columns: relation.columns,
      batches: result.yieldRowsJs(),
      signal: options.signal,
      onRows: options.onRows,
    });
    rows = written.rows;
    if (written.sheets.length > 1)
      notes.push(
        `${rows.toLocaleString("en-US")} rows are more than one Excel sheet holds (${(XLSX_MAX_ROWS_PER_SHEET - 1).toLocaleString("en-US")}), so they continue on ${written.sheets.length - 1} more sheet${written.sheets.length > 2 ? "s" : ""}: ${written.sheets.join(", ")}.`,
      );
  } else {
    const copyPath = spec.bom && spec.format === "csv" ? `${targetPath}.body` : targetPath;
    const progress = options.onRows
      ? setInterval(() => {
          const rowsRead = Number(connection.progress.rows_processed);
          if (rowsRead > 0) options.onRows!(rowsRead);
        }, 250)
      : null;
    try {
      const result = await connection.runAndReadAll(
        `COPY (${relation.sql}) TO ${quoteString(copyPath)} (${copyOptions(spec)})`,
      );
      rows = Number(result.getRowObjectsJson()[0]?.Count ?? 0);
    } finally {
      if (progress) clearInterval(progress);
    }
    if (copyPath !== targetPath) {
      await prependBom(copyPath, targetPath);
    }
  }
  return { rows, notes, ...(await fileDigest(targetPath)) };
}

function copyOptions(spec: TOutputSpec): string {
  switch (spec.format) {
    case "csv":
      return [
        "FORMAT csv",
        "HEADER true",
        `DELIMITER ${quoteString(spec.delimiter)}`,
        `QUOTE '"'`,
        `ESCAPE '"'`,
        `NEW_LINE ${quoteString(spec.lineEnding === "crlf" ? "\r\n" : "\n")}`,
        ...(spec.quote === "all" ? ["FORCE_QUOTE *"] : []),
      ].join(", ");
    case "json":
      return "FORMAT json, ARRAY true";
    case "ndjson":
      return "FORMAT json";
    case "parquet":
      // Snappy: every Parquet reader has it; zstd is not in all of them
      return "FORMAT parquet, COMPRESSION snappy";
    case "xlsx":
      throw new Error("XLSX is not written by COPY");
  }
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

async function prependBom(bodyPath: string, targetPath: string): Promise<void> {
  try {
    await fs.promises.writeFile(targetPath, BOM);
    await new Promise<void>((resolve, reject) => {
      const source = fs.createReadStream(bodyPath);
      const target = fs.createWriteStream(targetPath, { flags: "a" });
      source.on("error", reject);
      target.on("error", reject).on("finish", resolve);
      source.pipe(target);
    });
  } finally {
    fs.rmSync(bodyPath, { force: true });
  }
}

/** Size, SHA-256 and CRC-32 of a written file: the store keys files by hash, ZIPs need the CRC. */
export async function fileDigest(
  filePath: string,
): Promise<{ bytes: number; sha256: string; crc32: number }> {
  const hash = createHash("sha256");
  let crc32 = 0;
  let bytes = 0;
  for await (const chunk of fs.createReadStream(filePath, { highWaterMark: 1 << 20 })) {
    const data = chunk as Buffer;
    hash.update(data);
    crc32 = updateCrc32(data, crc32);
    bytes += data.byteLength;
  }
  return { bytes, sha256: hash.digest("hex"), crc32: crc32 >>> 0 };
}
