import { rm } from "node:fs/promises";
import { join } from "node:path";
import { formatAuditReport } from "../audit/audit-report.ts";
import { InvalidInputError } from "../errors.ts";
import { diffManifests } from "../manifest/diff.ts";
import { notifyChange } from "../store/changes.ts";
import {
  deleteInstallation,
  findInstallation,
  latestVersion,
  setLiveVersion,
  setState,
} from "../store/installations.ts";
import { keepApprovals } from "../store/permissions-store.ts";
import {
  type AdminCore,
  auditAdmin,
  countLine,
  type InstallResult,
  liveState,
  recordApprovals,
  recordVersion,
  requireInstallation,
} from "./admin-ops.ts";
import { commitStaged, discardStaged, prepareVersion, versionDir } from "./installer.ts";

/**
 * Update an installation from its folder: the same flow as install. The new version goes live
 * at once; what it declares beyond the approved set is pending (calls needing it fail with
 * LOCARA_E_NOT_APPROVED until approved); approvals of permissions it no longer declares are removed.
 */
export async function updateApp(
  core: AdminCore,
  options: { path: string; dir?: string; approve: boolean; by: string },
): Promise<InstallResult & { added: string[]; removed: string[] }> {
  const installation = await requireInstallation(core.db.pool, options.path);
  const dir = options.dir ?? installation.source;
  const before = await liveState(core.db.pool, installation);
  const prepared = await prepareVersion({
    dir,
    home: core.home,
    installation: installation.path,
    userHome: core.userHome,
  });
  const diff = diffManifests(before.manifest, prepared.manifest);
  let version = 0;
  try {
    version = await core.db.transaction(async (tx) => {
      const next = (await latestVersion(tx, installation.id)) + 1;
      // Removing a permission from the manifest removes its approval (Clace keeps it; Locara does not).
      const removed = await keepApprovals(
        tx,
        installation.id,
        prepared.manifest.permissions.map((p) => p.key),
      );
      for (const key of removed) {
        await auditAdmin(tx, installation.path, "unapprove", key, options.by, { why: "no longer declared" });
      }
      await recordVersion(tx, installation.id, next, prepared, options.by);
      await setLiveVersion(tx, installation.id, next, dir);
      await auditAdmin(
        tx,
        installation.path,
        "update",
        `${prepared.manifest.name} ${prepared.manifest.version} (v${next})`,
        options.by,
        {
          bundleHash: prepared.bundle.hash,
          added: diff.added.map((p) => p.key),
          removed: diff.removed.map((p) => p.key),
        },
      );
      if (options.approve) {
        const approved = new Set(before.approvals.map((a) => a.key));
        const fresh = new Set(
          prepared.manifest.permissions.filter((p) => !approved.has(p.key)).map((p) => p.key),
        );
        await recordApprovals(
          core,
          tx,
          installation.id,
          installation.path,
          prepared.manifest,
          "approved",
          options.by,
          fresh,
        );
      }
      await notifyChange(tx, installation.id);
      return next;
    });
  } catch (error) {
    await discardStaged(prepared.staged);
    throw error;
  }
  await commitStaged(prepared.staged, versionDir(core.home, installation.id, version));
  core.changed(installation.id);
  const after = await liveState(core.db.pool, (await findInstallation(core.db.pool, installation.path))!);
  const pending = after.pending.map((p) => p.key);
  const states = new Map(
    prepared.manifest.permissions.map((p) => [p.key, after.answered.get(p.key)?.state ?? "pending"]),
  );
  return {
    path: installation.path,
    version,
    report: prepared.report,
    pending,
    added: diff.added.map((p) => p.key),
    removed: diff.removed.map((p) => p.key),
    text: `${formatAuditReport(prepared.report, states)}\n${pending.length === 0 ? `version ${version} is live: approved` : `version ${version} is live; ${countLine(pending)}`}\n`,
  };
}

export async function deleteApp(
  core: AdminCore,
  options: { path: string; by: string },
): Promise<{ path: string }> {
  const installation = await requireInstallation(core.db.pool, options.path);
  await core.db.transaction(async (tx) => {
    await deleteInstallation(tx, installation.id);
    await auditAdmin(tx, installation.path, "delete", installation.name, options.by);
    await notifyChange(tx, installation.id);
  });
  core.changed(installation.id);
  await rm(join(core.home, "apps", installation.id), { recursive: true, force: true });
  return { path: installation.path };
}

/** Disable (an incident, recorded) or enable an installation; every host acts on the notice. */
export async function setAppState(
  core: AdminCore,
  options: { path: string; disabled: boolean; reason?: string; by: string },
): Promise<{ path: string; state: string }> {
  const installation = await requireInstallation(core.db.pool, options.path);
  if (options.disabled && !options.reason?.trim()) {
    throw new InvalidInputError(
      "--reason",
      `say why ${options.path} is disabled: locara app disable ${options.path} --reason "…"`,
    );
  }
  await core.db.transaction(async (tx) => {
    await setState(
      tx,
      installation.id,
      options.disabled ? "disabled" : "active",
      options.disabled ? options.reason! : null,
    );
    await auditAdmin(
      tx,
      installation.path,
      options.disabled ? "disable" : "enable",
      options.reason ?? "",
      options.by,
      {
        incident: options.disabled,
      },
    );
    await notifyChange(tx, installation.id);
  });
  core.changed(installation.id);
  return { path: installation.path, state: options.disabled ? "disabled" : "active" };
}
