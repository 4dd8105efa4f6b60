import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { isPostgresUrl } from "./db-url";
import { PrismaClient } from "./db/generated/client";
import { PrismaClient as PostgresPrismaClient } from "./db/generated-pg/client";

/**
 * SQLite (the embedded default) or PostgreSQL (scale-out), by the URL. Both clients are generated
 * from one model (prisma/postgres/schema.prisma is made from prisma/schema.prisma), so they have
 * the same API and the rest of the code sees one type.
 */
export function createPrismaClient(databaseUrl: string): PrismaClient {
  if (isPostgresUrl(databaseUrl)) {
    return new PostgresPrismaClient({
      adapter: new PrismaPg(databaseUrl),
    }) as unknown as PrismaClient;
  }
  return new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: databaseUrl }) });
}
