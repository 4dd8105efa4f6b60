import "server-only";
import Papa from "papaparse";
import { computeZipSize, createZipStream, guardText, type ZipSource } from "@/server/archive";
import { db } from "@/server/db";
import { AppError } from "@/server/errors";
import { getRuntime } from "@/server/runtime";
import { describeJob } from "../jobs/job-progress";
import { refuseMissingReportFiles } from "../jobs/refuse-missing-files";
import { uniqueFileNames } from "./unique-file-names";

export type TRunSummaryRow = {
  report: string;
  status: string;
  attempts: number;
  rows: number | null;
  bytes: number | null;
  durationSeconds: number | null;
  file: string | null;
  truncated: boolean;
  note: string | null;
  error: string | null;
};

const SUMMARY_HEADER = [
  "report",
  "status",
  "attempts",
  "rows",
  "bytes",
  "duration_s",
  "file",
  "truncated",
  "note",
  "error",
];

async function loadRun(jobId: string) {
  const job = await db.job.findUnique({
    where: { id: jobId },
    include: {
      reportItems: {
        orderBy: { position: "asc" },
        include: {
          attemptLog: {
            orderBy: { attempt: "asc" },
            include: { requests: { orderBy: { position: "asc" } } },
          },
          files: { orderBy: { position: "asc" } },
        },
      },
    },
  });
  if (!job || job.kind !== "report_run") {
    throw new AppError("NOT_FOUND", "This report run does not exist (it may have been deleted).");
  }
  const items = job.reportItems.map((item) => ({
    ...item,
    // a report that failed after its success (its stored file went missing) has no file to give
    files: item.state === "succeeded" ? item.files : [],
  }));
  return { job, items, fileNames: uniqueFileNames(items.flatMap((item) => item.files)) };
}

function durationSeconds(item: {
  startedAt: Date | null;
  finishedAt: Date | null;
  attemptLog: { startedAt: Date; finishedAt: Date }[];
}) {
  const first = item.attemptLog[0]?.startedAt ?? item.startedAt;
  const last = item.attemptLog.at(-1)?.finishedAt ?? item.finishedAt;
  return first && last ? Math.round((last.getTime() - first.getTime()) / 100) / 10 : null;
}

export async function buildRunSummary(jobId: string, format: "csv" | "json") {
  const { job, items, fileNames } = await loadRun(jobId);
  const rowOf = (
    item: (typeof items)[number],
    file: { id: string; rows: number | null; bytes: number } | null,
  ): TRunSummaryRow => ({
    report: item.reportName,
    status: item.state,
    attempts: item.attempts,
    rows: file ? file.rows : item.rows,
    bytes: file ? file.bytes : item.bytes,
    durationSeconds: durationSeconds(item),
    file: file ? (fileNames.get(file.id) ?? null) : null,
    truncated: item.isTruncated,
    note: item.note,
    error: item.error,
  });
  const shortId = job.id.slice(0, 8);
  if (format === "csv") {
    // a report of several files (one per query) is a row per file
    const rows = items.flatMap((item) =>
      item.files.length > 0 ? item.files.map((file) => rowOf(item, file)) : [rowOf(item, null)],
    );
    const data = rows.map((r) => [
      guardText(r.report),
      r.status,
      String(r.attempts),
      r.rows === null ? "" : String(r.rows),
      r.bytes === null ? "" : String(r.bytes),
      r.durationSeconds === null ? "" : String(r.durationSeconds),
      // a path in the ZIP, never changed: renderFileName gave it a name no spreadsheet runs
      r.file ?? "",
      r.truncated ? "yes" : "no",
      guardText(r.note),
      guardText(r.error),
    ]);
    const csv = Papa.unparse({ fields: SUMMARY_HEADER, data }, { newline: "\r\n" });
    return {
      fileName: `summary_${shortId}.csv`,
      contentType: "text/csv; charset=utf-8",
      body: `${csv}\r\n`,
    };
  }
  const document = {
    run: { ...describeJob(job), options: JSON.parse(job.options) as unknown },
    // one entry per report: `file` when it is one file, `files` always
    reports: items.map((item, i) => ({
      ...rowOf(item, item.files.length === 1 ? item.files[0]! : null),
      files: item.files.map((file) => ({
        file: fileNames.get(file.id) ?? null,
        rows: file.rows,
        bytes: file.bytes,
      })),
      // every attempt, every request of it and the wait that followed, as recorded
      attemptLog: items[i]!.attemptLog.map((a) => ({
        attempt: a.attempt,
        startedAt: a.startedAt.toISOString(),
        finishedAt: a.finishedAt.toISOString(),
        outcome: a.outcome,
        httpStatus: a.httpStatus,
        error: a.error,
        requests: a.requests.map((r) => ({
          method: r.method,
          url: r.url,
          httpStatus: r.httpStatus,
          error: r.error,
          startedAt: r.startedAt.toISOString(),
          durationMs: r.durationMs,
        })),
        // the wait before the next attempt, and whether it was the server's Retry-After
        waitSeconds: a.waitMs === null ? null : a.waitMs / 1000,
        isRetryAfter: a.isRetryAfter,
      })),
    })),
  };
  return {
    fileName: `summary_${shortId}.json`,
    contentType: "application/json",
    body: `${JSON.stringify(document, null, 2)}\n`,
  };
}

/** The run's files and both summaries in one ZIP, streamed with its exact size known up front. */
export async function buildRunArchive(jobId: string) {
  const { job, items, fileNames } = await loadRun(jobId);
  const { blobs } = getRuntime();
  const now = new Date();
  const entries: ZipSource[] = [];
  const stored: { itemId: string; sha256: string; bytes: number }[] = [];
  for (const item of items) {
    for (const file of item.files) {
      entries.push({
        kind: "file",
        name: fileNames.get(file.id)!,
        size: file.bytes,
        crc32: file.crc32 >>> 0,
        modifiedAt: item.finishedAt ?? now,
        open: () => blobs.openReader(file.sha256),
      });
      stored.push({ itemId: item.id, sha256: file.sha256, bytes: file.bytes });
    }
  }
  await refuseMissingReportFiles(job.id, stored);
  for (const format of ["csv", "json"] as const) {
    const summary = await buildRunSummary(jobId, format);
    const name = `summary.${format}`;
    // a report file of that name keeps it; the summary steps aside
    const free = entries.some((e) => e.name.toLowerCase() === name) ? `_run_${name}` : name;
    entries.push({ kind: "buffer", name: free, data: Buffer.from(summary.body), modifiedAt: now });
  }
  return {
    fileName: `reports_${job.createdAt.toISOString().slice(0, 10)}_${job.id.slice(0, 8)}.zip`,
    size: computeZipSize(entries),
    open: (signal?: AbortSignal) =>
      createZipStream(entries, { signal, readAhead: blobs.zipReadAhead }),
  };
}

/** One report file of a run, under the name the run gave it. */
export async function openRunFile(args: { jobId: string; fileId: string }) {
  const { items, fileNames } = await loadRun(args.jobId);
  const file = items.flatMap((item) => item.files).find((f) => f.id === args.fileId);
  if (!file) throw new AppError("NOT_FOUND", "This report has no such file in this run.");
  const name = fileNames.get(file.id)!;
  return {
    fileName: name,
    size: file.bytes,
    contentType: name.endsWith(".json") ? "application/json" : "text/csv; charset=utf-8",
    stream: getRuntime().blobs.openRead(file.sha256),
  };
}
