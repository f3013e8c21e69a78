import type { IPv4, IPv6 } from "ipaddr.js";
import type { CapabilityKind } from "../manifest/kinds.ts";
import type { Scope, ScopeMode } from "../manifest/scopes/types.ts";
import type { PolicyRequest } from "./types.ts";

export type Cidr = readonly [IPv4 | IPv6, number];

/** What a capability spec may know about the installation when it compiles and normalises. */
export interface CompileContext {
  readonly installation: string;
  readonly home?: string;
  /** Parsed `serverRules.net.allowPrivate`. */
  readonly allowPrivate: readonly Cidr[];
}

export interface CompileRule<S extends Scope> {
  readonly scope: S;
  /** `run` only: the absolute path pinned at approval. */
  readonly pinned?: string;
}

/** Returns the index of a rule that covers the resource, or -1. */
export type Matcher<R> = (resource: R) => number;

/**
 * One capability kind: how its requests are normalised, how its scopes are compiled into an index
 * and matched, and how both are described. Specs are pure and frozen.
 *
 * Invariant for every spec: `compile(..., "deny")` covers at least what `compile(..., "allow")`
 * would for the same scopes. Deny rules over-approximate, allow rules under-approximate.
 */
export interface CapabilitySpec<S extends Scope, R> {
  readonly kind: CapabilityKind;
  /** Verb phrase for messages: "app X is not permitted to <verb> <resource>". */
  readonly verb: string;
  normalize(request: PolicyRequest, ctx: CompileContext): R;
  compile(rules: readonly CompileRule<S>[], ctx: CompileContext, mode: ScopeMode): Matcher<R>;
  describe(resource: R): string;
  /** A scope entry (manifest syntax) covering exactly this resource, for turning an answer into a grant. */
  scopeFor(resource: R): unknown;
  /** A built-in block that no rule can override (e.g. private networks). */
  builtinDeny?(resource: R, ctx: CompileContext): { rule: string; why: string } | undefined;
  /** Why no declared scope matched, when the kind can say more than "not declared". */
  explainMiss?(resource: R, rules: readonly CompileRule<S>[]): string | undefined;
}

declare const normalized: unique symbol;
/** A request normalised by its capability; opaque outside the spec that made it. */
export type Normalized = { readonly [normalized]: true };

/** A spec with its scope and resource types erased, as the registry and the engine hold it. */
export interface Capability {
  readonly kind: CapabilityKind;
  readonly verb: string;
  normalize(request: PolicyRequest, ctx: CompileContext): Normalized;
  compile(rules: readonly CompileRule<Scope>[], ctx: CompileContext, mode: ScopeMode): Matcher<Normalized>;
  describe(resource: Normalized): string;
  scopeFor(resource: Normalized): unknown;
  builtinDeny(resource: Normalized, ctx: CompileContext): { rule: string; why: string } | undefined;
  explainMiss(resource: Normalized, rules: readonly CompileRule<Scope>[]): string | undefined;
}

/**
 * Erase a spec's types (specs never use `this`). Safe because a Capability only ever receives scopes parsed for its own kind
 * (the engine parses every scope with the kind it is filed under) and resources it normalised itself.
 */
export function defineCapability<S extends Scope, R>(spec: CapabilitySpec<S, R>): Capability {
  const s = spec as unknown as CapabilitySpec<Scope, Normalized>;
  return Object.freeze({
    kind: s.kind,
    verb: s.verb,
    normalize: s.normalize,
    compile: s.compile,
    describe: s.describe,
    scopeFor: s.scopeFor,
    builtinDeny: s.builtinDeny ?? (() => undefined),
    explainMiss: s.explainMiss ?? (() => undefined),
  });
}
