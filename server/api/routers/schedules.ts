import "server-only";
import { z } from "zod";
import {
  deleteSchedule,
  duplicateSchedule,
  listFailedScheduledRuns,
  listSchedules,
  previewSchedule,
  runScheduleNow,
  saveSchedule,
  setScheduleEnabled,
  ZScheduleInput,
  ZScheduleTiming,
} from "../../services/schedules/schedules";
import { getScheduleHistory, ZHistoryInput } from "../../services/reports/run-history";
import { onEach, ZBulkIds } from "../../services/bulk-actions";
import { createTRPCRouter, protectedProcedure } from "../trpc";

const ZId = z.object({ id: z.uuid() });

export const schedulesRouter = createTRPCRouter({
  list: protectedProcedure.query(() => listSchedules()),
  history: protectedProcedure.input(ZHistoryInput).query(({ input }) => getScheduleHistory(input)),
  preview: protectedProcedure.input(ZScheduleTiming).query(({ input }) => previewSchedule(input)),
  save: protectedProcedure
    .input(ZScheduleInput)
    .mutation(({ input, ctx }) => saveSchedule(input, ctx.user.id)),
  setEnabled: protectedProcedure
    .input(ZId.extend({ isEnabled: z.boolean() }))
    .mutation(({ input }) => setScheduleEnabled(input.id, input.isEnabled)),
  setEnabledMany: protectedProcedure
    .input(ZBulkIds.extend({ isEnabled: z.boolean() }))
    .mutation(({ input }) => onEach(input.ids, (id) => setScheduleEnabled(id, input.isEnabled))),
  duplicate: protectedProcedure
    .input(ZId)
    .mutation(({ input, ctx }) => duplicateSchedule(input.id, ctx.user.id)),
  delete: protectedProcedure.input(ZId).mutation(({ input }) => deleteSchedule(input.id)),
  runNow: protectedProcedure
    .input(ZId)
    .mutation(({ input, ctx }) => runScheduleNow(input.id, ctx.user.id)),
  failedRuns: protectedProcedure.query(() => listFailedScheduledRuns()),
});
