import "server-only";
import { batchesRouter } from "./routers/batches";
import { jobsRouter } from "./routers/jobs";
import { setupRouter } from "./routers/setup";
import { systemRouter } from "./routers/system";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  batches: batchesRouter,
  jobs: jobsRouter,
  system: systemRouter,
  setup: setupRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
