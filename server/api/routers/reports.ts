import "server-only";
import { z } from "zod";
import { getReportRunProgress } from "../../services/reports/report-run-progress";
import {
  deleteReports,
  duplicateReport,
  importRequestJson,
  listReports,
  saveReport,
  ZReportInput,
} from "../../services/reports/reports";
import { startReportRun, ZStartRunInput } from "../../services/reports/start-report-run";
import { getReportHistory, ZHistoryInput } from "../../services/reports/run-history";
import { previewReport, ZPreviewInput } from "../../services/reports/preview-report";
import {
  browseConnector,
  describeReportParameters,
  ZBrowseInput,
  ZParametersInput,
} from "../../services/reports/report-picker";
import { AppError } from "../../errors";
import { createTRPCRouter, operatorProcedure, protectedProcedure } from "../trpc";

export const reportsRouter = createTRPCRouter({
  list: protectedProcedure.query(() => listReports()),
  history: protectedProcedure.input(ZHistoryInput).query(({ input }) => getReportHistory(input)),
  save: protectedProcedure
    .input(ZReportInput)
    .mutation(({ input, ctx }) => saveReport(input, ctx.user.id)),
  delete: protectedProcedure
    .input(z.object({ ids: z.array(z.uuid()).min(1) }))
    .mutation(({ input }) => deleteReports(input.ids)),
  duplicate: protectedProcedure
    .input(z.object({ id: z.uuid() }))
    .mutation(({ input, ctx }) => duplicateReport(input.id, ctx.user.id)),
  importRequestJson: protectedProcedure
    .input(
      z.object({
        text: z.string().max(5_000_000, "The file is larger than 5 MB."),
        defaultConnectorId: z.uuid().optional(),
        connectorForAddress: z.record(z.string().max(2048), z.uuid()).optional(),
        replaceExisting: z.boolean().default(false),
      }),
    )
    .mutation(({ input }) => importRequestJson(input)),
  run: protectedProcedure
    .input(ZStartRunInput)
    .mutation(({ input, ctx }) => startReportRun({ ...input, createdById: ctx.user.id })),
  browse: operatorProcedure
    .input(ZBrowseInput)
    .query(({ input, signal }) => browseConnector(input, signal)),
  parameters: operatorProcedure
    .input(ZParametersInput)
    .query(({ input, signal }) => describeReportParameters(input, signal)),
  preview: protectedProcedure
    .input(ZPreviewInput)
    .mutation(({ input, signal }) => previewReport(input, signal)),
  runProgress: protectedProcedure.input(z.object({ jobId: z.uuid() })).query(async ({ input }) => {
    const progress = await getReportRunProgress(input.jobId);
    if (!progress)
      throw new AppError("NOT_FOUND", "This report run does not exist (it may have been deleted).");
    return progress;
  }),
});
