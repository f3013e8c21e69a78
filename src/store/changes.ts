import pg from "pg";
import type { Queryable } from "./database.ts";

export const CHANGES_CHANNEL = "locara_changes";

/**
 * Tell every host that an installation's approvals, grants, rules or state changed. Called inside
 * the transaction that made the change: Postgres delivers the notice only if it commits.
 */
export async function notifyChange(db: Queryable, installationId: string | "*"): Promise<void> {
  await db.query("SELECT pg_notify($1, $2)", [CHANGES_CHANNEL, installationId]);
}

/**
 * Listen for changes on a dedicated connection; `onChange` gets an installation id or "*" (all).
 * When the connection breaks, everything is treated as changed and listening resumes as soon as
 * the database answers again, so a host never keeps a stale policy past a reconnect.
 */
export function listenForChanges(
  connectionString: string,
  onChange: (installationId: string) => void,
  onLog: (line: string) => void = () => {},
): { ready: Promise<void>; close(): Promise<void> } {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({ connectionString });
    c.on("notification", (n) => {
      if (n.channel === CHANGES_CHANNEL) onChange(n.payload ?? "*");
    });
    c.on("error", (error) => {
      onLog(`[changes] connection lost: ${error.message}`);
    });
    c.on("end", () => {
      if (closed || client !== c) return; // a connection that never listened is retried below
      client = undefined;
      onChange("*");
      retry = setTimeout(() => void connect(), 250);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANGES_CHANNEL}`);
      client = c;
      onChange("*"); // whatever happened while not listening
      markReady();
    } catch (error) {
      onLog(`[changes] cannot listen yet: ${(error as Error).message}`);
      await c.end().catch(() => {});
      if (!closed) retry = setTimeout(() => void connect(), 500);
    }
  };
  void connect();
  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
