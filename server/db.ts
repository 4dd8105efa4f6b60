import "server-only";
import { createPrismaClient } from "./db-client";
import type { PrismaClient } from "./db/generated/client";
import { env } from "./env";

export { Prisma } from "./db/generated/client";

const globalForDb = globalThis as unknown as { datahaulDb?: PrismaClient };
export const db: PrismaClient = (globalForDb.datahaulDb ??= createPrismaClient(env.databaseUrl));
