import "server-only";
import { z } from "zod";
import { createBatchJob } from "../../services/batches/create-batch-job";
import { createTRPCRouter, protectedProcedure } from "../trpc";

export const ZCreateBatchInput = z.object({
  text: z
    .string()
    .min(1, "Paste some rows or choose a CSV file first.")
    .max(64 * 1024 * 1024, "The input is larger than 64 MB."),
  source: z.enum(["paste", "csv"]),
  title: z.string().max(200).optional(),
});

export const batchesRouter = createTRPCRouter({
  create: protectedProcedure
    .input(ZCreateBatchInput)
    .mutation(({ ctx, input }) => createBatchJob({ userId: ctx.user.id, ...input })),
});
