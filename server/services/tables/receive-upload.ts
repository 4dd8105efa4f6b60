import "server-only";
import fs from "node:fs";
import path from "node:path";
import { env } from "@/server/env";
import { AppError } from "@/server/errors";
import { createUploadedTable, ZReadOptions, type TTableSummary } from "./tables";
import { withWorkDir } from "./table-engine";

/** "100 MB": the limit as the refusal says it. */
export function uploadLimitBytes(): number {
  return env.MAX_UPLOAD_MB * 1024 * 1024;
}

/**
 * Streams an uploaded file to the scratch folder, counting as it goes: a file over MAX_UPLOAD_MB
 * is refused as soon as it passes the limit (or at once, by its Content-Length), and what was
 * received is removed. Then it is read into a table.
 */
export async function receiveTableUpload(args: {
  body: ReadableStream<Uint8Array> | null;
  contentLength: number | null;
  query: URLSearchParams;
  createdById: string;
  signal?: AbortSignal;
}): Promise<TTableSummary> {
  const limit = uploadLimitBytes();
  const tooLarge = () =>
    new AppError(
      "TOO_LARGE",
      `The file is larger than ${env.MAX_UPLOAD_MB} MB, the most an upload may hold (MAX_UPLOAD_MB).`,
    );
  if (args.contentLength !== null && args.contentLength > limit) throw tooLarge();
  if (!args.body) throw new AppError("BAD_REQUEST", "Send the file as the request's body.");
  const fileName = path.basename(args.query.get("fileName")?.trim() || "upload.csv");
  const options = ZReadOptions.safeParse({
    format: args.query.get("format") || undefined,
    delimiter: args.query.get("delimiter") || undefined,
    sheet: args.query.get("sheet") || undefined,
    entry: args.query.get("entry") || undefined,
  });
  if (!options.success)
    throw new AppError("BAD_REQUEST", options.error.issues[0]?.message ?? "Invalid read options.");
  return withWorkDir(async (dir) => {
    const filePath = path.join(dir, "upload");
    const out = fs.createWriteStream(filePath);
    let received = 0;
    try {
      const reader = args.body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.byteLength;
        if (received > limit) {
          await reader.cancel();
          throw tooLarge();
        }
        if (!out.write(value))
          await new Promise<void>((resolve) => out.once("drain", () => resolve()));
      }
    } finally {
      await new Promise<void>((resolve) => out.end(() => resolve()));
    }
    if (received === 0) throw new AppError("BAD_REQUEST", `'${fileName}' is empty.`);
    return createUploadedTable({
      filePath,
      fileName,
      name: args.query.get("name") ?? undefined,
      readOptions: options.data,
      // a ZIP's table may unpack to ten times what an upload may send: CSV packs about that well
      maxUnpackedBytes: limit * 10,
      createdById: args.createdById,
      signal: args.signal,
    });
  });
}
