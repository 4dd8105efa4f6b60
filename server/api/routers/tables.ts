import "server-only";
import { z } from "zod";
import { startExport, ZStartExportInput } from "../../services/tables/start-export";
import {
  createReportTable,
  deleteTable,
  getTable,
  listReportRunsOf,
  listTables,
  renameTable,
  ZTableName,
} from "../../services/tables/tables";
import {
  createTransform,
  deleteTransform,
  getTransform,
  listTransforms,
  previewTransform,
  updateTransform,
  ZTransformInput,
} from "../../services/tables/transforms";
import { ZSteps } from "@/server/tables/steps";
import { anyUserProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

const ZId = z.object({ id: z.string().min(1) });

export const tablesRouter = createTRPCRouter({
  list: protectedProcedure.query(() => listTables()),
  get: protectedProcedure.input(ZId).query(({ input }) => getTable(input.id)),
  reportRuns: protectedProcedure
    .input(z.object({ reportId: z.string().min(1) }))
    .query(({ input }) => listReportRunsOf(input.reportId)),
  createFromReport: protectedProcedure
    .input(
      z.object({
        reportId: z.string().min(1),
        /** one run's output; none: the latest successful run, each time */
        runJobId: z.string().min(1).optional(),
        name: ZTableName.optional(),
      }),
    )
    .mutation(({ ctx, input }) => createReportTable({ ...input, createdById: ctx.user.id })),
  rename: protectedProcedure
    .input(z.object({ id: z.string().min(1), name: ZTableName }))
    .mutation(({ input }) => renameTable(input.id, input.name)),
  delete: protectedProcedure.input(ZId).mutation(({ input }) => deleteTable(input.id)),
  transforms: protectedProcedure.query(() => listTransforms()),
  transform: protectedProcedure.input(ZId).query(({ input }) => getTransform(input.id)),
  createTransform: protectedProcedure
    .input(ZTransformInput)
    .mutation(({ input }) => createTransform(input)),
  updateTransform: protectedProcedure
    .input(ZTransformInput.extend({ id: z.string().min(1) }))
    .mutation(({ input: { id, ...rest } }) => updateTransform(id, rest)),
  deleteTransform: protectedProcedure.input(ZId).mutation(({ input }) => deleteTransform(input.id)),
  // a mutation: it reads the table anew each time and is never cached; a viewer may look
  preview: anyUserProcedure
    .input(
      z.object({
        tableId: z.string().min(1),
        steps: ZSteps,
        step: z.number().int().min(-1).optional(),
      }),
    )
    .mutation(({ input, signal }) => previewTransform({ ...input, signal })),
  startExport: protectedProcedure
    .input(ZStartExportInput)
    .mutation(({ ctx, input }) => startExport({ ...input, createdById: ctx.user.id })),
});
