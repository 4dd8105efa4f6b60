import "server-only";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./db/generated/client";
import { env } from "./env";

export { Prisma } from "./db/generated/client";

function createPrismaClient(): PrismaClient {
  const adapter = new PrismaBetterSQLite3({ url: env.databaseUrl });
  return new PrismaClient({ adapter });
}

const globalForDb = globalThis as unknown as { datahaulDb?: PrismaClient };
export const db: PrismaClient = (globalForDb.datahaulDb ??= createPrismaClient());
