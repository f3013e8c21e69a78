import { posix } from "node:path";
import { InvalidInputError, InvalidScopeError } from "../errors.ts";
import { type CapabilityKind, isCapabilityKind, mapKinds } from "../manifest/kinds.ts";
import { isFailure, parseScopeEntry } from "../manifest/scopes/entry.ts";
import type { Scope, ScopeMode } from "../manifest/scopes/types.ts";
import { permissionKey } from "../manifest/types.ts";
import { parseAllowedRange } from "./blocked.ts";
import type { Capability, Cidr, CompileContext, CompileRule, Matcher, Normalized } from "./capability.ts";
import { CAPABILITIES } from "./registry.ts";
import type { Approval, ApprovalState, Grant, GrantTerm, PolicyInput } from "./types.ts";

export type RuleState = ApprovalState | "pending";

/** A rule as decisions name it. Strings are shared with the manifest, not built per rule. */
export interface RuleRef {
  /** Where the rule is written, e.g. `permissions.run[0]`, `server.deny.net[1]`. */
  readonly at: string;
  /** The scope in canonical text. */
  readonly text: string;
  /** Declared permissions only: their canonical key, e.g. `run du -sh *`. */
  readonly key?: string;
  readonly source: "manifest" | "manifest.deny" | "server.deny";
  /** Declared permissions only: the admin's answer. */
  readonly state?: RuleState;
}

export interface CompiledGrant {
  readonly id: string;
  readonly effect: "allow" | "deny";
  readonly term: GrantTerm;
  /** Epoch milliseconds, for term `until`. */
  readonly until?: number;
  readonly session?: string;
  readonly text: string;
  readonly match: Matcher<Normalized>;
}

/**
 * One kind's part of a policy: a deny index and one allow index whose rules are ranked
 * approved → ask → rejected → pending. Every matcher returns the lowest matching index, so one
 * lookup finds the best answer the admin gave for any declared permission covering the request.
 */
export interface KindPolicy {
  readonly capability: Capability;
  readonly denyMatch: Matcher<Normalized>;
  readonly denyRules: readonly RuleRef[];
  readonly allowMatch: Matcher<Normalized>;
  readonly allowRules: readonly RuleRef[];
  /** The declared permissions in manifest order, for explaining a miss. */
  readonly declared: readonly CompileRule<Scope>[];
  readonly declaredRules: readonly RuleRef[];
  readonly allowGrants: readonly CompiledGrant[];
  readonly denyGrants: readonly CompiledGrant[];
}

/**
 * An installation's policy, compiled into per-kind indexes. Immutable except for the set of
 * consumed `once` grants, which only ever grows (see consumeGrant).
 */
export interface CompiledPolicy {
  readonly installation: string;
  readonly disabled: boolean;
  readonly kinds: Readonly<Record<CapabilityKind, KindPolicy>>;
  readonly context: CompileContext;
  /** Things that were ignored, such as an approval for a permission the manifest does not declare. */
  readonly warnings: readonly string[];
  readonly consumed: Set<string>;
}

const NONE: Matcher<Normalized> = () => -1;
const NO_GRANTS: readonly CompiledGrant[] = Object.freeze([]);
const RANK: Readonly<Record<RuleState, number>> = { approved: 0, ask: 1, rejected: 2, pending: 3 };

const EMPTY_KINDS: Readonly<Record<CapabilityKind, KindPolicy>> = Object.freeze(
  mapKinds((kind) =>
    Object.freeze({
      capability: CAPABILITIES[kind],
      denyMatch: NONE,
      denyRules: [],
      allowMatch: NONE,
      allowRules: [],
      declared: [],
      declaredRules: [],
      allowGrants: [],
      denyGrants: [],
    }),
  ),
);

type Item = CompileRule<Scope> & { readonly ref: RuleRef };

function index(capability: Capability, items: readonly Item[], ctx: CompileContext, mode: ScopeMode) {
  if (items.length === 0) return { match: NONE, refs: [] as RuleRef[] };
  const rules = items.map(({ scope, pinned }) => (pinned === undefined ? { scope } : { scope, pinned }));
  return { match: capability.compile(rules, ctx, mode), refs: items.map((i) => i.ref) };
}

