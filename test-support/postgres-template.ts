// Global setup of the `integration-pg` project: one database migrated by `prisma migrate deploy`
// (as `npm start` migrates), which every test file's database is copied from. Migrating each file's
// database took 11-14 s, 10 of them a timer Prisma's schema engine leaves behind on PostgreSQL.
import { execFileSync } from "node:child_process";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { createTestDatabase } from "./postgres";

declare module "vitest" {
  export interface ProvidedContext {
    /** the migrated database that test files copy (integration-pg only) */
    postgresTemplate: string;
  }
}

export default async function setup(project: TestProject) {
  const template = await createTestDatabase("template");
  execFileSync(path.resolve("node_modules/.bin/prisma"), ["migrate", "deploy"], {
    env: { ...process.env, DATABASE_URL: template.url },
    stdio: "pipe",
  });
  project.provide("postgresTemplate", template.name);
  return () => template.drop();
}
