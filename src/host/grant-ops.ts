import { randomUUID } from "node:crypto";
import { InvalidInputError, NotFoundError } from "../errors.ts";
import { parseManifest } from "../manifest/parse.ts";
import { compilePolicy } from "../policy/compile.ts";
import { parseServerRules } from "../policy/inputs.ts";
import { capability } from "../policy/registry.ts";
import type { Grant, GrantTerm, ServerRules } from "../policy/types.ts";
import { type AuditQuery, queryAudit, type StoredAuditEvent } from "../store/audit-store.ts";
import { notifyChange } from "../store/changes.ts";
import { findVersion, listInstallations } from "../store/installations.ts";
import {
  approvalsOf,
  insertGrant,
  liveGrants,
  putServerRules,
  revokeGrants,
  type StoredGrant,
  serverRules,
} from "../store/permissions-store.ts";
import { answerRequests, type PendingRequest, pendingRequests } from "../store/requests-store.ts";
import { type AdminCore, auditAdmin, requireInstallation } from "./admin-ops.ts";

/** How long a grant lasts, as the command line says it. */
export type GrantLength =
  | { readonly once: true }
  | { readonly forMs: number }
  | { readonly until: string }
  | { readonly always: true };

/** `30d`, `12h`, `45m`, `90s` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([smhdw])$/.exec(text.trim());
  if (!match)
    throw new InvalidInputError(text, "a duration is a number and a unit: 90s, 45m, 12h, 30d or 2w");
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as "s"]!;
  return Number(match[1]) * unit;
}

/** A grant's scope from the command line: for `run`, the words of the command line; else the text. */
function scopeFrom(kind: string, resource: string): unknown {
  if (kind !== "run") return resource;
  const [command, ...args] = resource.trim().split(/\s+/);
  return { command, args };
}

/**
 * Grant (or deny) an installation something at run time, as a prompt's answer would: recorded
 * synchronously with its audit record, then every host is told. Allow grants only ever apply to
 * permissions the admin set to `ask`; a deny grant applies to anything. Answers any pending
 * request for the same thing.
 */
export async function grant(
  core: AdminCore,
  options: {
    path: string;
    kind?: string;
    resource?: string;
    request?: string;
    length: GrantLength;
    deny: boolean;
    reason?: string;
    by: string;
  },
): Promise<{ path: string; grant: Grant; answered: string[] }> {
  const installation = await requireInstallation(core.db.pool, options.path);
  let kind = options.kind;
  let scope: unknown;
  let pending: PendingRequest | undefined;
  if (options.request) {
    pending = (await pendingRequests(core.db.pool, installation.id)).find((r) => r.id === options.request);
    if (!pending)
      throw new NotFoundError(
        "pending request",
        options.request,
        `see them with locara requests --app ${options.path}`,
      );
    kind = pending.kind;
    scope = (pending.request as { scope?: unknown }).scope ?? pending.resource;
  } else {
    if (!kind || options.resource === undefined) {
      throw new InvalidInputError(
        "grant",
        "give KIND and RESOURCE (e.g. fs.read /data), or --request ID from locara requests",
      );
    }
    scope = scopeFrom(kind, options.resource);
  }
  const length = options.length;
  const term: GrantTerm = "once" in length ? "once" : "always" in length ? "always" : "until";
  const until =
    "forMs" in length
      ? new Date(Date.now() + length.forMs).toISOString()
      : "until" in length
        ? length.until
        : undefined;
  if (until !== undefined && !(Date.parse(until) > Date.now())) {
    throw new InvalidInputError(
      String(until),
      "the end of a grant must be a date in the future, e.g. 2027-01-31",
    );
  }
  const given: Grant = {
    id: `g-${randomUUID().slice(0, 8)}`,
    kind: capability(kind!).kind,
    scope,
    effect: options.deny ? "deny" : "allow",
    term,
    ...(until === undefined ? {} : { until }),
    ...(options.reason ? { reason: options.reason } : {}),
    createdAt: new Date().toISOString(),
    by: options.by,
  };
  // Check the grant the way the engine will read it: a bad scope is refused here, not later.
  const version = await findVersion(core.db.pool, installation.id, installation.liveVersion);
  const manifest = parseManifest(version!.manifestText, { file: version!.manifestFile });
  compilePolicy({ manifest, installation: installation.path, home: core.userHome, grants: [given] });
  const answered = await core.db.transaction(async (tx) => {
    await insertGrant(tx, installation.id, given);
    const resource = pending?.resource ?? options.resource ?? "";
    const ids = await answerRequests(tx, installation.id, given.kind, resource, `${given.effect} ${term}`);
    if (pending && !ids.includes(pending.id))
      ids.push(
        ...(await answerRequests(
          tx,
          installation.id,
          pending.kind,
          pending.resource,
          `${given.effect} ${term}`,
        )),
      );
    await auditAdmin(
      tx,
      installation.path,
      given.effect === "allow" ? "grant" : "deny",
      `${given.kind} ${JSON.stringify(scope)}`,
      options.by,
      {
        id: given.id,
        term,
        ...(until ? { until } : {}),
        ...(options.reason ? { reason: options.reason } : {}),
        ...(ids.length ? { answers: ids } : {}),
      },
    );
    await notifyChange(tx, installation.id);
    return ids;
  });
  core.changed(installation.id);
  return { path: installation.path, grant: given, answered };
}

