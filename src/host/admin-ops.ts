import { randomUUID } from "node:crypto";
import { type AuditReport, formatAuditReport } from "../audit/audit-report.ts";
import { ConflictError, InvalidInputError, NotFoundError } from "../errors.ts";
import { parseManifest } from "../manifest/parse.ts";
import type { RunScope } from "../manifest/scopes/types.ts";
import type { DeclaredPermission, Manifest } from "../manifest/types.ts";
import { resolveProgram } from "../plugins/run-program.ts";
import type { Approval, ApprovalState } from "../policy/types.ts";
import { insertAudit } from "../store/audit-store.ts";
import { notifyChange } from "../store/changes.ts";
import type { Database, Queryable } from "../store/database.ts";
import {
  findInstallation,
  findVersion,
  type Installation,
  insertInstallation,
  insertVersion,
} from "../store/installations.ts";
import { approvalsOf, putApproval } from "../store/permissions-store.ts";
import {
  checkMountPath,
  commitStaged,
  discardStaged,
  type PreparedVersion,
  prepareVersion,
  versionDir,
} from "./installer.ts";

/** What admin operations need from the host. */
export interface AdminCore {
  readonly db: Database;
  readonly home: string;
  readonly userHome: string;
  readonly pathEnv: string;
  /** The host dropped its view of an installation (after a change it made itself). */
  readonly changed: (installationId: string) => void;
}

/** One admin action in the audit log, written in the same transaction as the action. */
export async function auditAdmin(
  db: Queryable,
  path: string,
  call: string,
  resource: string,
  by: string,
  detail?: unknown,
): Promise<void> {
  await insertAudit(db, [
    {
      v: 1,
      time: new Date().toISOString(),
      installation: path,
      call: `admin.${call}`,
      kind: "admin",
      resource,
      decision: "granted",
      rule: `by ${by}`,
      durationMs: 0,
      ...(detail === undefined ? {} : { detail }),
    },
  ]);
}

export async function requireInstallation(db: Queryable, path: string): Promise<Installation> {
  const installation = await findInstallation(db, path);
  if (!installation)
    throw new NotFoundError("installation", path, "see the installed apps with locara app list");
  return installation;
}

/** An approval for a declared permission; approving a command pins the program it names here, now. */
function approvalFor(
  p: DeclaredPermission,
  state: ApprovalState,
  pathEnv: string,
): Approval & { key: string } {
  const pinned =
    p.kind === "run" && state !== "rejected"
      ? resolveProgram((p.scope as RunScope).command, pathEnv)
      : undefined;
  return { key: p.key, kind: p.kind, scope: p.entry, state, ...(pinned ? { pinned } : {}) };
}

/** Record a prepared version: its manifest text, bundle, hash and audit report. */
export function recordVersion(
  tx: Queryable,
  installationId: string,
  version: number,
  prepared: PreparedVersion,
  by: string,
) {
  return insertVersion(tx, {
    installationId,
    version,
    manifestFile: prepared.manifestFile,
    manifestText: prepared.manifestText,
    bundle: prepared.bundle.code,
    bundleHash: prepared.bundle.hash,
    audit: prepared.report,
    createdBy: by,
  });
}

export interface InstallResult {
  readonly path: string;
  readonly version: number;
  readonly report: AuditReport;
  /** Declared permissions still waiting for an answer. */
  readonly pending: readonly string[];
  /** The report and the count line, as the command line prints them. */
  readonly text: string;
}

export const countLine = (pending: readonly string[]) =>
  pending.length === 0
    ? "approved"
    : `${pending.length} permission${pending.length === 1 ? "" : "s"} need approval`;

/**
 * Install an app at a mount path: copy, validate, bundle, audit, record version 1 (and, with
 * `approve`, approve everything it declares), all or nothing. No app code runs.
 */
