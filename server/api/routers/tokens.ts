import "server-only";
import { z } from "zod";
import {
  createApiToken,
  listApiTokens,
  revokeApiToken,
  ZCreateTokenInput,
} from "../../services/tokens/api-tokens";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

export const tokensRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listApiTokens(ctx.user.id)),
  create: adminProcedure
    .input(ZCreateTokenInput)
    .mutation(({ ctx, input }) => createApiToken(ctx.user.id, input)),
  revoke: adminProcedure
    .input(z.object({ id: z.string().min(1) }))
    .mutation(({ ctx, input }) => revokeApiToken(ctx.user.id, input.id)),
});
