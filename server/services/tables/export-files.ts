import "server-only";
import { computeZipSize, createZipStream, type ZipSource } from "@/server/archive";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { getRuntime } from "@/server/runtime";

export const EXPORT_CONTENT_TYPES: Record<string, string> = {
  csv: "text/csv; charset=utf-8",
  json: "application/json",
  ndjson: "application/x-ndjson",
  parquet: "application/vnd.apache.parquet",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

async function finishedOutputs(jobId: string) {
  const job = await db.job.findUnique({
    where: { id: jobId },
    include: { exportOutputs: { orderBy: { position: "asc" } } },
  });
  if (!job || job.kind !== "export")
    throw new AppError("NOT_FOUND", "This export does not exist (it may have been deleted).");
  return {
    job,
    outputs: job.exportOutputs.filter(
      (o): o is typeof o & { sha256: string; bytes: number; crc32: number } =>
        o.state === "succeeded" && o.sha256 !== null && o.bytes !== null && o.crc32 !== null,
    ),
  };
}

/** One written file of an export, with its exact size. */
export async function openExportFile(args: { jobId: string; outputId: string }) {
  const { job, outputs } = await finishedOutputs(args.jobId);
  const output = outputs.find((o) => o.id === args.outputId);
  if (!output) {
    const other = job.exportOutputs.find((o) => o.id === args.outputId);
    if (!other) throw new AppError("NOT_FOUND", "This export has no such file.");
    throw new AppError("CONFLICT", `This file is not ready: it is ${other.state}.`);
  }
  return {
    fileName: output.fileName,
    size: output.bytes,
    contentType: EXPORT_CONTENT_TYPES[output.format] ?? "application/octet-stream",
    stream: getRuntime().blobs.openRead(output.sha256),
  };
}

/** Every written file of an export in one ZIP, streamed with its exact size known up front. */
export async function buildExportArchive(jobId: string) {
  const { job, outputs } = await finishedOutputs(jobId);
  if (outputs.length === 0)
    throw new AppError("CONFLICT", "This export has no finished file to put in a ZIP yet.");
  const { blobs } = getRuntime();
  const entries: ZipSource[] = outputs.map((output) => ({
    kind: "file",
    name: output.fileName,
    size: output.bytes,
    crc32: output.crc32 >>> 0,
    modifiedAt: output.finishedAt ?? new Date(),
    open: () => blobs.openReader(output.sha256),
  }));
  const base = job.exportOutputs[0]!.fileName.replace(/\.[^.]+$/, "");
  return {
    fileName: `${base}.zip`,
    size: computeZipSize(entries),
    open: (signal?: AbortSignal) =>
      createZipStream(entries, { signal, readAhead: blobs.zipReadAhead }),
  };
}
