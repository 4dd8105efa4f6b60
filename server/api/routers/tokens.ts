import "server-only";
import { z } from "zod";
import {
  createApiToken,
  listApiTokens,
  revokeApiToken,
  ZCreateTokenInput,
} from "../../services/tokens/api-tokens";
import { anyUserProcedure, createTRPCRouter } from "../trpc";

export const tokensRouter = createTRPCRouter({
  list: anyUserProcedure.query(({ ctx }) => listApiTokens(ctx.user.id)),
  create: anyUserProcedure
    .input(ZCreateTokenInput)
    .mutation(({ ctx, input }) => createApiToken(ctx.user.id, input)),
  revoke: anyUserProcedure
    .input(z.object({ id: z.string().min(1) }))
    .mutation(({ ctx, input }) => revokeApiToken(ctx.user.id, input.id)),
});
