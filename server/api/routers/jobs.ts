import "server-only";
import { z } from "zod";
import { cancelJob, deleteJob, retryFailedItems } from "../../services/jobs/job-actions";
import { getJobProgress } from "../../services/jobs/job-progress";
import { listJobPage, listJobs, ZJobPageInput } from "../../services/jobs/list-jobs";
import { listFailedItems, listProductItems } from "../../services/jobs/list-product-items";
import { AppError } from "../../errors";
import { onEach, ZBulkIds } from "../../services/bulk-actions";
import { createTRPCRouter, protectedProcedure } from "../trpc";

const ZJobId = z.object({ jobId: z.uuid() });

export const jobsRouter = createTRPCRouter({
  list: protectedProcedure.query(() => listJobs()),
  page: protectedProcedure.input(ZJobPageInput).query(({ input }) => listJobPage(input)),
  progress: protectedProcedure.input(ZJobId).query(async ({ input }) => {
    const progress = await getJobProgress(input.jobId);
    if (!progress)
      throw new AppError("NOT_FOUND", "This job does not exist (it may have been deleted).");
    return progress;
  }),
  productItems: protectedProcedure
    .input(ZJobId.extend({ productId: z.uuid() }))
    .query(({ input }) => listProductItems(input)),
  failedItems: protectedProcedure.input(ZJobId).query(({ input }) => listFailedItems(input)),
  cancel: protectedProcedure.input(ZJobId).mutation(({ input }) => cancelJob(input.jobId)),
  retryFailed: protectedProcedure
    .input(ZJobId.extend({ scope: z.enum(["retryable", "all"]).default("retryable") }))
    .mutation(({ input }) => retryFailedItems(input.jobId, input.scope)),
  delete: protectedProcedure.input(ZJobId).mutation(({ input }) => deleteJob(input.jobId)),
  deleteMany: protectedProcedure
    .input(ZBulkIds)
    .mutation(({ input }) => onEach(input.ids, deleteJob)),
  /** the failed items a retry can help (not the permanent failures) of each job, put back in line */
  retryMany: protectedProcedure
    .input(ZBulkIds)
    .mutation(({ input }) => onEach(input.ids, (id) => retryFailedItems(id, "retryable"))),
});
