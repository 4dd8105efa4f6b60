import "server-only";
import { z } from "zod";
import { setRetentionDays } from "../../services/jobs/job-actions";
import { deleteFinishedJob, listJobStorage } from "../../services/storage/job-storage";
import { listAppProcesses } from "../../services/system/app-processes";
import { checkSystem, getSystemSettings } from "../../services/system/check-system";
import {
  getGettingStarted,
  setGettingStartedDismissed,
} from "../../services/system/getting-started";
import { readRecentLog } from "../../services/system/recent-log";
import { getVersionInfo } from "../../services/system/version-info";
import { adminProcedure, anyUserProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

export const systemRouter = createTRPCRouter({
  check: protectedProcedure.query(() => checkSystem()),
  settings: protectedProcedure.query(() => getSystemSettings()),
  processes: protectedProcedure.query(() => listAppProcesses()),
  setRetentionDays: adminProcedure
    .input(z.object({ days: z.number().int().min(0, "Use 0 to keep jobs forever.").max(3650) }))
    .mutation(({ input }) => setRetentionDays(input.days)),
  version: adminProcedure.query(() => getVersionInfo()),
  jobStorage: adminProcedure.query(() => listJobStorage()),
  deleteFinishedJob: adminProcedure
    .input(z.object({ jobId: z.uuid() }))
    .mutation(({ input }) => deleteFinishedJob(input.jobId)),
  recentWarnings: adminProcedure.query(() => readRecentLog()),
  gettingStarted: protectedProcedure.query(({ ctx }) => getGettingStarted(ctx.auth)),
  // one's own dashboard, like one's own tokens: a viewer may hide it too
  setGettingStartedDismissed: anyUserProcedure
    .input(z.object({ isDismissed: z.boolean() }))
    .mutation(({ ctx, input }) => setGettingStartedDismissed(ctx.user.id, input.isDismissed)),
});
