import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";
import { isPostgresUrl, resolveDatabaseUrl } from "./server/db-url";

// The schema's env("DATABASE_URL") must resolve, or the CLI falls back to downloading a native engine.
process.env.DATABASE_URL = resolveDatabaseUrl(process.env);
const isPostgres = isPostgresUrl(process.env.DATABASE_URL);

// Prisma 6.19's JavaScript schema engine: the native engine binaries cannot be downloaded here.
// One model, two databases: each has its schema file and its migrations folder beside it.
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: isPostgres
    ? path.join("prisma", "postgres", "schema.prisma")
    : path.join("prisma", "schema.prisma"),
  async adapter() {
    const url = process.env.DATABASE_URL!;
    return isPostgres ? new PrismaPg(url) : new PrismaBetterSQLite3({ url });
  },
});
