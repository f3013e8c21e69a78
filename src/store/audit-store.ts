import type { AuditEvent } from "../plugins/context.ts";
import type { Queryable } from "./database.ts";

/** An audit event as stored: its sequence number and, for admin actions, details. */
export interface StoredAuditEvent extends AuditEvent {
  readonly id: string;
  readonly detail?: unknown;
}

export type AuditRecord = AuditEvent & { readonly detail?: unknown };

/** One INSERT for a whole batch (column arrays through unnest): the group commit. */
export async function insertAudit(db: Queryable, events: readonly AuditRecord[]): Promise<void> {
  if (events.length === 0) return;
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], [], []];
  for (const e of events) {
    cols[0]!.push(e.time);
    cols[1]!.push(e.installation);
    cols[2]!.push(e.call);
    cols[3]!.push(e.kind);
    cols[4]!.push(e.resource);
    cols[5]!.push(e.decision);
    cols[6]!.push(e.rule);
    cols[7]!.push(e.durationMs);
    cols[8]!.push(e.error ?? null);
    cols[9]!.push(e.detail === undefined ? null : JSON.stringify(e.detail));
  }
  await db.query(
    `INSERT INTO audit_events (time, installation, call, kind, resource, decision, rule, duration_ms, error, detail)
     SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                          $8::float8[], $9::text[], $10::jsonb[])`,
    cols,
  );
}

export interface AuditQuery {
  readonly installation?: string;
  readonly kind?: string;
  readonly denied?: boolean;
  /** ISO time: events at or after it. */
  readonly since?: string;
  /** Events after this id (for following). */
  readonly afterId?: string;
  readonly limit?: number;
}

/** Matching events, oldest first (the newest `limit` of them). */
export async function queryAudit(db: Queryable, q: AuditQuery): Promise<StoredAuditEvent[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    where.push(sql.replace("?", `$${values.length}`));
  };
  if (q.installation !== undefined) add("installation = ?", q.installation);
  if (q.kind !== undefined) add("kind = ?", q.kind);
  if (q.denied) where.push("decision = 'denied'");
  if (q.since !== undefined) add("time >= ?", q.since);
  if (q.afterId !== undefined) add("audit_events.id > ?", q.afterId);
  values.push(Math.min(Math.max(q.limit ?? 100, 1), 10_000));
  const { rows } = await db.query<StoredAuditEvent & { error: string | null; detail: unknown }>(
    `SELECT id, time, installation, call, kind, resource, decision, rule, "durationMs", error, detail FROM (
       SELECT audit_events.id AS seq, audit_events.id::text AS id, time, installation, call, kind, resource, decision,
              rule, duration_ms AS "durationMs", error, detail
       FROM audit_events ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY audit_events.id DESC LIMIT $${values.length}
     ) newest ORDER BY seq`,
    values,
  );
  return rows.map(({ error, detail, ...e }) => ({
    ...e,
    v: 1 as const,
    ...(error === null ? {} : { error }),
    ...(detail === null ? {} : { detail }),
  }));
}
