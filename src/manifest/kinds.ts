/** The capability kinds of DESIGN.md's scope table. Each is owned by exactly one plugin. */
export const CAPABILITY_KINDS = [
  "fs.read",
  "fs.write",
  "net",
  "env",
  "run",
  "sys",
  "db.read",
  "db.write",
  "db.create",
  "events.publish",
  "events.subscribe",
  "secrets",
  "ui",
  "fs.user-selected",
] as const;

export type CapabilityKind = (typeof CAPABILITY_KINDS)[number];

const KIND_SET: ReadonlySet<string> = new Set(CAPABILITY_KINDS);

export function isCapabilityKind(value: unknown): value is CapabilityKind {
  return typeof value === "string" && KIND_SET.has(value);
}

/** Kinds that a `deny` section may name. `db.create` is a switch, not a set of resources. */
export const DENIABLE_KINDS = CAPABILITY_KINDS.filter(
  (k): k is Exclude<CapabilityKind, "db.create"> => k !== "db.create",
);

export const SYS_NAMES = [
  "hostname",
  "osRelease",
  "uptime",
  "loadavg",
  "memory",
  "cpus",
  "networkInterfaces",
  "uid",
  "gid",
] as const;

export const UI_FEATURES = ["navigation", "pages", "widgets"] as const;

export const USER_SELECTED_MODES = ["read", "write"] as const;

/** A record with one value per capability kind. */
export function mapKinds<T>(make: (kind: CapabilityKind) => T): Record<CapabilityKind, T> {
  const out: Partial<Record<CapabilityKind, T>> = {};
  for (const kind of CAPABILITY_KINDS) out[kind] = make(kind);
  return out as Record<CapabilityKind, T>; // complete: every kind was just set
}
