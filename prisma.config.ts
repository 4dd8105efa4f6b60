import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { defineConfig } from "prisma/config";
import { resolveDatabaseUrl } from "./server/db-url";

// The schema's env("DATABASE_URL") must resolve, or the CLI falls back to downloading a native engine.
process.env.DATABASE_URL = resolveDatabaseUrl(process.env);

// Prisma 6.19's JavaScript schema engine: the native engine binaries cannot be downloaded here.
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  async adapter() {
    return new PrismaBetterSQLite3({ url: process.env.DATABASE_URL! });
  },
});
