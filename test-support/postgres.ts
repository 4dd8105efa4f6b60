import { randomBytes } from "node:crypto";
import os from "node:os";
import pg from "pg";

/** The server the tests make their databases on (see scripts/postgres-service.mjs). */
export const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ??
  `postgresql://${os.userInfo().username}:datahaul-tests@127.0.0.1:5432/postgres`;

export type TTestDatabase = { url: string; name: string; drop(): Promise<void> };

async function asAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A new database for one test file, empty or a copy of `template` (a migrated database: copying
 * one takes a fraction of a second, `prisma migrate deploy` over ten, see postgres-template.ts);
 * `drop()` removes it, whoever is still connected.
 */
export async function createTestDatabase(
  purpose: string,
  options: { template?: string } = {},
): Promise<TTestDatabase> {
  const name = `datahaul_${purpose.replace(/\W+/g, "_")}_${randomBytes(4).toString("hex")}`;
  const from = options.template ? ` TEMPLATE "${options.template}"` : "";
  await asAdmin((client) => client.query(`CREATE DATABASE "${name}"${from}`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      asAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}