export async function installApp(
  core: AdminCore,
  options: { dir: string; path: string; approve: boolean; by: string },
): Promise<InstallResult> {
  const path = checkMountPath(options.path);
  if (await findInstallation(core.db.pool, path)) {
    throw new ConflictError(
      "installation",
      path,
      `update it with locara app update ${path} DIR, or pick another path`,
    );
  }
  const id = randomUUID();
  const prepared = await prepareVersion({
    dir: options.dir,
    home: core.home,
    installation: path,
    userHome: core.userHome,
  });
  const { manifest } = prepared;
  try {
    await core.db.transaction(async (tx) => {
      await insertInstallation(tx, { id, path, name: manifest.name, source: options.dir });
      await recordVersion(tx, id, 1, prepared, options.by);
      await auditAdmin(tx, path, "install", `${manifest.name} ${manifest.version}`, options.by, {
        bundleHash: prepared.bundle.hash,
        undeclared: prepared.report.undeclared,
      });
      if (options.approve) await recordApprovals(core, tx, id, path, manifest, "approved", options.by);
      await notifyChange(tx, id);
    });
  } catch (error) {
    await discardStaged(prepared.staged);
    const cause = (error as { cause?: { code?: string }; code?: string }).cause ?? error;
    if ((cause as { code?: string }).code === "23505") {
      throw new ConflictError(
        "installation",
        path,
        `update it with locara app update ${path} DIR, or pick another path`,
      );
    }
    throw error;
  }
  await commitStaged(prepared.staged, versionDir(core.home, id, 1));
  core.changed(id);
  const pending = options.approve ? [] : manifest.permissions.map((p) => p.key);
  const states = new Map(manifest.permissions.map((p) => [p.key, options.approve ? "approved" : "pending"]));
  return {
    path,
    version: 1,
    report: prepared.report,
    pending,
    text: `${formatAuditReport(prepared.report, states)}\n${countLine(pending)}\n`,
  };
}

export async function recordApprovals(
  core: AdminCore,
  tx: Queryable,
  id: string,
  path: string,
  manifest: Manifest,
  state: ApprovalState,
  by: string,
  only?: ReadonlySet<string>,
): Promise<string[]> {
  const done: string[] = [];
  for (const p of manifest.permissions) {
    if (only && !only.has(p.key)) continue;
    const approval = approvalFor(p, state, core.pathEnv);
    await putApproval(tx, id, approval, by);
    await auditAdmin(
      tx,
      path,
      state === "approved" ? "approve" : state === "ask" ? "ask" : "reject",
      p.key,
      by,
      {
        ...(approval.pinned ? { pinned: approval.pinned } : {}),
      },
    );
    done.push(p.key);
  }
  return done;
}

/** The live manifest of an installation and the keys of its declared permissions with no answer. */
export async function liveState(db: Queryable, installation: Installation) {
  const version = await findVersion(db, installation.id, installation.liveVersion);
  if (!version)
    throw new NotFoundError(
      "version",
      `${installation.path}@${installation.liveVersion}`,
      "reinstall the app",
    );
  const manifest = parseManifest(version.manifestText, { file: version.manifestFile });
  const approvals = await approvalsOf(db, installation.id);
  const answered = new Map(approvals.map((a) => [a.key, a]));
  return {
    manifest,
    version,
    approvals,
    answered,
    pending: manifest.permissions.filter((p) => !answered.has(p.key)),
  };
}

export async function approveApp(
  core: AdminCore,
  options: { path: string; dryRun: boolean; by: string; keys?: readonly string[]; state?: ApprovalState },
): Promise<{ path: string; changed: string[]; dryRun: boolean; text: string }> {
  const installation = await requireInstallation(core.db.pool, options.path);
  const { manifest, pending } = await liveState(core.db.pool, installation);
  const state = options.state ?? "approved";
  const targets = options.keys ? manifest.permissions.filter((p) => options.keys!.includes(p.key)) : pending;
  if (options.keys) {
    const unknown = options.keys.filter((k) => !manifest.permissions.some((p) => p.key === k));
    if (unknown.length > 0) {
      throw new InvalidInputError(
        unknown.join(", "),
        `not declared by ${options.path}: see locara perms show ${options.path}`,
      );
    }
  }
  const lines = targets.map((p) => `  + ${state} ${p.key}${p.reason ? `  (${p.reason})` : ""}`);
  if (options.dryRun || targets.length === 0) {
    const text =
      targets.length === 0
        ? "nothing to approve\n"
        : `would set:\n${lines.join("\n")}\n(dry run: nothing changed)\n`;
    return { path: options.path, changed: targets.map((p) => p.key), dryRun: true, text };
  }
  const changed = await core.db.transaction(async (tx) => {
    const done = await recordApprovals(
      core,
      tx,
      installation.id,
      installation.path,
      manifest,
      state,
      options.by,
      new Set(targets.map((p) => p.key)),
    );
    await notifyChange(tx, installation.id);
    return done;
  });
  core.changed(installation.id);
  return {
    path: options.path,
    changed,
    dryRun: false,
    text: `${lines.join("\n")}\n${state === "approved" ? "approved" : `set to ${state}`}\n`,
  };
}
