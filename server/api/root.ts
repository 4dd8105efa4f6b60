import "server-only";
import { alertsRouter } from "./routers/alerts";
import { auditRouter } from "./routers/audit";
import { batchesRouter } from "./routers/batches";
import { connectorsRouter } from "./routers/connectors";
import { jobsRouter } from "./routers/jobs";
import { reportsRouter } from "./routers/reports";
import { schedulesRouter } from "./routers/schedules";
import { setupRouter } from "./routers/setup";
import { systemRouter } from "./routers/system";
import { tablesRouter } from "./routers/tables";
import { destinationsRouter } from "./routers/destinations";
import { pipelinesRouter } from "./routers/pipelines";
import { tokensRouter } from "./routers/tokens";
import { usersRouter } from "./routers/users";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  alerts: alertsRouter,
  audit: auditRouter,
  batches: batchesRouter,
  connectors: connectorsRouter,
  reports: reportsRouter,
  schedules: schedulesRouter,
  jobs: jobsRouter,
  tables: tablesRouter,
  destinations: destinationsRouter,
  pipelines: pipelinesRouter,
  tokens: tokensRouter,
  users: usersRouter,
  system: systemRouter,
  setup: setupRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
