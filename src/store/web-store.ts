import { createHash, randomBytes } from "node:crypto";
import type { Route } from "../manifest/types.ts";
import type { Queryable } from "./database.ts";

/** What an owner can set a route to (keys come from the manifest only). */
type Access = Exclude<Route["access"], "keys">;

const sha256 = (text: string) => createHash("sha256").update(text).digest("base64url");

/** A secret shared by every host on the store (cookie signing), made once. */
export async function hostSecret(db: Queryable, name: string): Promise<string> {
  await db.query("INSERT INTO host_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", [
    name,
    randomBytes(32).toString("base64url"),
  ]);
  const { rows } = await db.query<{ value: string }>("SELECT value FROM host_secrets WHERE name = $1", [
    name,
  ]);
  return rows[0]!.value;
}

export async function routeOverrides(
  db: Queryable,
  installationId: string,
): Promise<Map<string, Route["access"]>> {
  const { rows } = await db.query<{ route: string; access: Access }>(
    "SELECT route, access FROM route_access WHERE installation_id = $1",
    [installationId],
  );
  return new Map(rows.map((r) => [r.route, r.access]));
}

export async function putRouteAccess(
  db: Queryable,
  installationId: string,
  route: string,
  access: Access,
  by: string,
) {
  await db.query(
    `INSERT INTO route_access (installation_id, route, access, set_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (installation_id, route) DO UPDATE SET access = EXCLUDED.access, set_by = EXCLUDED.set_by, set_at = now()`,
    [installationId, route, access, by],
  );
}

export async function setInstallationPassword(db: Queryable, installationId: string, hash: string | null) {
  await db.query("UPDATE installations SET password_hash = $2, updated_at = now() WHERE id = $1", [
    installationId,
    hash,
  ]);
}

export async function installationPassword(db: Queryable, installationId: string): Promise<string | null> {
  const { rows } = await db.query<{ h: string | null }>(
    "SELECT password_hash AS h FROM installations WHERE id = $1",
    [installationId],
  );
  return rows[0]?.h ?? null;
}

export interface StoredSession {
  readonly owner: string | null;
  readonly unlocked: string[];
  readonly csrf: string;
}

/** A new session; the id is returned once (only its hash is stored: a leaked table opens nothing). */
export async function createSession(
  db: Queryable,
  owner: string | null,
  ttlMs: number,
): Promise<{ id: string; csrf: string }> {
  const id = randomBytes(32).toString("base64url");
  const csrf = randomBytes(24).toString("base64url");
  await db.query("INSERT INTO sessions (id_hash, owner, csrf, expires_at) VALUES ($1, $2, $3, $4)", [
    sha256(id),
    owner,
    csrf,
    new Date(Date.now() + ttlMs).toISOString(),
  ]);
  return { id, csrf };
}

export async function findSession(db: Queryable, id: string): Promise<StoredSession | undefined> {
  const { rows } = await db.query<StoredSession>(
    "SELECT owner, unlocked::text[] AS unlocked, csrf FROM sessions WHERE id_hash = $1 AND expires_at > now()",
    [sha256(id)],
  );
  return rows[0];
}

export async function unlockInSession(db: Queryable, id: string, installationId: string): Promise<void> {
  await db.query(
    "UPDATE sessions SET unlocked = array_append(array_remove(unlocked, $2::uuid), $2::uuid) WHERE id_hash = $1",
    [sha256(id), installationId],
  );
}

export async function endSession(db: Queryable, id: string): Promise<void> {
  await db.query("DELETE FROM sessions WHERE id_hash = $1", [sha256(id)]);
}

export async function ensureOwner(
  db: Queryable,
  name: string,
  passwordHash: string | null,
): Promise<boolean> {
  const { rowCount } = await db.query(
    "INSERT INTO owners (name, password_hash) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    [name, passwordHash],
  );
  if (rowCount === 0 && passwordHash !== null) {
    await db.query("UPDATE owners SET password_hash = $2 WHERE name = $1", [name, passwordHash]);
  }
  return rowCount === 1;
}

export async function ownerPassword(db: Queryable, name: string): Promise<string | null | undefined> {
  const { rows } = await db.query<{ h: string | null }>(
    "SELECT password_hash AS h FROM owners WHERE name = $1",
    [name],
  );
  return rows[0] === undefined ? undefined : rows[0].h;
}

/** A one-time sign-in link's token (only its hash is stored). */
export async function createSignInToken(db: Queryable, owner: string, ttlMs: number): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await db.query("INSERT INTO sign_in_tokens (token_hash, owner, expires_at) VALUES ($1, $2, $3)", [
    sha256(token),
    owner,
    new Date(Date.now() + ttlMs).toISOString(),
  ]);
  return token;
}

/** Use a sign-in token: its owner, once; undefined if unknown, used or expired. */
export async function useSignInToken(db: Queryable, token: string): Promise<string | undefined> {
  const { rows } = await db.query<{ owner: string }>(
    `UPDATE sign_in_tokens SET used_at = now()
     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING owner`,
    [sha256(token)],
  );
  return rows[0]?.owner;
}
