import type { Queryable } from "./database.ts";

export type InstallationState = "active" | "disabled";

export interface Installation {
  readonly id: string;
  /** The mount path, e.g. `/utils/disk_usage`: the installation's name everywhere. */
  readonly path: string;
  readonly name: string;
  readonly state: InstallationState;
  readonly disabledReason: string | null;
  /** The version that serves requests. */
  readonly liveVersion: number;
  /** The folder it was installed from (what `locara app update PATH` reads again). */
  readonly source: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Version {
  readonly installationId: string;
  readonly version: number;
  readonly manifestFile: string;
  readonly manifestText: string;
  readonly bundle: string;
  readonly bundleHash: string;
  /** The static audit report, as stored. */
  readonly audit: unknown;
  readonly createdBy: string;
  readonly createdAt: string;
}

const INSTALLATION = `id, path, name, state, disabled_reason AS "disabledReason", live_version AS "liveVersion", source,
  created_at AS "createdAt", updated_at AS "updatedAt"`;
const VERSION = `installation_id AS "installationId", version, manifest_file AS "manifestFile",
  manifest_text AS "manifestText", bundle, bundle_hash AS "bundleHash", audit, created_by AS "createdBy",
  created_at AS "createdAt"`;

export async function listInstallations(db: Queryable): Promise<Installation[]> {
  return (await db.query<Installation>(`SELECT ${INSTALLATION} FROM installations ORDER BY path`)).rows;
}

export async function findInstallation(db: Queryable, path: string): Promise<Installation | undefined> {
  return (await db.query<Installation>(`SELECT ${INSTALLATION} FROM installations WHERE path = $1`, [path]))
    .rows[0];
}

export async function findInstallationById(db: Queryable, id: string): Promise<Installation | undefined> {
  return (await db.query<Installation>(`SELECT ${INSTALLATION} FROM installations WHERE id = $1`, [id]))
    .rows[0];
}

export async function insertInstallation(
  db: Queryable,
  row: { id: string; path: string; name: string; source: string },
): Promise<void> {
  await db.query(
    "INSERT INTO installations (id, path, name, state, live_version, source) VALUES ($1, $2, $3, 'active', 1, $4)",
    [row.id, row.path, row.name, row.source],
  );
}

export async function insertVersion(db: Queryable, v: Omit<Version, "createdAt">): Promise<void> {
  await db.query(
    `INSERT INTO versions (installation_id, version, manifest_file, manifest_text, bundle, bundle_hash, audit, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      v.installationId,
      v.version,
      v.manifestFile,
      v.manifestText,
      v.bundle,
      v.bundleHash,
      JSON.stringify(v.audit),
      v.createdBy,
    ],
  );
}

export async function findVersion(
  db: Queryable,
  installationId: string,
  version: number,
): Promise<Version | undefined> {
  return (
    await db.query<Version>(`SELECT ${VERSION} FROM versions WHERE installation_id = $1 AND version = $2`, [
      installationId,
      version,
    ])
  ).rows[0];
}

export async function latestVersion(db: Queryable, installationId: string): Promise<number> {
  const { rows } = await db.query<{ v: number | null }>(
    "SELECT max(version) AS v FROM versions WHERE installation_id = $1",
    [installationId],
  );
  return rows[0]?.v ?? 0;
}

export async function setLiveVersion(
  db: Queryable,
  id: string,
  version: number,
  source: string,
): Promise<void> {
  await db.query(
    "UPDATE installations SET live_version = $2, source = $3, updated_at = now() WHERE id = $1",
    [id, version, source],
  );
}

export async function setState(
  db: Queryable,
  id: string,
  state: InstallationState,
  reason: string | null,
): Promise<void> {
  await db.query(
    "UPDATE installations SET state = $2, disabled_reason = $3, updated_at = now() WHERE id = $1",
    [id, state, reason],
  );
}

export async function deleteInstallation(db: Queryable, id: string): Promise<void> {
  await db.query("DELETE FROM installations WHERE id = $1", [id]);
}
