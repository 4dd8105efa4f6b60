import {
  getReportHistory,
  getScheduleHistory,
  ZHistoryInput,
} from "@/server/services/reports/run-history";
import { getSourceDeliveries } from "@/server/services/deliveries/delivery-progress";
import "server-only";
import { z } from "zod";
import { db } from "../../db";
import { AppError } from "../../errors";
import { cancelJob, deleteJob, retryFailedItems } from "../../services/jobs/job-actions";
import { jobKind } from "../../services/jobs/job-kinds";
import { listReports } from "../../services/reports/reports";
import { startReportRun, ZStartRunInput } from "../../services/reports/start-report-run";
import { buildExportArchive, openExportFile } from "../../services/tables/export-files";
import { getExportProgress } from "../../services/tables/export-progress";
import { receiveTableUpload } from "../../services/tables/receive-upload";
import { startExport, ZStartExportInput } from "../../services/tables/start-export";
import { deleteTable, getTable, listTables, ZReadOptions } from "../../services/tables/tables";
import {
  createTransform,
  deleteTransform,
  getTransform,
  listTransforms,
  previewTransform,
  updateTransform,
  ZTransformInput,
} from "../../services/tables/transforms";
import { archiveResponse } from "../archive-response";
import { fileResponse } from "../http";
import { defineRoute, type TRestRoute } from "./rest-route";
import { listConnectors, testConnector } from "../../services/connectors/connectors";
import { getPushProgress } from "../../services/destinations/push-progress";
import { startPush, startRefresh, ZStartPushInput } from "../../services/destinations/start-push";

const ZJobId = z.object({ jobId: z.string().min(1).meta({ description: "The job's id" }) });
const ZTableId = z.object({ tableId: z.string().min(1) });
const ZTransformId = z.object({ transformId: z.string().min(1) });

async function requireExport(jobId: string) {
  const progress = await getExportProgress(jobId);
  if (!progress)
    throw new AppError("NOT_FOUND", "This export does not exist (it may have been deleted).");
  return progress;
}

const accepted = (jobId: string, kind: "exports" | "jobs" | "pushes") => ({
  jobId,
  status: "queued",
  statusUrl: `/api/v1/${kind}/${jobId}`,
});

