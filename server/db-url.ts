import fs from "node:fs";
import path from "node:path";

/** The SQLite file lives under DATA_DIR unless DATABASE_URL says otherwise; its folder is created on demand. */
export function resolveDatabaseUrl(env: Record<string, string | undefined>): string {
  const dataDir = path.resolve(/*turbopackIgnore: true*/ env.DATA_DIR ?? "data");
  const url = env.DATABASE_URL ?? `file:${path.join(dataDir, "datahaul.db")}`;
  if (url.startsWith("file:"))
    fs.mkdirSync(path.dirname(url.slice("file:".length)), { recursive: true });
  return url;
}

/** postgres:// and postgresql:// select PostgreSQL; anything else is a SQLite file. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}
