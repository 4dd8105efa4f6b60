// PostgreSQL (the scale-out database) has the same model as SQLite: its schema is made from the
// SQLite one, its migrations build exactly that schema, and the app's client works on it.
import { execFileSync, spawnSync } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient } from "@/server/db-client";
import { createTestDatabase, type TTestDatabase } from "@/test-support/postgres";

const root = path.resolve(import.meta.dirname, "..");
const prisma = path.join(root, "node_modules", ".bin", "prisma");
const PG_SCHEMA = path.join("prisma", "postgres", "schema.prisma");

let migrated: TTestDatabase;
let fromModel: TTestDatabase;

beforeAll(async () => {
  [migrated, fromModel] = await Promise.all([
    createTestDatabase("migrated"),
    createTestDatabase("from_model"),
  ]);
});

afterAll(async () => {
  await Promise.all([migrated?.drop(), fromModel?.drop()]);
});

/**
 * The database's tables, columns, keys and indexes as pg_dump writes them, without its noise
 * (comments, settings, and the \restrict lines that carry a new random key each run).
 */
function schemaOf(url: string): string {
  return execFileSync(
    "pg_dump",
    ["--schema-only", "--no-owner", "--no-privileges", "--exclude-table=_prisma_migrations", url],
    { encoding: "utf8" },
  )
    .split("\n")
    .filter(
      (line) => line.trim() && !line.startsWith("--") && !/^(SET|SELECT pg_catalog|\\)/.test(line),
    )
    .join("\n");
}

describe("the PostgreSQL schema", () => {
  it("is the SQLite schema's models, unchanged", () => {
    const check = spawnSync(process.execPath, ["scripts/postgres-schema.mjs", "--check"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
  });

  it("is what its migrations build, table for table and index for index", async () => {
    const deploy = spawnSync(prisma, ["migrate", "deploy"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, DATABASE_URL: migrated.url },
    });
    expect(deploy.status, deploy.stderr + deploy.stdout).toBe(0);

    const script = execFileSync(
      prisma,
      ["migrate", "diff", "--from-empty", "--to-schema-datamodel", PG_SCHEMA, "--script"],
      { cwd: root, encoding: "utf8", env: { ...process.env, DATABASE_URL: fromModel.url } },
    );
    const client = new pg.Client({ connectionString: fromModel.url });
    await client.connect();
    await client.query(script);
    await client.end();

    const built = schemaOf(migrated.url);
    expect(built).toContain('CREATE TABLE public."Job"');
    expect(built).toBe(schemaOf(fromModel.url));
  });

  it("serves the app's client: writes, reads, orders and raw queries", async () => {
    const db = createPrismaClient(migrated.url);
    try {
      const user = await db.user.create({
        data: { id: "u1", name: "Ada", email: "ada@example.com", updatedAt: new Date() },
      });
      for (const title of ["Zebra", "apple"]) {
        await db.job.create({
          data: {
            kind: "image_batch",
            title,
            titleSortKey: title.toLowerCase(),
            totalItems: 0,
            createdById: user.id,
          },
        });
      }
      const jobs = await db.job.findMany({ orderBy: { titleSortKey: "asc" } });
      expect(jobs.map((job) => job.title)).toEqual(["apple", "Zebra"]);
      expect(jobs[0]!.status).toBe("queued");
      const counted = await db.$queryRaw<{ count: bigint }[]>`SELECT COUNT(*) AS count FROM "Job"`;
      expect(Number(counted[0]?.count)).toBe(2);
    } finally {
      await db.$disconnect();
    }
  });
});
