import type { Approval, ApprovalState, Grant, ServerRules } from "../policy/types.ts";
import type { Queryable } from "./database.ts";

export interface StoredApproval extends Approval {
  /** The declared permission's canonical key, e.g. `run du -sh -- *`. */
  readonly key: string;
  readonly decidedBy: string;
  readonly decidedAt: string;
}

export interface StoredGrant extends Grant {
  readonly installationId: string;
  readonly usedAt: string | null;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
}

export async function approvalsOf(db: Queryable, installationId: string): Promise<StoredApproval[]> {
  const { rows } = await db.query<{
    key: string;
    kind: Approval["kind"];
    scope: unknown;
    state: ApprovalState;
    pinned: string | null;
    decidedBy: string;
    decidedAt: string;
  }>(
    `SELECT key, kind, scope, state, pinned, decided_by AS "decidedBy", decided_at AS "decidedAt"
     FROM approvals WHERE installation_id = $1 ORDER BY key`,
    [installationId],
  );
  return rows.map(({ pinned, ...r }) => (pinned === null ? r : { ...r, pinned }));
}

/** Record the admin's answer for one declared permission (replacing an earlier one). */
export async function putApproval(
  db: Queryable,
  installationId: string,
  approval: Approval & { key: string },
  by: string,
): Promise<void> {
  await db.query(
    `INSERT INTO approvals (installation_id, key, kind, scope, state, pinned, decided_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (installation_id, key) DO UPDATE
       SET kind = EXCLUDED.kind, scope = EXCLUDED.scope, state = EXCLUDED.state, pinned = EXCLUDED.pinned,
           decided_by = EXCLUDED.decided_by, decided_at = now()`,
    [
      installationId,
      approval.key,
      approval.kind,
      JSON.stringify(approval.scope),
      approval.state,
      approval.pinned ?? null,
      by,
    ],
  );
}

/** Drop approvals of permissions the manifest no longer declares (removing a permission revokes it). */
export async function keepApprovals(
  db: Queryable,
  installationId: string,
  keys: readonly string[],
): Promise<string[]> {
  const { rows } = await db.query<{ key: string }>(
    "DELETE FROM approvals WHERE installation_id = $1 AND NOT (key = ANY($2::text[])) RETURNING key",
    [installationId, keys],
  );
  return rows.map((r) => r.key);
}

const GRANT = `id, installation_id AS "installationId", kind, scope, effect, term, until, session, reason,
  created_by AS "by", created_at AS "createdAt", used_at AS "usedAt", revoked_at AS "revokedAt", revoked_by AS "revokedBy"`;

type GrantRow = Omit<StoredGrant, "until" | "session" | "reason"> & {
  until: string | null;
  session: string | null;
  reason: string | null;
};

function toGrant(row: GrantRow): StoredGrant {
  const { until, session, reason, ...rest } = row;
  return {
    ...rest,
    ...(until === null ? {} : { until }),
    ...(session === null ? {} : { session }),
    ...(reason === null ? {} : { reason }),
  };
}

/** Grants in force: not revoked, not expired, and for once-grants not yet used. */
export async function liveGrants(db: Queryable, installationId: string): Promise<StoredGrant[]> {
  const { rows } = await db.query<GrantRow>(
    `SELECT ${GRANT} FROM grants
     WHERE installation_id = $1 AND revoked_at IS NULL AND used_at IS NULL AND (until IS NULL OR until > now())
     ORDER BY created_at, id`,
    [installationId],
  );
  return rows.map(toGrant);
}

export async function insertGrant(db: Queryable, installationId: string, grant: Grant): Promise<void> {
  await db.query(
    `INSERT INTO grants (id, installation_id, kind, scope, effect, term, until, session, reason, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      grant.id,
      installationId,
      grant.kind,
      JSON.stringify(grant.scope),
      grant.effect,
      grant.term,
      grant.until === undefined ? null : new Date(grant.until).toISOString(),
      grant.session ?? null,
      grant.reason ?? null,
      grant.by ?? "admin",
    ],
  );
}

const LIVE = "revoked_at IS NULL AND used_at IS NULL AND (until IS NULL OR until > now())";

/** Revoke live grants of a kind and scope, or all of them; the ids revoked. */
export async function revokeGrants(
  db: Queryable,
  installationId: string,
  by: string,
  match: { kind: string; scope: unknown } | { id: string } | "all",
): Promise<string[]> {
  if (typeof match === "object" && "id" in match) {
    const { rows } = await db.query<{ id: string }>(
      `UPDATE grants SET revoked_at = now(), revoked_by = $2 WHERE installation_id = $1 AND ${LIVE} AND id = $3 RETURNING id`,
      [installationId, by, match.id],
    );
    return rows.map((r) => r.id);
  }
  const { rows } =
    match === "all"
      ? await db.query<{ id: string }>(
          `UPDATE grants SET revoked_at = now(), revoked_by = $2 WHERE installation_id = $1 AND ${LIVE} RETURNING id`,
          [installationId, by],
        )
      : await db.query<{ id: string }>(
          `UPDATE grants SET revoked_at = now(), revoked_by = $2
           WHERE installation_id = $1 AND ${LIVE} AND kind = $3 AND scope = $4::jsonb RETURNING id`,
          [installationId, by, match.kind, JSON.stringify(match.scope)],
        );
  return rows.map((r) => r.id);
}

/** Use up a once-grant. False when it was already used (by this host or another). */
export async function consumeGrant(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    "UPDATE grants SET used_at = now() WHERE id = $1 AND term = 'once' AND used_at IS NULL AND revoked_at IS NULL",
    [id],
  );
  return rowCount === 1;
}

export async function serverRules(db: Queryable): Promise<ServerRules> {
  const { rows } = await db.query<{ rules: ServerRules }>("SELECT rules FROM server_rules WHERE id = 1");
  return rows[0]?.rules ?? {};
}

export async function putServerRules(db: Queryable, rules: ServerRules): Promise<void> {
  await db.query(
    `INSERT INTO server_rules (id, rules) VALUES (1, $1)
     ON CONFLICT (id) DO UPDATE SET rules = EXCLUDED.rules, updated_at = now()`,
    [JSON.stringify(rules)],
  );
}
