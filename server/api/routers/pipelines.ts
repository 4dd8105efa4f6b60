import "server-only";
import { z } from "zod";
import {
  deletePipeline,
  listPipelines,
  savePipeline,
  startPipelineRun,
  ZPipelineInput,
} from "../../services/pipelines/pipelines";
import { createTRPCRouter, protectedProcedure } from "../trpc";

const ZId = z.object({ id: z.string().min(1) });

export const pipelinesRouter = createTRPCRouter({
  list: protectedProcedure.query(() => listPipelines()),
  save: protectedProcedure
    .input(ZPipelineInput)
    .mutation(({ input, ctx }) => savePipeline({ ...input, createdById: ctx.user.id })),
  delete: protectedProcedure.input(ZId).mutation(({ input }) => deletePipeline(input.id)),
  run: protectedProcedure
    .input(ZId)
    .mutation(({ input, ctx }) =>
      startPipelineRun({ pipelineId: input.id, createdById: ctx.user.id }),
    ),
});
