import "server-only";
import { z } from "zod";
import { listAlerts, sendTestAlert } from "../../services/alerts/alerts";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

export const alertsRouter = createTRPCRouter({
  list: protectedProcedure.query(() => listAlerts()),
  /** straight to the channel, not queued: the admin waits for the answer */
  sendTest: adminProcedure
    .input(z.object({ connectorId: z.uuid() }))
    .mutation(({ input }) => sendTestAlert(input.connectorId)),
});
