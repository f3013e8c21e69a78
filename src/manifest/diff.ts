import type { DeclaredPermission, Manifest } from "./types.ts";

export interface PermissionChange {
  readonly before: DeclaredPermission;
  readonly after: DeclaredPermission;
  /** What changed besides the scope itself, e.g. `reason`. */
  readonly fields: readonly ("reason" | "required")[];
}

export interface ManifestDiff {
  /** Declared now and not before. A permission whose scope changed appears here (and in removed). */
  readonly added: readonly DeclaredPermission[];
  readonly removed: readonly DeclaredPermission[];
  /** Same scope, different reason or `required`. Needs no new approval. */
  readonly changed: readonly PermissionChange[];
  readonly denyAdded: readonly DeclaredPermission[];
  readonly denyRemoved: readonly DeclaredPermission[];
  /** True when the new manifest could reach something the old one could not: it needs approval. */
  readonly widens: boolean;
}

function byKey(list: readonly DeclaredPermission[]): Map<string, DeclaredPermission> {
  return new Map(list.map((p) => [p.key, p]));
}

function setDiff(
  before: readonly DeclaredPermission[],
  after: readonly DeclaredPermission[],
): {
  added: DeclaredPermission[];
  removed: DeclaredPermission[];
  kept: [DeclaredPermission, DeclaredPermission][];
} {
  const old = byKey(before);
  const now = byKey(after);
  return {
    added: after.filter((p) => !old.has(p.key)),
    removed: before.filter((p) => !now.has(p.key)),
    kept: after.filter((p) => old.has(p.key)).map((p) => [old.get(p.key)!, p]),
  };
}

/** Compare two manifests' permissions as sets of canonical scopes: order and spelling never matter. */
export function diffManifests(before: Manifest, after: Manifest): ManifestDiff {
  const perms = setDiff(before.permissions, after.permissions);
  const deny = setDiff(before.deny, after.deny);
  const changed: PermissionChange[] = [];
  for (const [b, a] of perms.kept) {
    const fields: ("reason" | "required")[] = [];
    if (b.reason !== a.reason) fields.push("reason");
    if (b.required !== a.required) fields.push("required");
    if (fields.length > 0) changed.push({ before: b, after: a, fields });
  }
  return {
    added: perms.added,
    removed: perms.removed,
    changed,
    denyAdded: deny.added,
    denyRemoved: deny.removed,
    widens: perms.added.length > 0 || deny.removed.length > 0,
  };
}
