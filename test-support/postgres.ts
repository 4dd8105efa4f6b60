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

/** A new, empty database for one test file; `drop()` removes it, whoever is still connected. */
export async function createTestDatabase(purpose: string): Promise<TTestDatabase> {
  const name = `datahaul_${purpose.replace(/\W+/g, "_")}_${randomBytes(4).toString("hex")}`;
  await asAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
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
