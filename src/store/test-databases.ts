import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startEmbedded } from "./embedded.ts";

/** The machine's Postgres for tests (trust auth), as the CI machine provides it. */
export const MACHINE_POSTGRES =
  process.env.LOCARA_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** Whether the machine's Postgres answers (tests that need it say so when it does not). */
export async function machinePostgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: MACHINE_POSTGRES, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** A fresh, empty database on the machine's Postgres, dropped afterwards. */
export async function freshMachineDatabase(): Promise<TestDatabase> {
  const name = `locara_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: MACHINE_POSTGRES });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(MACHINE_POSTGRES);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const c = new pg.Client({ connectionString: MACHINE_POSTGRES });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A fresh embedded Postgres in a temporary folder, removed afterwards. */
export async function freshEmbeddedDatabase(): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), "locara-pg-"));
  await chmod(dir, 0o755); // as root, the postgres user must pass through it
  const embedded = await startEmbedded(join(dir, "pg"));
  return {
    url: embedded.url,
    async drop() {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh database: on the machine's Postgres where it answers, else an embedded one. */
export async function freshDatabase(): Promise<TestDatabase> {
  return (await machinePostgresAvailable()) ? freshMachineDatabase() : freshEmbeddedDatabase();
}
