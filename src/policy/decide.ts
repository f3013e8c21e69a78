import { type DenialCode, PermissionError } from "../errors.ts";
import type { CapabilityKind } from "../manifest/kinds.ts";
import type { Capability, Normalized } from "./capability.ts";
import type { CompiledGrant, CompiledPolicy, KindPolicy, RuleRef } from "./compile.ts";
import { capability } from "./registry.ts";
import type { Decision, DecisionState, PolicyRequest } from "./types.ts";

/** Why a decision came out as it did; everything a person reads is derived from it. */
type Outcome =
  | "disabled"
  | "builtin"
  | "deny"
  | "denyGrant"
  | "approved"
  | "allowGrant"
  | "prompt"
  | "rejected"
  | "pending"
  | "undeclared";

const STATE: Readonly<Record<Outcome, DecisionState>> = {
  disabled: "denied",
  builtin: "denied",
  deny: "denied",
  denyGrant: "denied",
  approved: "granted",
  allowGrant: "granted",
  prompt: "prompt",
  rejected: "denied",
  pending: "denied",
  undeclared: "denied",
};

const CODE: Readonly<Record<Outcome, DenialCode | undefined>> = {
  disabled: "LOCARA_E_DISABLED",
  builtin: "LOCARA_E_DENIED",
  deny: "LOCARA_E_DENIED",
  denyGrant: "LOCARA_E_DENIED",
  approved: undefined,
  allowGrant: undefined,
  prompt: "LOCARA_E_PROMPT",
  rejected: "LOCARA_E_REJECTED",
  pending: "LOCARA_E_NOT_APPROVED",
  undeclared: "LOCARA_E_NOT_DECLARED",
};

function termText(g: CompiledGrant): string {
  return g.term === "until" ? `until ${new Date(g.until ?? 0).toISOString()}` : g.term;
}

/**
 * A decision. Its sentences (`rule`, `resource`, `reason`, `fix`) are derived from the outcome
 * when read, because most decisions are acted on and never printed; `toJSON` gives the plain data
 * with every sentence, which is what crosses any boundary (the CLI, the sandbox, the audit log).
 */
class Explained implements Decision {
  readonly state: DecisionState;
  readonly kind: CapabilityKind;
  readonly code: DenialCode | undefined;
  readonly grant: string | undefined;
  readonly permission: string | undefined;
  readonly #outcome: Outcome;
  readonly #policy: CompiledPolicy;
  readonly #kp: KindPolicy;
  readonly #r: Normalized;
  readonly #ref: RuleRef | undefined;
  readonly #grant: CompiledGrant | undefined;
  readonly #blocked: { rule: string; why: string } | undefined;

  constructor(
    outcome: Outcome,
    policy: CompiledPolicy,
    kp: KindPolicy,
    r: Normalized,
    ref?: RuleRef,
    grant?: CompiledGrant,
    blocked?: { rule: string; why: string },
  ) {
    this.state = STATE[outcome];
    this.kind = kp.capability.kind;
    this.code = CODE[outcome];
    this.grant = grant?.id;
    this.permission = ref?.key;
    this.#outcome = outcome;
    this.#policy = policy;
    this.#kp = kp;
    this.#r = r;
    this.#ref = ref;
    this.#grant = grant;
    this.#blocked = blocked;
  }

  get resource(): string {
    return this.#kp.capability.describe(this.#r);
  }

  get rule(): string {
    const ref = this.#ref;
    const g = this.#grant;
    switch (this.#outcome) {
      case "disabled":
        return "installation disabled";
      case "builtin":
        return this.#blocked?.rule ?? "builtin";
      case "denyGrant":
      case "allowGrant":
        return `grant ${g?.id} (${g?.effect} ${g ? termText(g) : ""}): ${g?.text}`;
      case "undeclared":
        return "undeclared";
      default:
        return `${ref?.at}: ${ref?.text}`;
    }
  }

