import "server-only";
import { z } from "zod";
import { getSourceDeliveries } from "../../services/deliveries/delivery-progress";
import { startPush, startRefresh, ZStartPushInput } from "../../services/destinations/start-push";
import { createTRPCRouter, protectedProcedure } from "../trpc";

export const destinationsRouter = createTRPCRouter({
  push: protectedProcedure
    .input(ZStartPushInput)
    .mutation(({ input, ctx }) => startPush({ ...input, createdById: ctx.user.id })),
  refresh: protectedProcedure
    .input(z.object({ connectorId: z.string().min(1) }))
    .mutation(({ input, ctx }) => startRefresh({ ...input, createdById: ctx.user.id })),
  /** where a run's, an export's or a pipeline run's files went, for its page */
  deliveriesOf: protectedProcedure
    .input(z.object({ jobId: z.string().min(1) }))
    .query(({ input }) => getSourceDeliveries(input.jobId)),
});