/** Revoke live grants (one kind and scope, or all): takes effect on every host at once. */
export async function revoke(
  core: AdminCore,
  options: { path: string; kind?: string; resource?: string; id?: string; all: boolean; by: string },
): Promise<{ path: string; revoked: string[] }> {
  const installation = await requireInstallation(core.db.pool, options.path);
  if (!options.all && !options.id && (!options.kind || options.resource === undefined)) {
    throw new InvalidInputError("revoke", "give KIND and RESOURCE as they were granted, or --all");
  }
  const match = options.id
    ? { id: options.id }
    : options.all
      ? ("all" as const)
      : { kind: capability(options.kind!).kind, scope: scopeFrom(options.kind!, options.resource!) };
  const revoked = await core.db.transaction(async (tx) => {
    const ids = await revokeGrants(tx, installation.id, options.by, match);
    if (ids.length > 0) {
      await auditAdmin(
        tx,
        installation.path,
        "revoke",
        options.id ?? (options.all ? "all grants" : `${options.kind} ${options.resource}`),
        options.by,
        { ids },
      );
      await notifyChange(tx, installation.id);
    }
    return ids;
  });
  if (revoked.length === 0) {
    throw new NotFoundError(
      "live grant",
      options.all ? options.path : `${options.kind} ${options.resource}`,
      `see the live grants with locara perms show ${options.path}`,
    );
  }
  core.changed(installation.id);
  return { path: installation.path, revoked };
}

export interface PermissionState {
  readonly key: string;
  readonly kind: string;
  readonly text: string;
  readonly reason?: string;
  readonly state: "approved" | "ask" | "rejected" | "pending";
  readonly pinned?: string;
}

/** Each declared permission with its answer, the live grants, and pending requests. */
export async function perms(
  core: AdminCore,
  path: string,
): Promise<{
  path: string;
  version: number;
  permissions: PermissionState[];
  grants: StoredGrant[];
  requests: PendingRequest[];
}> {
  const installation = await requireInstallation(core.db.pool, path);
  const version = await findVersion(core.db.pool, installation.id, installation.liveVersion);
  const manifest = parseManifest(version!.manifestText, { file: version!.manifestFile });
  const answers = new Map((await approvalsOf(core.db.pool, installation.id)).map((a) => [a.key, a]));
  return {
    path,
    version: installation.liveVersion,
    permissions: manifest.permissions.map((p) => {
      const a = answers.get(p.key);
      return {
        key: p.key,
        kind: p.kind,
        text: p.text,
        ...(p.reason ? { reason: p.reason } : {}),
        state: a?.state ?? "pending",
        ...(a?.pinned ? { pinned: a.pinned } : {}),
      };
    }),
    grants: await liveGrants(core.db.pool, installation.id),
    requests: await pendingRequests(core.db.pool, installation.id),
  };
}

/** `1h`, `30m`, `2d` ago, or an ISO time. */
export function parseSince(text: string): string {
  if (/^\d+[smhdw]$/.test(text.trim())) return new Date(Date.now() - parseDuration(text)).toISOString();
  const time = Date.parse(text);
  if (Number.isNaN(time))
    throw new InvalidInputError(text, "--since takes a duration (1h, 30m, 2d) or a date");
  return new Date(time).toISOString();
}

export async function auditLog(core: AdminCore, query: AuditQuery): Promise<StoredAuditEvent[]> {
  return queryAudit(core.db.pool, query);
}

export async function listApps(core: AdminCore) {
  const installations = await listInstallations(core.db.pool);
  return Promise.all(
    installations.map(async (i) => {
      const { permissions } = await perms(core, i.path);
      const last = await queryAudit(core.db.pool, { installation: i.path, limit: 1 });
      return {
        path: i.path,
        name: i.name,
        version: i.liveVersion,
        state: i.state,
        ...(i.disabledReason ? { disabledReason: i.disabledReason } : {}),
        pending: permissions.filter((p) => p.state === "pending").length,
        lastActivity: last[0]?.time ?? null,
      };
    }),
  );
}

export async function listRequests(core: AdminCore, path?: string): Promise<PendingRequest[]> {
  const installation = path ? await requireInstallation(core.db.pool, path) : undefined;
  return pendingRequests(core.db.pool, installation?.id);
}

/** Replace the server-wide rules (deny lists, net.allowPrivate): recorded, audited, then every host is told. */
export async function setServerRules(core: AdminCore, rules: unknown, by: string): Promise<ServerRules> {
  const parsed = parseServerRules(rules, "server rules");
  // Check them the way the engine reads them before anything is recorded.
  compilePolicy({
    manifest: parseManifest("name: check\nversion: 0.0.0\nentry: a.ts\n"),
    serverRules: parsed,
  });
  await core.db.transaction(async (tx) => {
    await putServerRules(tx, parsed);
    await auditAdmin(tx, "*", "rules", "server rules", by, parsed);
    await notifyChange(tx, "*");
  });
  core.changed("*");
  return parsed;
}

export async function getServerRules(core: AdminCore): Promise<ServerRules> {
  return serverRules(core.db.pool);
}