  get reason(): string {
    const cap: Capability = this.#kp.capability;
    const app = `app ${this.#policy.installation}`;
    const target = `${cap.verb} ${JSON.stringify(this.resource)}`;
    const scope = `${this.kind} ${JSON.stringify(this.#ref?.text)}`;
    const g = this.#grant;
    switch (this.#outcome) {
      case "disabled":
        return `${app} is disabled`;
      case "builtin":
        return `${app} may not ${target}: ${this.#blocked?.why} is always blocked`;
      case "deny":
        return `${app} may not ${target}: ${this.#ref?.source === "manifest.deny" ? "its manifest" : "the server"} denies ${scope}`;
      case "denyGrant":
        return `${app} may not ${target}: it was denied when asked (grant ${g?.id}, ${g ? termText(g) : ""})`;
      case "approved":
        return `${app} may ${target}: allowed by ${scope} (approved)`;
      case "allowGrant":
        return `${app} may ${target}: allowed when asked (grant ${g?.id}, ${g ? termText(g) : ""})`;
      case "prompt":
        return `${app} asks to ${target} (${scope} is set to ask)`;
      case "rejected":
        return `${app} may not ${target}: the admin rejected ${scope}`;
      case "pending":
        return `${app} may not yet ${target}: ${scope} is declared but needs approval`;
      default: {
        // "undeclared"
        const kp = this.#kp;
        const declared =
          kp.declaredRules.length === 0 ? "none" : kp.declaredRules.map((r) => r.text).join(", ");
        const miss = cap.explainMiss(this.#r, kp.declared);
        return `${app} is not permitted to ${target}: ${miss ?? `not declared (declared ${this.kind}: ${declared})`}`;
      }
    }
  }

  get fix(): string {
    const inst = this.#policy.installation;
    switch (this.#outcome) {
      case "disabled":
        return `an admin must enable it again: locara app enable ${inst}`;
      case "builtin":
        return "use a public host; only an admin can allow an exact private range, in the server rules";
      case "deny":
        return this.#ref?.source === "manifest.deny"
          ? "deny always wins: remove the rule from permissions.deny if the app needs this"
          : "deny always wins: an admin can remove the rule from the server rules";
      case "denyGrant":
        return `revoke the answer to be asked again: locara grants revoke ${inst} ${this.#grant?.id}`;
      case "approved":
      case "allowGrant":
        return "";
      case "prompt":
        return `answer the prompt, or answer ahead: locara grants add ${inst} ${this.kind} ${JSON.stringify(this.resource)}`;
      case "rejected":
        return `if the app should have it, an admin can approve it: locara app approve ${inst}`;
      case "pending":
        return `review it and run locara app approve ${inst}`;
      default: // "undeclared"
        return `update the app or run locara app approve ${inst}`;
    }
  }

  toJSON(): Decision {
    return {
      state: this.state,
      kind: this.kind,
      resource: this.resource,
      rule: this.rule,
      reason: this.reason,
      fix: this.fix,
      ...(this.code === undefined ? {} : { code: this.code }),
      ...(this.grant === undefined ? {} : { grant: this.grant }),
      ...(this.permission === undefined ? {} : { permission: this.permission }),
    };
  }
}

function liveGrant(
  grants: readonly CompiledGrant[],
  policy: CompiledPolicy,
  request: PolicyRequest,
  r: Normalized,
  now: number,
) {
  for (const g of grants) {
    const live =
      g.term === "once"
        ? !policy.consumed.has(g.id)
        : g.term === "session"
          ? request.session !== undefined && request.session === g.session
          : g.term === "until"
            ? now < (g.until ?? 0)
            : true;
    if (live && g.match(r) >= 0) return g;
  }
  return undefined;
}

/**
 * Decide one request, following DESIGN.md's decision semantics in order:
 * disabled → any deny (built-in, manifest, server, saved "deny" answers) → undeclared → approved →
 * ask (a live allow grant, else prompt) → rejected / pending. Where several declared permissions
 * cover the request, the best answer wins: approved, then ask, then rejected, then pending.
 *
 * Pure: the result depends only on the compiled policy, the request and `now` (epoch ms). A
 * decision that names a `once` grant is only good if consumeGrant(policy, decision.grant) says so.
 */
export function decide(policy: CompiledPolicy, request: PolicyRequest, now: number): Decision {
  const kp: KindPolicy = policy.kinds[capability(request.kind).kind];
  const r = kp.capability.normalize(request, policy.context);
  if (policy.disabled) return new Explained("disabled", policy, kp, r);

  // Deny always wins, however specific the allow.
  const blocked = kp.capability.builtinDeny(r, policy.context);
  if (blocked) return new Explained("builtin", policy, kp, r, undefined, undefined, blocked);
  const d = kp.denyMatch(r);
  if (d >= 0) return new Explained("deny", policy, kp, r, kp.denyRules[d]);
  if (kp.denyGrants.length > 0) {
    const g = liveGrant(kp.denyGrants, policy, request, r, now);
    if (g) return new Explained("denyGrant", policy, kp, r, undefined, g);
  }

  const a = kp.allowMatch(r);
  if (a < 0) return new Explained("undeclared", policy, kp, r);
  const ref = kp.allowRules[a]!;
  switch (ref.state) {
    case "approved":
      return new Explained("approved", policy, kp, r, ref);
    case "ask": {
      const g = liveGrant(kp.allowGrants, policy, request, r, now);
      return g
        ? new Explained("allowGrant", policy, kp, r, ref, g)
        : new Explained("prompt", policy, kp, r, ref);
    }
    case "rejected":
      return new Explained("rejected", policy, kp, r, ref);
    default:
      return new Explained("pending", policy, kp, r, ref);
  }
}

/**
 * Claim a `once` grant for the decision that named it. Returns true exactly once per grant id
 * (and always for grants of other terms); the caller acts only on true.
 */
export function consumeGrant(policy: CompiledPolicy, grantId: string): boolean {
  for (const kind of Object.keys(policy.kinds) as CapabilityKind[]) {
    const kp = policy.kinds[kind];
    const grant = kp.allowGrants.find((g) => g.id === grantId) ?? kp.denyGrants.find((g) => g.id === grantId);
    if (!grant) continue;
    if (grant.term !== "once") return true;
    if (policy.consumed.has(grantId)) return false;
    policy.consumed.add(grantId);
    return true;
  }
  return false;
}

/** The term of a grant the policy holds (to know whether using it must be recorded). */
export function grantTerm(policy: CompiledPolicy, grantId: string): string | undefined {
  for (const kind of Object.keys(policy.kinds) as CapabilityKind[]) {
    const kp = policy.kinds[kind];
    const grant = kp.allowGrants.find((g) => g.id === grantId) ?? kp.denyGrants.find((g) => g.id === grantId);
    if (grant) return grant.term;
  }
  return undefined;
}

/** The error a plugin raises for a decision that is not granted: the reason, then the fix. */
export function decisionError(decision: Decision): PermissionError {
  return new PermissionError(decision.code ?? "LOCARA_E_DENIED", `${decision.reason}: ${decision.fix}`, {
    kind: decision.kind,
    resource: decision.resource,
    rule: decision.rule,
    state: decision.state,
  });
}

/** The scope (manifest syntax) a grant needs to cover exactly this request: for turning an answer into a grant. */
export function grantScopeFor(policy: CompiledPolicy, request: PolicyRequest): unknown {
  const cap = capability(request.kind);
  return cap.scopeFor(cap.normalize(request, policy.context));
}
