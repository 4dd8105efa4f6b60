import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "/work/main/server/db/generated/client";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
fs.rmSync("/tmp/qdb", { recursive: true, force: true }); fs.mkdirSync("/tmp/qdb");
const url = "file:/tmp/qdb/t.db";
execFileSync("/work/main/node_modules/.bin/prisma", ["migrate", "deploy"], { env: { ...process.env, DATABASE_URL: url }, cwd: "/work/main", stdio: "pipe" });
const wal = process.argv[2] === "wal";
const a = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) });
const b = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url }) });
if (wal) await a.$queryRawUnsafe("PRAGMA journal_mode = WAL");
const u = await a.user.create({ data: { id: "u1", name: "x", email: "x@x" } });
const s = await a.schedule.create({ data: { name: "s", kind: "interval", intervalMinutes: 5, createdById: u.id } });
const step = async (n: string, c: PrismaClient, i: number) => {
  const t = performance.now();
  try {
    await c.schedule.findMany({ where: { isEnabled: true } });
    await c.schedule.updateMany({ where: { id: s.id }, data: { lastOutcome: n + i } });
    console.log(n, i, "ok", (performance.now() - t).toFixed(0), "ms");
  } catch (e) { console.log(n, i, "ERR", (performance.now() - t).toFixed(0), "ms", (e as Error).message.split("\n").pop()); }
};
for (let i = 0; i < 3; i++) {
  await Promise.all([step("a", a, i), step("a2", a, i)]);
  await step("b", b, i);
}
await a.$disconnect(); await b.$disconnect();
