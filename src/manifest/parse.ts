import { type Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { ManifestError, type ManifestIssue } from "../errors.ts";
import { describeValue, formatPath, fromZod, type Path, type PathIssue, valueAt } from "./issues.ts";
import { CAPABILITY_KINDS, type CapabilityKind, DENIABLE_KINDS } from "./kinds.ts";
import { LIMIT_BOUNDS, manifestSchema, type RawManifest } from "./schema.ts";
import { entrySchema, isFailure, parseShapedEntry } from "./scopes/entry.ts";
import type { ScopeMode } from "./scopes/types.ts";
import { type DeclaredPermission, type Limits, type Manifest, permissionKey, type Route } from "./types.ts";

export const MANIFEST_FILES = ["locara.yaml", "locara.yml", "locara.json"] as const;
export const MAX_MANIFEST_BYTES = 1024 * 1024;

export interface ParseManifestOptions {
  /** The file name to put in messages; `.json` selects strict JSON, anything else YAML. */
  readonly file?: string;
  readonly format?: "yaml" | "json";
}

function addPermissions(
  raw: Readonly<Record<string, unknown>> | undefined,
  kinds: readonly CapabilityKind[],
  mode: ScopeMode,
  base: Path,
  into: DeclaredPermission[],
  issues: PathIssue[],
): void {
  if (!raw) return;
  const seen = new Map<string, string>();
  for (const kind of kinds) {
    const value = raw[kind];
    if (value === undefined) continue;
    const entries: readonly unknown[] =
      kind === "db.create" ? (value === false ? [] : [value]) : (value as unknown[]);
    entries.forEach((entry, i) => {
      const path = kind === "db.create" ? [...base, kind] : [...base, kind, i];
      const at = formatPath(path);
      const parsed = parseShapedEntry(kind, entry, mode);
      if (isFailure(parsed)) {
        issues.push({ path, message: parsed.message });
        return;
      }
      const key = permissionKey(kind, parsed.text);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        issues.push({
          path,
          message: `${JSON.stringify(parsed.text)} is already declared at ${earlier}: remove one`,
        });
        return;
      }
      seen.set(key, at);
      into.push({ kind, ...parsed, key, at });
    });
  }
}

/**
 * When the manifest's shape is wrong somewhere, still check the scopes of the entries whose own
 * shape is right, so that one run reports every problem rather than one at a time.
 */
function scopeIssuesOfShapedEntries(data: object): PathIssue[] {
  const issues: PathIssue[] = [];
  const permissions = (data as Record<string, unknown>).permissions;
  const sections: [unknown, readonly CapabilityKind[], ScopeMode, Path][] = [
    [permissions, CAPABILITY_KINDS, "allow", ["permissions"]],
    [valueAt(permissions, ["deny"]), DENIABLE_KINDS, "deny", ["permissions", "deny"]],
  ];
  for (const [section, kinds, mode, base] of sections) {
    if (section === null || typeof section !== "object") continue;
    for (const kind of kinds) {
      const value = (section as Record<string, unknown>)[kind];
      if (kind === "db.create" || !Array.isArray(value)) continue;
      value.forEach((entry, i) => {
        if (!entrySchema(kind).safeParse(entry).success) return;
        const parsed = parseShapedEntry(kind, entry, mode);
        if (isFailure(parsed)) issues.push({ path: [...base, kind, i], message: parsed.message });
      });
    }
  }
  return issues;
}

function buildRoutes(raw: RawManifest, issues: PathIssue[]): Route[] {
  const declaredKeys = new Set((raw.keys ?? []).map((k) => k.key));
  const seen = new Set<string>();
  const routes: Route[] = [];
  (raw.routes ?? []).forEach((r, i) => {
    const path = ["routes", i];
    if (seen.has(r.path))
      issues.push({ path: [...path, "path"], message: `route ${r.path} is declared twice` });
    seen.add(r.path);
    if (r.access === "keys" && !r.keys) {
      issues.push({
        path,
        message: 'access "keys" needs a keys list naming the app keys that open the route',
      });
    }
    if (r.access !== "keys" && r.keys) {
      issues.push({
        path: [...path, "keys"],
        message: `keys only apply with access "keys" (this route is ${r.access})`,
      });
    }
    (r.keys ?? []).forEach((k, j) => {
      if (!declaredKeys.has(k)) {
        issues.push({
          path: [...path, "keys", j],
          message: `key ${JSON.stringify(k)} is not declared: add it to keys`,
        });
      }
    });
    routes.push({ path: r.path, access: r.access, keys: r.keys ?? [], strict: r.strict ?? false });
  });
  return routes;
}

