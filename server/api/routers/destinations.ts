import "server-only";
import { z } from "zod";
import { startPush, startRefresh, ZStartPushInput } from "../../services/destinations/start-push";
import { createTRPCRouter, protectedProcedure } from "../trpc";

export const destinationsRouter = createTRPCRouter({
  push: protectedProcedure
    .input(ZStartPushInput)
    .mutation(({ input, ctx }) => startPush({ ...input, createdById: ctx.user.id })),
  refresh: protectedProcedure
    .input(z.object({ connectorId: z.string().min(1) }))
    .mutation(({ input, ctx }) => startRefresh({ ...input, createdById: ctx.user.id })),
});
