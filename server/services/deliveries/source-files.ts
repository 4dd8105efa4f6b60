import "server-only";
import { db } from "@/server/db";
import { uniqueFileNames } from "../reports/unique-file-names";
import { EXPORT_CONTENT_TYPES } from "../tables/export-files";

/** A stored file of a finished job, as a delivery takes it: fixed when the delivery starts. */
export type TSourceFile = {
  name: string;
  sha256: string;
  bytes: number;
  contentType: string;
  /** what `{report}` stands for in a destination's file-name template */
  report: string;
};

/** The run's summary as e-mails and webhooks carry it. */
export type TSourceSummary = {
  run: {
    id: string;
    kind: string;
    title: string;
    status: string;
    startedAt: string | null;
    finishedAt: string | null;
  };
  reports: {
    report: string;
    status: string;
    rows: number | null;
    bytes: number | null;
    error: string | null;
  }[];
};

type TJobRow = NonNullable<Awaited<ReturnType<typeof db.job.findUnique>>>;

const CSV = "text/csv; charset=utf-8";

/**
 * The files a finished report run, export or pipeline run produced, and its summary. A pipeline
 * run's files are those of its report run; a push or refresh stage makes none.
 */
export async function sourceFilesOf(
  job: TJobRow,
): Promise<{ files: TSourceFile[]; summary: TSourceSummary }> {
  const run = {
    id: job.id,
    kind: job.kind,
    title: job.title,
    status: job.status,
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
  if (job.kind === "report_run" || job.kind === "export") {
    const found =
      job.kind === "report_run" ? await reportRunFiles(job.id) : await exportFiles(job.id);
    return { files: found.files, summary: { run, reports: found.reports } };
  }
  if (job.kind === "pipeline") {
    const reportJobId = (JSON.parse(job.options) as { reportJobId?: string }).reportJobId;
    const stage = reportJobId ? await reportRunFiles(reportJobId) : { files: [], reports: [] };
    return { files: stage.files, summary: { run, reports: stage.reports } };
  }
  return { files: [], summary: { run, reports: [] } };
}

async function reportRunFiles(jobId: string) {
  const items = await db.reportRunItem.findMany({
    where: { jobId },
    orderBy: { position: "asc" },
    include: { files: { orderBy: { position: "asc" } } },
  });
  const stored = items.flatMap((item) =>
    item.state === "succeeded"
      ? item.files.map((file) => ({ ...file, report: item.reportName }))
      : [],
  );
  const names = uniqueFileNames(stored);
  return {
    files: stored.map((file) => ({
      name: names.get(file.id)!,
      sha256: file.sha256,
      bytes: file.bytes,
      contentType: CSV,
      report: file.report,
    })),
    reports: items.map((item) => ({
      report: item.reportName,
      status: item.state,
      rows: item.rows,
      bytes: item.bytes,
      error: item.error,
    })),
  };
}

async function exportFiles(jobId: string) {
  const outputs = await db.exportOutput.findMany({
    where: { jobId },
    orderBy: { position: "asc" },
  });
  return {
    files: outputs.flatMap((output) =>
      output.state === "succeeded" && output.sha256 !== null && output.bytes !== null
        ? [
            {
              name: output.fileName,
              sha256: output.sha256,
              bytes: output.bytes,
              contentType: EXPORT_CONTENT_TYPES[output.format] ?? "application/octet-stream",
              report: output.fileName.replace(/\.[^.]+$/, ""),
            },
          ]
        : [],
    ),
    reports: outputs.map((output) => ({
      report: output.fileName,
      status: output.state,
      rows: output.rows,
      bytes: output.bytes,
      error: output.error,
    })),
  };
}
