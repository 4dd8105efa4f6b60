import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import JSZip from "jszip";
import { formatBytes } from "@/server/format-bytes";
import { ConnectorError } from "./connector-error";
import { DOWNLOAD_FILE_PREFIX, DOWNLOAD_FILE_SUFFIX } from "./connector-http";
import type { TFetchedFile } from "./types";

/**
 * The files of a ZIP answer, each written to the temp folder and labelled with its name without
 * the extension ("query_1"), in natural order (query_2 before query_10). Folders are skipped, and
 * names are never used as paths. The unpacked bytes count against `maxBytes` as they are written,
 * so a small archive that inflates without end is stopped. The archive itself is read into memory
 * (JSZip's way): it is the compressed size, which the download already held to `maxBytes`.
 */
export async function unzipToTempFiles(
  zipPath: string,
  tempDir: string,
  options: { maxBytes: number; system: string },
): Promise<TFetchedFile[]> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(await fs.promises.readFile(zipPath));
  } catch (error) {
    throw new ConnectorError(
      `${options.system} sent a ZIP that cannot be read (${(error as Error).message})`,
    );
  }
  const entries = Object.values(zip.files)
    .filter((entry) => !entry.dir)
    .sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  if (entries.length === 0) throw new ConnectorError(`${options.system} sent an empty ZIP`);

  const files: TFetchedFile[] = [];
  let written = 0;
  try {
    for (const entry of entries) {
      const target = path.join(
        tempDir,
        `${DOWNLOAD_FILE_PREFIX}${randomUUID()}${DOWNLOAD_FILE_SUFFIX}`,
      );
      files.push({ path: target, label: path.posix.basename(entry.name).replace(/\.[^.]*$/, "") });
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          written += chunk.length;
          if (written > options.maxBytes) {
            done(
              new ConnectorError(
                `the report is too large (its ZIP unpacks to more than ${formatBytes(options.maxBytes)})`,
              ),
            );
          } else done(null, chunk);
        },
      });
      await pipeline(
        entry.nodeStream("nodebuffer") as NodeJS.ReadableStream,
        counter,
        fs.createWriteStream(target),
      );
    }
    return files;
  } catch (error) {
    for (const file of files) fs.rmSync(file.path, { force: true });
    throw error;
  }
}
