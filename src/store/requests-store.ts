import type { Queryable } from "./database.ts";

/** A prompt from a served request that waits for an admin's answer. */
export interface PendingRequest {
  readonly id: string;
  readonly installationId: string;
  readonly path: string;
  readonly kind: string;
  readonly resource: string;
  /** The policy request, to turn the answer into a grant covering exactly it. */
  readonly request: unknown;
  readonly reason: string;
  readonly createdAt: string;
}

/** Unanswered requests an installation may have at once: an app cannot flood the admin or the store. */
export const MAX_PENDING_REQUESTS = 100;

/**
 * Record a pending request; one per installation, kind and resource while unanswered. Undefined
 * when the installation already has MAX_PENDING_REQUESTS waiting (the call is then refused).
 */
export async function addPendingRequest(
  db: Queryable,
  r: Omit<PendingRequest, "createdAt" | "path">,
): Promise<string | undefined> {
  const existing = await db.query<{ id: string }>(
    `SELECT id FROM pending_requests
     WHERE installation_id = $1 AND kind = $2 AND resource = $3 AND answered_at IS NULL`,
    [r.installationId, r.kind, r.resource],
  );
  if (existing.rows[0]) return existing.rows[0].id;
  const { rows } = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pending_requests WHERE installation_id = $1 AND answered_at IS NULL",
    [r.installationId],
  );
  if ((rows[0]?.n ?? 0) >= MAX_PENDING_REQUESTS) return undefined;
  await db.query(
    `INSERT INTO pending_requests (id, installation_id, kind, resource, request, reason)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [r.id, r.installationId, r.kind, r.resource, JSON.stringify(r.request), r.reason],
  );
  return r.id;
}

export async function pendingRequests(db: Queryable, installationId?: string): Promise<PendingRequest[]> {
  const { rows } = await db.query<PendingRequest>(
    `SELECT r.id, r.installation_id AS "installationId", i.path, r.kind, r.resource, r.request, r.reason,
            r.created_at AS "createdAt"
     FROM pending_requests r JOIN installations i ON i.id = r.installation_id
     WHERE r.answered_at IS NULL ${installationId ? "AND r.installation_id = $1" : ""}
     ORDER BY r.created_at`,
    installationId ? [installationId] : [],
  );
  return rows;
}

/** Mark the pending requests a grant answers (same installation, kind and resource). */
export async function answerRequests(
  db: Queryable,
  installationId: string,
  kind: string,
  resource: string,
  answer: string,
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE pending_requests SET answered_at = now(), answer = $4
     WHERE installation_id = $1 AND kind = $2 AND resource = $3 AND answered_at IS NULL RETURNING id`,
    [installationId, kind, resource, answer],
  );
  return rows.map((r) => r.id);
}