export const REST_ROUTES: TRestRoute[] = [
  // ---- tables ----
  defineRoute({
    method: "GET",
    path: "/tables",
    scope: "read",
    tag: "Tables",
    summary: "List tables",
    success: {
      status: 200,
      description: "Every table: uploads and report outputs, with their columns and types.",
    },
    handle: () => listTables(),
  }),
  defineRoute({
    method: "POST",
    path: "/tables",
    scope: "run",
    tag: "Tables",
    summary: "Upload a file as a table",
    description:
      "The file is the request body (any content type). CSV, TSV, JSON, NDJSON, XLSX, or a ZIP holding one of those; at most MAX_UPLOAD_MB.",
    query: ZReadOptions.extend({
      fileName: z
        .string()
        .max(255)
        .optional()
        .meta({ description: "The file's name; its extension tells the format" }),
      name: z
        .string()
        .max(200)
        .optional()
        .meta({ description: "The table's name (default: the file name)" }),
    }),
    rawBody: { description: "The file's bytes" },
    success: { status: 201, description: "The table, read and typed." },
    handle: ({ request, user }) => {
      const length = request.headers.get("content-length");
      return receiveTableUpload({
        body: request.body,
        contentLength: length ? Number(length) : null,
        query: new URL(request.url).searchParams,
        createdById: user.id,
        signal: request.signal,
      });
    },
  }),
  defineRoute({
    method: "GET",
    path: "/tables/{tableId}",
    scope: "read",
    tag: "Tables",
    summary: "Get a table",
    params: ZTableId,
    success: { status: 200, description: "The table with its columns and types." },
    handle: ({ params }) => getTable(params.tableId),
  }),
  defineRoute({
    method: "DELETE",
    path: "/tables/{tableId}",
    scope: "run",
    tag: "Tables",
    summary: "Delete a table and its transforms",
    params: ZTableId,
    success: { status: 200, description: "Deleted." },
    handle: async ({ params }) => {
      await getTable(params.tableId);
      await deleteTable(params.tableId);
      return { deleted: true };
    },
  }),
  // ---- transforms ----
  defineRoute({
    method: "GET",
    path: "/transforms",
    scope: "read",
    tag: "Transforms",
    summary: "List transforms",
    success: { status: 200, description: "Every saved transform with its steps and outputs." },
    handle: () => listTransforms(),
  }),
  defineRoute({
    method: "POST",
    path: "/transforms",
    scope: "run",
    tag: "Transforms",
    summary: "Create a transform",
    body: ZTransformInput,
    success: { status: 201, description: "The saved transform." },
    handle: ({ body }) => createTransform(body),
  }),
  defineRoute({
    method: "GET",
    path: "/transforms/{transformId}",
    scope: "read",
    tag: "Transforms",
    summary: "Get a transform",
    params: ZTransformId,
    success: { status: 200, description: "The transform." },
    handle: ({ params }) => getTransform(params.transformId),
  }),
  defineRoute({
    method: "PUT",
    path: "/transforms/{transformId}",
    scope: "run",
    tag: "Transforms",
    summary: "Replace a transform",
    params: ZTransformId,
    body: ZTransformInput,
    success: { status: 200, description: "The saved transform." },
    handle: ({ params, body }) => updateTransform(params.transformId, body),
  }),
  defineRoute({
    method: "DELETE",
    path: "/transforms/{transformId}",
    scope: "run",
    tag: "Transforms",
    summary: "Delete a transform",
    params: ZTransformId,
    success: { status: 200, description: "Deleted." },
    handle: async ({ params }) => {
      await getTransform(params.transformId);
      await deleteTransform(params.transformId);
      return { deleted: true };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/transforms/{transformId}/preview",
    scope: "read",
    tag: "Transforms",
    summary: "Preview a saved transform",
    description:
      "The first 100 rows after a step (the last by default), each step's columns and types, and the first step that fails.",
    params: ZTransformId,
    body: z.object({ step: z.number().int().min(-1).optional() }).default({}),
    success: { status: 200, description: "The preview." },
    handle: async ({ params, body, request }) => {
      const transform = await getTransform(params.transformId);
      return previewTransform({
        tableId: transform.tableId,
        steps: transform.steps,
        step: body.step,
        signal: request.signal,
      });
    },
  }),
  // ---- exports ----
  defineRoute({
    method: "POST",
    path: "/exports",
    scope: "run",
    tag: "Exports",
    summary: "Start an export",
    description:
      "Of a saved transform, or of a table with steps given here. Runs in the background: follow statusUrl.",
    body: ZStartExportInput,
    success: { status: 202, description: "The export's job id and where its status is." },
    handle: async ({ body, user }) =>
      accepted((await startExport({ ...body, createdById: user.id })).jobId, "exports"),
  }),
  defineRoute({
    method: "GET",
    path: "/exports/{jobId}",
    scope: "read",
    tag: "Exports",
    summary: "An export's status",
    description:
      "status: queued, running, paused, completed, completed_with_errors, failed or cancelled; each output with its state and rows.",
    params: ZJobId,
    success: { status: 200, description: "The export's state." },
    handle: ({ params }) => requireExport(params.jobId),
  }),
  defineRoute({
    method: "GET",
    path: "/exports/{jobId}/download",
    scope: "read",
    tag: "Exports",
    summary: "Download an export's result",
    description:
      "Its one file, or a ZIP of all its files when it wrote several. 409 until a file is written.",
    params: ZJobId,
    success: {
      status: 200,
      description: "The file, with an exact Content-Length.",
      contentType: "application/octet-stream",
    },
    handle: async ({ params, request }) => {
      const progress = await requireExport(params.jobId);
      const written = progress.outputs.filter((o) => o.state === "succeeded");
      if (progress.outputs.length === 1 && written.length === 1)
        return fileResponse(
          await openExportFile({ jobId: params.jobId, outputId: written[0]!.id }),
        );
      if (!["completed", "completed_with_errors"].includes(progress.job.status))
        throw new AppError(
          "CONFLICT",
          `The export is ${progress.job.status.replaceAll("_", " ")}: there is nothing to download yet.`,
        );
      return archiveResponse(request, await buildExportArchive(params.jobId));
    },
  }),
  defineRoute({
    method: "GET",
    path: "/exports/{jobId}/files/{outputId}",
    scope: "read",
    tag: "Exports",
    summary: "Download one file of an export",
    params: ZJobId.extend({ outputId: z.string().min(1) }),
    success: {
      status: 200,
      description: "The file, with an exact Content-Length.",
      contentType: "application/octet-stream",
    },
    handle: async ({ params }) => fileResponse(await openExportFile(params)),
  }),
  defineRoute({
    method: "POST",
    path: "/exports/{jobId}/cancel",
    scope: "run",
    tag: "Exports",
    summary: "Cancel an export",
    params: ZJobId,
    success: { status: 200, description: "How many files were cancelled." },
    handle: async ({ params }) => {
      await requireExport(params.jobId);
      return cancelJob(params.jobId);
    },
  }),
  // ---- reports ----
  // ---- destinations, pushes and refreshes ----
  defineRoute({
    method: "GET",
    path: "/destinations",
    scope: "read",
    tag: "Destinations",
    summary: "List destinations",
    description:
      "Connectors that take rows (Power BI, Google Sheets), can be refreshed (Power BI, Looker), or take files (folder, S3, SFTP, e-mail, webhook: name them in deliverTo when starting a run or an export); secrets are never listed.",
    success: { status: 200, description: "Each destination with what it does and its last test." },
    handle: async () => (await listConnectors()).filter((connector) => connector.destination),
  }),
  defineRoute({
    method: "POST",
    path: "/destinations/{connectorId}/test",
    scope: "admin",
    tag: "Destinations",
    summary: "Test a destination",
    description: "Signs in for real and says what it found, in plain words.",
    params: z.object({ connectorId: z.string().min(1) }),
    success: { status: 200, description: "isOk and the message." },
    handle: ({ params }) => testConnector(params.connectorId),
  }),
  defineRoute({
    method: "POST",
    path: "/pushes",
    scope: "run",
    tag: "Destinations",
    summary: "Push a table's rows to a destination",
    description:
      "Of a saved transform, or of a table with steps given here; mode replace (clear, then write) or append. Runs in the background: follow statusUrl.",
    body: ZStartPushInput,
    success: { status: 202, description: "The push's job id and where its status is." },
    handle: async ({ body, user }) =>
      accepted((await startPush({ ...body, createdById: user.id })).jobId, "pushes"),
  }),
  defineRoute({
    method: "POST",
    path: "/refreshes",
    scope: "run",
    tag: "Destinations",
    summary: "Refresh a destination",
    description:
      "A Power BI imported dataset, or a Looker datagroup or derived table: started, then followed to its end.",
    body: z.object({ connectorId: z.string().min(1) }),
    success: { status: 202, description: "The refresh's job id and where its status is." },
    handle: async ({ body, user }) =>
      accepted((await startRefresh({ ...body, createdById: user.id })).jobId, "pushes"),
  }),
  defineRoute({
    method: "GET",
    path: "/pushes/{jobId}",
    scope: "read",
    tag: "Destinations",
    summary: "A push's or refresh's status",
    description:
      "The job's status, and the push's rows sent, batches confirmed of all, attempts and error in plain words.",
    params: ZJobId,
    success: { status: 200, description: "The push's state." },
    handle: async ({ params }) => {
      const progress = await getPushProgress(params.jobId);
      if (!progress)
        throw new AppError("NOT_FOUND", "This push does not exist (it may have been deleted).");
      return progress;
    },
  }),
  defineRoute({
    method: "GET",
    path: "/jobs/{jobId}/deliveries",
    scope: "read",
    tag: "Destinations",
    summary: "Where a job's files were delivered",
    description:
      "For a report run, an export or a pipeline run started with deliverTo: each destination's state, attempts, the files as they arrived (name, bytes, location) and the error in plain words; or, before the job ends, the destinations still waiting. The delivery job (deliveryJobId) can be retried and cancelled like any job.",
    params: ZJobId,
    success: { status: 200, description: "The delivery steps, or the destinations waiting." },
    handle: async ({ params }) => {
      const deliveries = await getSourceDeliveries(params.jobId);
      if (!deliveries)
        throw new AppError("NOT_FOUND", "This job does not exist (it may have been deleted).");
      return deliveries;
    },
  }),
  defineRoute({
    method: "GET",
    path: "/reports/{reportId}/history",
    scope: "read",
    tag: "Reports",
    summary: "A report's run history",
    description:
      "Its latest ended runs, oldest first (limit, 30 by default, 200 at most): when, the outcome, rows, bytes, how long it took, whether the system cut the rows short, and a failure's reason.",
    params: z.object({ reportId: z.uuid() }),
    query: z.object({ limit: ZHistoryInput.shape.limit }),
    success: { status: 200, description: "The report's name and its runs." },
    handle: ({ params, query }) => getReportHistory({ id: params.reportId, limit: query.limit }),
  }),
  defineRoute({
    method: "GET",
    path: "/schedules/{scheduleId}/history",
    scope: "read",
    tag: "Reports",
    summary: "A schedule's run history",
    description:
      "Its latest ended runs (report runs, or pipeline runs for a schedule of a pipeline), oldest first: status, the reports' rows and bytes together, duration, and the first failure's reason.",
    params: z.object({ scheduleId: z.uuid() }),
    query: z.object({ limit: ZHistoryInput.shape.limit }),
    success: { status: 200, description: "The schedule's name and its runs." },
    handle: ({ params, query }) =>
      getScheduleHistory({ id: params.scheduleId, limit: query.limit }),
  }),
  defineRoute({
    method: "GET",
    path: "/reports",
    scope: "read",
    tag: "Reports",
    summary: "List reports",
    success: { status: 200, description: "Every saved report with its last run." },
    handle: () => listReports(),
  }),
  defineRoute({
    method: "POST",
    path: "/reports/runs",
    scope: "run",
    tag: "Reports",
    summary: "Run reports",
    body: ZStartRunInput,
    success: { status: 202, description: "The run's job id and where its status is." },
    handle: async ({ body, user }) =>
      accepted((await startReportRun({ ...body, createdById: user.id })).jobId, "jobs"),
  }),
  // ---- jobs ----
  defineRoute({
    method: "GET",
    path: "/jobs/{jobId}",
    scope: "read",
    tag: "Jobs",
    summary: "Any job's status",
    description:
      "An image batch, a report run, an export, a push, a pipeline run or a delivery, in the shape its page shows.",
    params: ZJobId,
    success: { status: 200, description: "The job's state." },
    handle: async ({ params }) => {
      const job = await db.job.findUnique({ where: { id: params.jobId }, select: { kind: true } });
      const progress = job ? await jobKind(job.kind).readProgress(params.jobId) : null;
      if (!progress)
        throw new AppError("NOT_FOUND", "This job does not exist (it may have been deleted).");
      return progress;
    },
  }),
  defineRoute({
    method: "POST",
    path: "/jobs/{jobId}/cancel",
    scope: "run",
    tag: "Jobs",
    summary: "Cancel a job",
    params: ZJobId,
    success: { status: 200, description: "How many items were cancelled." },
    handle: ({ params }) => cancelJob(params.jobId),
  }),
  defineRoute({
    method: "POST",
    path: "/jobs/{jobId}/retry",
    scope: "run",
    tag: "Jobs",
    summary: "Retry a job's failed items",
    params: ZJobId,
    body: z
      .object({ scope: z.enum(["retryable", "all"]).default("retryable") })
      .default({ scope: "retryable" }),
    success: { status: 200, description: "How many items went back in line." },
    handle: ({ params, body }) => retryFailedItems(params.jobId, body.scope),
  }),
  defineRoute({
    method: "DELETE",
    path: "/jobs/{jobId}",
    scope: "run",
    tag: "Jobs",
    summary: "Delete a job and its files",
    params: ZJobId,
    success: { status: 200, description: "Deleted." },
    handle: async ({ params }) => {
      await deleteJob(params.jobId);
      return { deleted: true };
    },
  }),
];
