// `npm run db:generate` (and postinstall): the Prisma clients of both databases, one per schema.
// Each generate needs a DATABASE_URL of its own kind, or Prisma's CLI looks for a native engine
// to download; nothing connects to it.
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";

const prisma = path.join(
  "node_modules",
  ".bin",
  process.platform === "win32" ? "prisma.cmd" : "prisma",
);
const clients = [
  { schema: "prisma/schema.prisma", url: `file:${path.join(os.tmpdir(), "datahaul-generate.db")}` },
  { schema: "prisma/postgres/schema.prisma", url: "postgresql://localhost/datahaul-generate" },
];
for (const { schema, url } of clients) {
  const run = spawnSync(prisma, ["generate", "--schema", schema], {
    stdio: "inherit",
    env: { ...process.env, DATABASE_URL: url },
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
