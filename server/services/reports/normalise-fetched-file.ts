import "server-only";
import { createHash } from "node:crypto";
import fs from "node:fs";
import { ConnectorError, normaliseCsvFile, type TFetchedReport } from "@/server/connectors";
import { readJsonFile } from "@/server/connectors/json-file";
import { updateCrc32 } from "@/server/crc32";

/**
 * One raw file of a fetched report checked and made ready to keep, as every run and every preview
 * does it: a CSV rewritten as UTF-8 with CRLF (its footer dropped where the system adds one), a
 * JSON document checked to be complete. The result is at `finalPath`.
 */
export function normaliseFetchedFile(fetched: TFetchedReport, rawPath: string, finalPath: string) {
  return fetched.format === "csv"
    ? normaliseCsvFile(rawPath, finalPath, {
        stopAtBlankLine: fetched.hasFooter,
        charset: fetched.charset,
      })
    : checkJsonFile(rawPath, finalPath);
}

/**
 * A JSON report is kept as sent, once it is known to be one complete JSON document; the elements
 * of a top-level array count as rows. Read as a stream, hashed in the same pass.
 */
async function checkJsonFile(rawPath: string, finalPath: string) {
  const hash = createHash("sha256");
  let checksum = 0;
  let bytes = 0;
  const summary = await readJsonFile(rawPath, (chunk) => {
    hash.update(chunk);
    checksum = updateCrc32(chunk, checksum);
    bytes += chunk.length;
  });
  if (!summary) throw new ConnectorError("the answer is not valid JSON");
  fs.renameSync(rawPath, finalPath);
  return {
    rows: summary.rows,
    bytes,
    sha256: hash.digest("hex"),
    crc32: checksum,
    notes: [] as string[],
  };
}
