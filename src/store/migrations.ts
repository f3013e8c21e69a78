import type { PoolClient } from "pg";
import { StoreError } from "../errors.ts";

/**
 * The schema, as numbered steps. A step is never edited once released: a change is a new step.
 * Invariant: steps run in order, each in its own transaction, under an advisory lock, so hosts
 * starting together on one database apply each step exactly once.
 */
export const MIGRATIONS: readonly { readonly version: number; readonly sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE installations (
  id uuid PRIMARY KEY,
  path text NOT NULL UNIQUE,
  name text NOT NULL,
  state text NOT NULL CHECK (state IN ('active', 'disabled')),
  disabled_reason text,
  live_version int NOT NULL,
  source text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE versions (
  installation_id uuid NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
  version int NOT NULL,
  manifest_file text NOT NULL,
  manifest_text text NOT NULL,
  bundle text NOT NULL,
  bundle_hash text NOT NULL,
  audit jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (installation_id, version)
);
CREATE TABLE approvals (
  installation_id uuid NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
  key text NOT NULL,
  kind text NOT NULL,
  scope jsonb NOT NULL,
  state text NOT NULL CHECK (state IN ('approved', 'ask', 'rejected')),
  pinned text,
  decided_by text NOT NULL,
  decided_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (installation_id, key)
);
CREATE TABLE grants (
  id text PRIMARY KEY,
  installation_id uuid NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
  kind text NOT NULL,
  scope jsonb NOT NULL,
  effect text NOT NULL CHECK (effect IN ('allow', 'deny')),
  term text NOT NULL CHECK (term IN ('once', 'session', 'until', 'always')),
  until timestamptz,
  session text,
  reason text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz,
  revoked_at timestamptz,
  revoked_by text
);
CREATE INDEX grants_live ON grants (installation_id) WHERE revoked_at IS NULL;
CREATE TABLE server_rules (
  id int PRIMARY KEY CHECK (id = 1),
  rules jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE audit_events (
  id bigserial PRIMARY KEY,
  time timestamptz NOT NULL,
  installation text NOT NULL,
  call text NOT NULL,
  kind text NOT NULL,
  resource text NOT NULL,
  decision text NOT NULL,
  rule text NOT NULL,
  duration_ms double precision NOT NULL,
  error text,
  detail jsonb
);
CREATE INDEX audit_events_by_installation ON audit_events (installation, id);
CREATE TABLE kv (
  installation_id uuid NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
  key text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (installation_id, key)
);
CREATE TABLE pending_requests (
  id text PRIMARY KEY,
  installation_id uuid NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
  kind text NOT NULL,
  resource text NOT NULL,
  request jsonb NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  answered_at timestamptz,
  answer text
);`,
  },
  {
    version: 2,
    sql: `
ALTER TABLE installations ADD COLUMN password_hash text;
CREATE TABLE route_access (
  installation_id uuid NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
  route text NOT NULL,
  access text NOT NULL CHECK (access IN ('public', 'limited', 'private')),
  set_by text NOT NULL,
  set_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (installation_id, route)
);
CREATE TABLE owners (
  name text PRIMARY KEY,
  password_hash text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE sign_in_tokens (
  token_hash text PRIMARY KEY,
  owner text NOT NULL REFERENCES owners (name) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE TABLE sessions (
  id_hash text PRIMARY KEY,
  owner text REFERENCES owners (name) ON DELETE CASCADE,
  unlocked uuid[] NOT NULL DEFAULT '{}',
  csrf text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE TABLE host_secrets (
  name text PRIMARY KEY,
  value text NOT NULL
);`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;
/** Any fixed number: every Locara host takes the same lock. */
const LOCK_KEY = 7_426_118_301;

/** Apply the steps this database lacks; refuse a database newer than this code. */
export async function migrate(client: PoolClient): Promise<{ from: number; to: number }> {
  await client.query("SELECT pg_advisory_lock($1)", [LOCK_KEY]);
  try {
    await client.query(
      "CREATE TABLE IF NOT EXISTS locara_schema (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const { rows } = await client.query<{ version: number | null }>(
      "SELECT max(version) AS version FROM locara_schema",
    );
    const from = rows[0]?.version ?? 0;
    if (from > SCHEMA_VERSION) {
      throw new StoreError(
        "open",
        `the database's schema is version ${from}, newer than this Locara knows (${SCHEMA_VERSION}): upgrade Locara, or point it at another database`,
      );
    }
    for (const step of MIGRATIONS) {
      if (step.version <= from) continue;
      await client.query("BEGIN");
      try {
        await client.query(step.sql);
        await client.query("INSERT INTO locara_schema (version) VALUES ($1)", [step.version]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    }
    return { from, to: SCHEMA_VERSION };
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [LOCK_KEY]);
  }
}
