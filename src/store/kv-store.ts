import type { KvBackend } from "../plugins/kv.ts";
import type { Queryable } from "./database.ts";

/** An installation's key-value data in Postgres. Invariant: every query is scoped to its id. */
export class PostgresKv implements KvBackend {
  readonly #db: Queryable;
  readonly #installationId: string;

  constructor(db: Queryable, installationId: string) {
    this.#db = db;
    this.#installationId = installationId;
  }

  async get(key: string): Promise<string | undefined> {
    const { rows } = await this.#db.query<{ value: string }>(
      "SELECT value FROM kv WHERE installation_id = $1 AND key = $2",
      [this.#installationId, key],
    );
    return rows[0]?.value;
  }

  async set(key: string, json: string): Promise<void> {
    await this.#db.query(
      `INSERT INTO kv (installation_id, key, value) VALUES ($1, $2, $3)
       ON CONFLICT (installation_id, key) DO UPDATE SET value = EXCLUDED.value`,
      [this.#installationId, key, json],
    );
  }

  async delete(key: string): Promise<boolean> {
    const { rowCount } = await this.#db.query("DELETE FROM kv WHERE installation_id = $1 AND key = $2", [
      this.#installationId,
      key,
    ]);
    return rowCount === 1;
  }

  async list(prefix: string): Promise<string[]> {
    const { rows } = await this.#db.query<{ key: string }>(
      "SELECT key FROM kv WHERE installation_id = $1 AND starts_with(key, $2) ORDER BY key",
      [this.#installationId, prefix],
    );
    return rows.map((r) => r.key);
  }
}
