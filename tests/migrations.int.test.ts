// Migrations that move data keep it: each is applied to a database holding rows of the schema
// before it, the way an upgrade meets a user's data folder. And together they build the model's
// schema. SQLite-only (not in integration-pg): these are SQLite's migrations, read by SQLite;
// PostgreSQL's are checked by postgres-schema.int.test.ts.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";

const MIGRATIONS = path.resolve("prisma/migrations");

/** A database with every migration before `name` applied, and a function applying `name` and the rest. */
function databaseBefore(name: string) {
  const all = fs
    .readdirSync(MIGRATIONS)
    .filter((entry) => /^\d/.test(entry))
    .sort();
  expect(all).toContain(name);
  const db = new Database(":memory:");
  const apply = (entries: string[]) => {
    for (const entry of entries)
      db.exec(fs.readFileSync(path.join(MIGRATIONS, entry, "migration.sql"), "utf8"));
  };
  apply(all.slice(0, all.indexOf(name)));
  return { db, applyRest: () => apply(all.slice(all.indexOf(name))) };
}

/** Tables with their columns, keys, foreign keys and indexes, as SQLite describes them. */
function describeSchema(db: Database.Database): unknown[] {
  const tables = db
    .prepare(
      `SELECT "name" FROM sqlite_master WHERE "type" = 'table'
       AND "name" NOT LIKE 'sqlite_%' AND "name" <> '_prisma_migrations' ORDER BY "name"`,
    )
    .all() as { name: string }[];
  return tables.map(({ name }) => ({
    name,
    // by name: a column added later by ALTER TABLE comes last, where the model may have it earlier
    columns: (db.pragma(`table_info("${name}")`) as { cid: number; name: string }[])
      .map(({ cid: _, ...column }) => column)
      .sort((a, b) => a.name.localeCompare(b.name)),
    foreignKeys: db.pragma(`foreign_key_list("${name}")`),
    indexes: (db.pragma(`index_list("${name}")`) as { name: string; unique: number }[])
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((index) => ({
        name: index.name,
        unique: index.unique,
        columns: (db.pragma(`index_info("${index.name}")`) as { name: string }[]).map(
          (column) => column.name,
        ),
      })),
  }));
}

describe("the migrations folder", () => {
  it("builds the model's schema: a model change without its migration fails here", () => {
    const { db: migrated, applyRest } = databaseBefore(
      fs.readdirSync(MIGRATIONS).filter((entry) => /^\d/.test(entry))[0]!,
    );
    applyRest();
    const script = execFileSync(
      path.resolve("node_modules/.bin/prisma"),
      [
        "migrate",
        "diff",
        "--from-empty",
        "--to-schema-datamodel",
        "prisma/schema.prisma",
        "--script",
      ],
      { encoding: "utf8", env: { ...process.env, DATABASE_URL: "file::memory:" } },
    );
    const fromModel = new Database(":memory:");
    fromModel.exec(script);
    const built = describeSchema(migrated);
    expect(built.length).toBeGreaterThan(10);
    expect(built).toEqual(describeSchema(fromModel));
  });
});

describe("20261205120000_report_run_files", () => {
  it("moves each stored file of an earlier report run into ReportRunFile", () => {
    const { db, applyRest } = databaseBefore("20261205120000_report_run_files");
    db.exec(`
      INSERT INTO "User" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt")
        VALUES ('u1', 'Ann', 'ann@example.com', 0, 0, 0);
      INSERT INTO "Job" ("id", "kind", "title", "status", "createdById", "createdAt", "totalItems", "options")
        VALUES ('j1', 'report_run', 'Reports', 'completed_with_errors', 'u1', 0, 2, '{}');
      INSERT INTO "ReportRunItem"
        ("id", "jobId", "reportName", "position", "state", "rows", "bytes", "sha256", "crc32", "fileName")
        VALUES ('i1', 'j1', 'Sales', 0, 'succeeded', 3, 40, 'abc', -5, 'sales.csv'),
               ('i2', 'j1', 'Stock', 1, 'failed', NULL, NULL, NULL, NULL, NULL);
    `);
    applyRest();
    const files = db.prepare(`SELECT * FROM "ReportRunFile"`).all() as Record<string, unknown>[];
    expect(files).toEqual([
      {
        id: expect.stringMatching(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        ),
        itemId: "i1",
        position: 0,
        fileName: "sales.csv",
        sha256: "abc",
        bytes: 40,
        rows: 3,
        crc32: -5,
      },
    ]);
    expect(
      db.prepare(`SELECT "id", "rows", "bytes" FROM "ReportRunItem" ORDER BY "id"`).all(),
    ).toEqual([
      { id: "i1", rows: 3, bytes: 40 },
      { id: "i2", rows: null, bytes: null },
    ]);
    expect(db.prepare("PRAGMA foreign_key_check").all()).toEqual([]);
  });
});

describe("20261206090000_job_title_sort_key", () => {
  it("keeps every job and fills the lower-cased title key the Jobs list sorts by, through an index", () => {
    const { db, applyRest } = databaseBefore("20261206090000_job_title_sort_key");
    db.exec(`
      INSERT INTO "User" ("id", "name", "email", "emailVerified", "createdAt", "updatedAt")
        VALUES ('u1', 'Ann', 'ann@example.com', 0, 0, 0);
      INSERT INTO "Job" ("id", "kind", "title", "status", "createdById", "createdAt", "totalItems", "options")
        VALUES ('j1', 'image_batch', 'Zebra', 'completed', 'u1', 0, 1, '{}'),
               ('j2', 'image_batch', 'apple', 'queued', 'u1', 1, 2, '{}');
      INSERT INTO "Product" ("id", "jobId", "number", "position") VALUES ('p1', 'j1', 'P-1', 1);
    `);
    applyRest();
    expect(
      db
        .prepare(
          `SELECT "id", "title", "titleSortKey", "status" FROM "Job" ORDER BY "titleSortKey", "id"`,
        )
        .all(),
    ).toEqual([
      { id: "j2", title: "apple", titleSortKey: "apple", status: "queued" },
      { id: "j1", title: "Zebra", titleSortKey: "zebra", status: "completed" },
    ]);
    expect(db.prepare(`SELECT "jobId" FROM "Product"`).all()).toEqual([{ jobId: "j1" }]);
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT "id" FROM "Job" ORDER BY "titleSortKey", "id" LIMIT 5`)
      .all() as { detail: string }[];
    expect(plan.map((step) => step.detail).join("\n")).toMatch(
      /USING (COVERING )?INDEX Job_titleSortKey_id_idx/,
    );
    expect(db.prepare("PRAGMA foreign_key_check").all()).toEqual([]);
  });
});