function parseScope(kind: CapabilityKind, scope: unknown, mode: ScopeMode, where: string) {
  const parsed = parseScopeEntry(kind, scope, mode);
  if (isFailure(parsed)) throw new InvalidScopeError(kind, scope, `${where}: ${parsed.message}`);
  return parsed;
}

function untilMs(grant: Grant): number | undefined {
  if (grant.term !== "until") return undefined;
  const ms = typeof grant.until === "number" ? grant.until : Date.parse(grant.until ?? "");
  if (!Number.isFinite(ms))
    throw new InvalidInputError(
      "grants",
      `grant ${grant.id}: until ${JSON.stringify(grant.until)} is not a time`,
    );
  return ms;
}

/**
 * Compile an installation's manifest, the admin's approvals, the runtime grants and the server
 * rules into one policy. Pure: no I/O, no clock. Invariants: an approval or a grant can only
 * narrow what the manifest declared (allow grants apply to `ask` permissions only, approvals to
 * declared permissions only), and every deny is kept, whatever else is present.
 */
export function compilePolicy(input: PolicyInput): CompiledPolicy {
  const { manifest } = input;
  const installation = input.installation ?? manifest.name;
  const warnings: string[] = [];
  const allowPrivate: Cidr[] = [];
  for (const text of input.serverRules?.net?.allowPrivate ?? []) {
    const range = parseAllowedRange(text);
    if (typeof range === "string") throw new InvalidInputError("server rules", `net.allowPrivate: ${range}`);
    allowPrivate.push(range);
  }
  const ctx: CompileContext = {
    installation,
    allowPrivate,
    ...(input.home === undefined ? {} : { home: input.home }),
  };

  const approvals = new Map<string, Approval>();
  for (const approval of input.approvals ?? []) {
    if (!isCapabilityKind(approval.kind))
      throw new InvalidInputError("approvals", `unknown capability kind ${JSON.stringify(approval.kind)}`);
    const parsed = parseScope(approval.kind, approval.scope, "allow", `approval for ${approval.kind}`);
    checkPin(approval.pinned, `${approval.kind} ${parsed.text}`);
    approvals.set(permissionKey(approval.kind, parsed.text), approval);
  }
  for (const [key, pin] of Object.entries(input.pins ?? {})) checkPin(pin, key);

  const buckets = new Map<CapabilityKind, { deny: Item[]; allow: Item[] }>();
  const bucket = (kind: CapabilityKind) => {
    let b = buckets.get(kind);
    if (!b) {
      b = { deny: [], allow: [] };
      buckets.set(kind, b);
    }
    return b;
  };

  const declaredKeys = new Set<string>();
  for (const p of manifest.permissions) {
    declaredKeys.add(p.key);
    const approval = approvals.get(p.key);
    if (approval?.pinned !== undefined && p.kind !== "run")
      warnings.push(`approval for ${p.key}: pinned only applies to run`);
    // A permission not yet answered is matched by the program it will be pinned to, so that a call
    // of it is reported as pending rather than undeclared; it is refused either way.
    const pin = approval?.pinned ?? (approval === undefined ? input.pins?.[p.key] : undefined);
    const pinned = pin !== undefined && p.kind === "run" ? { pinned: pin } : {};
    const ref: RuleRef = {
      at: p.at,
      text: p.text,
      key: p.key,
      source: "manifest",
      state: approval?.state ?? "pending",
    };
    bucket(p.kind).allow.push({ scope: p.scope, ...pinned, ref });
  }
  for (const key of approvals.keys()) {
    if (!declaredKeys.has(key))
      warnings.push(`approval for ${key} ignored: the manifest does not declare it`);
  }
  for (const d of manifest.deny) {
    bucket(d.kind).deny.push({ scope: d.scope, ref: { at: d.at, text: d.text, source: "manifest.deny" } });
  }
  for (const [kind, entries] of Object.entries(input.serverRules?.deny ?? {})) {
    if (!isCapabilityKind(kind))
      throw new InvalidInputError("server rules", `deny: unknown capability kind ${JSON.stringify(kind)}`);
    (entries ?? []).forEach((entry, i) => {
      const parsed = parseScope(kind, entry, "deny", `server rules deny.${kind}[${i}]`);
      bucket(kind).deny.push({
        scope: parsed.scope,
        ref: { at: `server.deny.${kind}[${i}]`, text: parsed.text, source: "server.deny" },
      });
    });
  }

  const grants = new Map<CapabilityKind, { allow: CompiledGrant[]; deny: CompiledGrant[] }>();
  const grantIds = new Set<string>();
  for (const grant of input.grants ?? []) {
    if (!isCapabilityKind(grant.kind))
      throw new InvalidInputError(
        "grants",
        `grant ${grant.id}: unknown capability kind ${JSON.stringify(grant.kind)}`,
      );
    if (grantIds.has(grant.id))
      throw new InvalidInputError("grants", `grant id ${JSON.stringify(grant.id)} is used twice`);
    grantIds.add(grant.id);
    const mode: ScopeMode = grant.effect === "deny" ? "deny" : "allow";
    const parsed = parseScope(grant.kind, grant.scope, mode, `grant ${grant.id}`);
    const until = untilMs(grant);
    if (grant.term === "session" && !grant.session)
      throw new InvalidInputError("grants", `grant ${grant.id}: term session needs a session`);
    const compiled: CompiledGrant = {
      id: grant.id,
      effect: grant.effect,
      term: grant.term,
      text: parsed.text,
      match: CAPABILITIES[grant.kind].compile([{ scope: parsed.scope }], ctx, mode),
      ...(until === undefined ? {} : { until }),
      ...(grant.session === undefined ? {} : { session: grant.session }),
    };
    const g = grants.get(grant.kind) ?? { allow: [], deny: [] };
    g[grant.effect].push(compiled);
    grants.set(grant.kind, g);
  }

  const kinds: Record<CapabilityKind, KindPolicy> = { ...EMPTY_KINDS };
  for (const kind of new Set([...buckets.keys(), ...grants.keys()])) {
    const capability = CAPABILITIES[kind];
    const declared = buckets.get(kind)?.allow ?? [];
    // Stable sort: within a rank, manifest order is kept.
    const ranked = [...declared].sort(
      (a, b) => RANK[a.ref.state ?? "pending"] - RANK[b.ref.state ?? "pending"],
    );
    const deny = index(capability, buckets.get(kind)?.deny ?? [], ctx, "deny");
    const allow = index(capability, ranked, ctx, "allow");
    const g = grants.get(kind);
    kinds[kind] = {
      capability,
      denyMatch: deny.match,
      denyRules: deny.refs,
      allowMatch: allow.match,
      allowRules: allow.refs,
      declared: declared.map(({ scope, pinned }) => (pinned === undefined ? { scope } : { scope, pinned })),
      declaredRules: declared.map((i) => i.ref),
      allowGrants: g?.allow ?? NO_GRANTS,
      denyGrants: g?.deny ?? NO_GRANTS,
    };
  }
  return {
    installation,
    disabled: input.disabled === true,
    kinds: Object.freeze(kinds),
    context: ctx,
    warnings,
    consumed: new Set(),
  };
}

/** Approvals giving every declared permission the same answer: for tests, examples and `policy check`. */
/** A pin is what the run plugin compares the resolved program against: it must be canonical. */
function checkPin(pinned: string | undefined, what: string): void {
  if (
    pinned !== undefined &&
    (!pinned.startsWith("/") ||
      pinned.includes("\0") ||
      posix.normalize(pinned) !== pinned ||
      pinned.split("/").includes(".."))
  ) {
    throw new InvalidInputError(
      "approvals",
      `${what}: pinned ${JSON.stringify(pinned)} must be a normalised absolute path`,
    );
  }
}

export function approveAll(manifest: PolicyInput["manifest"], state: ApprovalState): Approval[] {
  return manifest.permissions.map((p) => ({ kind: p.kind, scope: p.entry, state }));
}