/** Validate parsed data (from YAML or JSON) into a Manifest, or collect every problem. */
function validate(data: unknown): { manifest?: Manifest; issues: PathIssue[] } {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    return {
      issues: [
        {
          path: [],
          message: `a manifest is a mapping with name, version and entry, got ${describeValue(data)}`,
        },
      ],
    };
  }
  const shaped = manifestSchema.safeParse(data);
  if (!shaped.success)
    return { issues: [...fromZod(shaped.error.issues, data), ...scopeIssuesOfShapedEntries(data)] };
  const raw = shaped.data;
  const issues: PathIssue[] = [];
  const permissions: DeclaredPermission[] = [];
  const deny: DeclaredPermission[] = [];
  const rawPermissions = raw.permissions as Readonly<Record<string, unknown>> | undefined;
  addPermissions(rawPermissions, CAPABILITY_KINDS, "allow", ["permissions"], permissions, issues);
  addPermissions(
    rawPermissions?.deny as Readonly<Record<string, unknown>> | undefined,
    DENIABLE_KINDS,
    "deny",
    ["permissions", "deny"],
    deny,
    issues,
  );
  const routes = buildRoutes(raw, issues);
  const keySeen = new Set<string>();
  (raw.keys ?? []).forEach((k, i) => {
    if (keySeen.has(k.key))
      issues.push({ path: ["keys", i, "key"], message: `key ${JSON.stringify(k.key)} is declared twice` });
    keySeen.add(k.key);
  });
  if (issues.length > 0) return { issues };
  const limits: Limits = {
    memoryMb: raw.limits?.memoryMb ?? LIMIT_BOUNDS.memoryMb.default,
    cpuMsPerRequest: raw.limits?.cpuMsPerRequest ?? LIMIT_BOUNDS.cpuMsPerRequest.default,
    wallMsPerRequest: raw.limits?.wallMsPerRequest ?? LIMIT_BOUNDS.wallMsPerRequest.default,
  };
  const manifest: Manifest = {
    name: raw.name,
    version: raw.version,
    entry: raw.entry,
    routes,
    static: (raw.static ?? []).map((s) => ({ path: s.path, dir: s.dir })),
    permissions,
    deny,
    keys: (raw.keys ?? []).map((k) =>
      k.description === undefined ? { key: k.key, name: k.name } : { ...k },
    ),
    limits,
  };
  return { manifest: deepFreeze(manifest), issues };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function positionOf(
  doc: Document,
  counter: LineCounter,
  issue: PathIssue,
): { line: number; col: number } | undefined {
  // Walk down as far as the document goes: a missing key is reported at its parent.
  let node: unknown = doc.contents;
  for (const part of issue.path) {
    let next: unknown;
    if (isMap(node)) next = node.items.find((p) => isScalar(p.key) && p.key.value === part)?.value;
    else if (isSeq(node) && typeof part === "number") next = node.items[part];
    if (!isNode(next)) break;
    node = next;
  }
  if (issue.key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === issue.key);
    if (pair && isNode(pair.key)) node = pair.key;
  }
  if (!isNode(node) || !node.range) return undefined;
  return counter.linePos(node.range[0]);
}

function offsetToPos(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, col: (before.at(-1)?.length ?? 0) + 1 };
}

/**
 * Parse and validate a manifest. Returns a deeply frozen Manifest or throws a ManifestError that
 * lists every problem with its file, line and column. Invariant: there is no partially loaded
 * manifest; either every entry validated or nothing is returned.
 */
export function parseManifest(source: string, options: ParseManifestOptions = {}): Manifest {
  const file = options.file ?? "locara.yaml";
  const format = options.format ?? (file.endsWith(".json") ? "json" : "yaml");
  const fail = (issues: ManifestIssue[]): never => {
    throw new ManifestError(issues);
  };
  if (typeof source !== "string") fail([{ file, path: "", message: "the manifest must be text" }]);
  if (Buffer.byteLength(source, "utf8") > MAX_MANIFEST_BYTES) {
    fail([{ file, path: "", message: `the manifest is larger than ${MAX_MANIFEST_BYTES} bytes` }]);
  }
  const text = source.startsWith("\uFEFF") ? source.slice(1) : source;
  if (text.trim() === "")
    fail([{ file, path: "", message: "the manifest is empty: it needs name, version and entry" }]);

  if (format === "json") {
    try {
      JSON.parse(text);
    } catch (error) {
      const message = (error as Error).message;
      const at = /position (\d+)/.exec(message);
      const pos = at ? offsetToPos(text, Number(at[1])) : undefined;
      fail([
        {
          file,
          ...(pos ? { line: pos.line, column: pos.col } : {}),
          path: "",
          message: `not valid JSON: ${message}`,
        },
      ]);
    }
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: counter,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
    merge: false,
  });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    fail(
      problems.map((e) => {
        const pos = e.linePos?.[0] ?? counter.linePos(e.pos[0]);
        return {
          file,
          line: pos.line,
          column: pos.col,
          path: "",
          message: e.message.split("\n")[0] ?? e.message,
        };
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    fail([{ file, path: "", message: (error as Error).message }]);
  }
  const { manifest, issues } = validate(data);
  if (manifest) return manifest;
  // In document order, the way an editor lists problems.
  const located = issues.map((issue) => {
    const pos = positionOf(doc, counter, issue);
    const path = formatPath(issue.key === undefined ? issue.path : [...issue.path, issue.key]);
    return { file, ...(pos ? { line: pos.line, column: pos.col } : {}), path, message: issue.message };
  });
  located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return fail(located);
}

/** Validate manifest data that is already a JS value (no positions in errors). */
export function validateManifest(data: unknown, file = "manifest"): Manifest {
  const { manifest, issues } = validate(data);
  if (manifest) return manifest;
  throw new ManifestError(
    issues.map((i) => ({
      file,
      path: formatPath(i.key === undefined ? i.path : [...i.path, i.key]),
      message: i.message,
    })),
  );
}
