import "server-only";
import { z } from "zod";
import { setRetentionDays } from "../../services/jobs/job-actions";
import { listAppProcesses } from "../../services/system/app-processes";
import { checkSystem, getSystemSettings } from "../../services/system/check-system";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

export const systemRouter = createTRPCRouter({
  check: protectedProcedure.query(() => checkSystem()),
  settings: protectedProcedure.query(() => getSystemSettings()),
  processes: protectedProcedure.query(() => listAppProcesses()),
  setRetentionDays: adminProcedure
    .input(z.object({ days: z.number().int().min(0, "Use 0 to keep jobs forever.").max(3650) }))
    .mutation(({ input }) => setRetentionDays(input.days)),
});
