import "server-only";
import { z } from "zod";
import {
  deleteConnector,
  listConnectors,
  saveConnector,
  testConnector,
  ZConnectorInput,
} from "../../services/connectors/connectors";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

const ZId = z.object({ id: z.uuid() });

export const connectorsRouter = createTRPCRouter({
  list: protectedProcedure.query(() => listConnectors()),
  save: adminProcedure
    .input(ZConnectorInput)
    .mutation(({ input, ctx }) => saveConnector(input, ctx.user.id)),
  delete: adminProcedure.input(ZId).mutation(({ input }) => deleteConnector(input.id)),
  test: adminProcedure.input(ZId).mutation(({ input }) => testConnector(input.id)),
});
