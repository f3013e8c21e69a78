import pg from "pg";
import { StoreError } from "../errors.ts";
import { type EmbeddedDatabase, startEmbedded } from "./embedded.ts";
import { migrate } from "./migrations.ts";

/** Anything queries can go through: the pool, or one client inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

export interface Database {
  /** Queries through the pool; a driver failure arrives as a StoreError that says what happened. */
  readonly pool: Queryable;
  /** The URL without its password, for messages. */
  readonly where: string;
  /** The full URL (password included): for the change listener's own connection; never print it. */
  readonly url: string;
  /** Present when this host started its own Postgres. */
  readonly embedded?: EmbeddedDatabase;
  /** Run `work` in one transaction: all of it is recorded, or none. */
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// Times cross as ISO 8601 text, the form every other part of Locara (grants, audit) uses.
pg.types.setTypeParser(1184, (text) => new Date(text).toISOString());

const redact = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");

/** Turn a driver error into a StoreError that says what could not be done. */
export function storeFailure(operation: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const e = error as { code?: string; message?: string };
  const unreachable = [
    "ECONNREFUSED",
    "ECONNRESET",
    "ENOTFOUND",
    "57P01",
    "57P03",
    "08006",
    "08001",
  ].includes(e.code ?? "");
  return new StoreError(
    operation,
    unreachable
      ? `the database is unreachable (${e.code}): check that Postgres is running; nothing was changed`
      : `${e.message ?? String(error)}${e.code ? ` (${e.code})` : ""}`,
    { cause: error },
  );
}

/**
 * Open the store: the Postgres at `url`, or (without one) the host's embedded Postgres under
 * `embeddedDir`; then bring its schema up to date. The pool survives the database going away:
 * idle connections that break are dropped and replaced when it returns.
 */
export async function openDatabase(options: {
  url?: string;
  embeddedDir: string;
  onLog?: (line: string) => void;
  maxConnections?: number;
}): Promise<Database> {
  const embedded = options.url ? undefined : await startEmbedded(options.embeddedDir, options.onLog);
  const url = options.url ?? embedded!.url;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5000,
  });
  pool.on("error", (error) => options.onLog?.(`[store] idle connection lost: ${error.message}`));
  try {
    const client = await pool.connect();
    try {
      await migrate(client);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => {});
    await embedded?.stop().catch(() => {});
    throw storeFailure("open", error);
  }
  const queryable: Queryable = {
    query: (text, values) =>
      pool.query(text, values).catch((error: unknown) => {
        throw storeFailure("read or write", error);
      }) as never,
  };
  return {
    pool: queryable,
    where: redact(url),
    url,
    ...(embedded ? { embedded } : {}),
    async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
      const client = await pool.connect().catch((error: unknown) => {
        throw storeFailure("start a transaction", error);
      });
      try {
        await client.query("BEGIN");
        const value = await work(client);
        await client.query("COMMIT");
        return value;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        // Nothing was recorded: the action is not performed. Driver failures say so plainly.
        const driver =
          !(error instanceof StoreError) &&
          typeof (error as { code?: unknown })?.code === "string" &&
          !("data" in (error as object));
        throw driver ? storeFailure("record the change", error) : error;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end().catch(() => {});
      await embedded?.stop().catch(() => {});
    },
  };
}
