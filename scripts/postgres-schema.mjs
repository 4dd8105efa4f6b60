// The PostgreSQL schema is the SQLite schema with another generator output and datasource: the
// models are written once, in prisma/schema.prisma, and cannot drift apart.
//   node scripts/postgres-schema.mjs          writes prisma/postgres/schema.prisma
//   node scripts/postgres-schema.mjs --check  exits 1 when the written file is out of date
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const source = path.join(root, "prisma", "schema.prisma");
const target = path.join(root, "prisma", "postgres", "schema.prisma");

const HEADER = `// Scale-out: PostgreSQL through the pg driver adapter.
// Made from ../schema.prisma by scripts/postgres-schema.mjs: edit the models there, then run
// \`npm run db:postgres-schema\` and add a migration to both migrations folders.
generator client {
  provider   = "prisma-client"
  output     = "../../server/db/generated-pg"
  engineType = "client"
}

datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}
`;

export function postgresSchema(sqliteSchema) {
  const models = sqliteSchema.indexOf("\n// ----");
  if (models < 0) throw new Error("prisma/schema.prisma has no models section (a // ---- line)");
  return HEADER + sqliteSchema.slice(models);
}

const wanted = postgresSchema(fs.readFileSync(source, "utf8"));
if (process.argv.includes("--check")) {
  const written = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "";
  if (written !== wanted) {
    console.error(
      "prisma/postgres/schema.prisma is out of date with prisma/schema.prisma: run `npm run db:postgres-schema`.",
    );
    process.exit(1);
  }
} else {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, wanted);
}
