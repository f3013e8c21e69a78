import { type DenialCode, PermissionError } from "../errors.ts";
import type { CapabilityKind } from "../manifest/kinds.ts";
import type { Normalized } from "./capability.ts";
import type { CompiledGrant, CompiledPolicy, KindPolicy, RuleSet } from "./compile.ts";
import { capability } from "./registry.ts";
import type { Decision, PolicyRequest } from "./types.ts";

/**
 * A decision whose sentences are built when read (most decisions are acted on, not printed).
 * `toJSON` gives the plain data, sentences included: use it (or JSON) to pass a decision on.
 */
class LazyDecision implements Decision {
  readonly state: Decision["state"];
  readonly kind: CapabilityKind;
  readonly resource: string;
  readonly rule: string;
  readonly code: DenialCode | undefined;
  readonly grant: string | undefined;
  readonly permission: string | undefined;
  readonly #reason: () => string;
  readonly #fix: () => string;

  constructor(
    state: Decision["state"],
    kind: CapabilityKind,
    resource: string,
    rule: string,
    code: DenialCode | undefined,
    grant: string | undefined,
    permission: string | undefined,
    reason: () => string,
    fix: () => string,
  ) {
    this.state = state;
    this.kind = kind;
    this.resource = resource;
    this.rule = rule;
    this.code = code;
    this.grant = grant;
    this.permission = permission;
    this.#reason = reason;
    this.#fix = fix;
  }

  get reason(): string {
    return this.#reason();
  }

  get fix(): string {
    return this.#fix();
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

function live(grant: CompiledGrant, policy: CompiledPolicy, request: PolicyRequest, now: number): boolean {
  switch (grant.term) {
    case "once":
      return !policy.consumed.has(grant.id);
    case "session":
      return request.session !== undefined && request.session === grant.session;
    case "until":
      return now < (grant.until ?? 0);
    case "always":
      return true;
  }
}

function liveGrant(
  grants: readonly CompiledGrant[],
  policy: CompiledPolicy,
  request: PolicyRequest,
  r: Normalized,
  now: number,
) {
  for (const g of grants) if (live(g, policy, request, now) && g.match(r) >= 0) return g;
  return undefined;
}

function termText(g: CompiledGrant): string {
  return g.term === "until" ? `until ${new Date(g.until ?? 0).toISOString()}` : g.term;
}

function declaredList(set: RuleSet): string {
  return set.rules.length === 0 ? "none" : set.rules.map((r) => r.text).join(", ");
}

/**
 * Decide one request, following DESIGN.md's decision semantics in order:
 * disabled → any deny (built-in, manifest, server, saved "deny" answers) → undeclared → approved →
 * rejected/pending → ask (a live allow grant, else prompt).
 *
 * Pure: the result depends only on the compiled policy, the request and `now` (epoch ms). A
 * decision that names a `once` grant is only good if consumeGrant(policy, decision.grant) says so.
 */
export function decide(policy: CompiledPolicy, request: PolicyRequest, now: number): Decision {
  const kind = capability(request.kind).kind;
  const kp: KindPolicy = policy.kinds[kind];
  const cap = kp.capability;
  const r = cap.normalize(request, policy.context);
  const resource = cap.describe(r);
  // Sentences are built only when read: most decisions are acted on, not printed.
  const app = () => `app ${policy.installation}`;
  const target = () => `${cap.verb} ${JSON.stringify(resource)}`;
  const approve = () => `locara app approve ${policy.installation}`;
  const made = (
    state: Decision["state"],
    rule: string,
    code: DenialCode | undefined,
    reason: () => string,
    fix: () => string,
    extra?: { grant?: string; permission?: string | undefined },
  ): Decision =>
    new LazyDecision(state, kind, resource, rule, code, extra?.grant, extra?.permission, reason, fix);
  const none = () => "";

  if (policy.disabled) {
    return made(
      "denied",
      "installation disabled",
      "LOCARA_E_DISABLED",
      () => `${app()} is disabled`,
      () => `an admin must enable it again: locara app enable ${policy.installation}`,
    );
  }

  // Deny always wins, however specific the allow.
  const blocked = cap.builtinDeny(r, policy.context);
  if (blocked) {
    return made(
      "denied",
      blocked.rule,
      "LOCARA_E_DENIED",
      () => `${app()} may not ${target()}: ${blocked.why} is always blocked`,
      () => "use a public host; only an admin can allow an exact private range, in the server rules",
    );
  }
  const d = kp.deny.match(r);
  if (d >= 0) {
    const rule = kp.deny.rules[d]!;
    const fromManifest = rule.source === "manifest.deny";
    return made(
      "denied",
      rule.rule,
      "LOCARA_E_DENIED",
      () =>
        `${app()} may not ${target()}: ${fromManifest ? "its manifest" : "the server"} denies ${kind} ${JSON.stringify(rule.text)}`,
      () =>
        fromManifest
          ? "deny always wins: remove the rule from permissions.deny if the app needs this"
          : "deny always wins: an admin can remove the rule from the server rules",
    );
  }
  const denyGrant = liveGrant(kp.denyGrants, policy, request, r, now);
  if (denyGrant) {
    return made(
      "denied",
      `grant ${denyGrant.id} (deny ${termText(denyGrant)}): ${denyGrant.text}`,
      "LOCARA_E_DENIED",
      () =>
        `${app()} may not ${target()}: it was denied when asked (grant ${denyGrant.id}, ${termText(denyGrant)})`,
      () =>
        `revoke the answer to be asked again: locara grants revoke ${policy.installation} ${denyGrant.id}`,
      { grant: denyGrant.id },
    );
  }

  const a = kp.approved.match(r);
  if (a >= 0) {
    const rule = kp.approved.rules[a]!;
    return made(
      "granted",
      rule.rule,
      undefined,
      () => `${app()} may ${target()}: allowed by ${kind} ${JSON.stringify(rule.text)} (approved)`,
      none,
      { permission: rule.key },
    );
  }
  const k = kp.ask.match(r);
  if (k >= 0) {
    const rule = kp.ask.rules[k]!;
    const grant = liveGrant(kp.allowGrants, policy, request, r, now);
    if (grant) {
      return made(
        "granted",
        `grant ${grant.id} (allow ${termText(grant)}): ${grant.text}`,
        undefined,
        () => `${app()} may ${target()}: allowed when asked (grant ${grant.id}, ${termText(grant)})`,
        none,
        { grant: grant.id, permission: rule.key },
      );
    }
    return made(
      "prompt",
      rule.rule,
      "LOCARA_E_PROMPT",
      () => `${app()} asks to ${target()} (${kind} ${JSON.stringify(rule.text)} is set to ask)`,
      () =>
        `answer the prompt, or answer ahead: locara grants add ${policy.installation} ${kind} ${JSON.stringify(resource)}`,
      { permission: rule.key },
    );
  }
  const j = kp.rejected.match(r);
  if (j >= 0) {
    const rule = kp.rejected.rules[j]!;
    return made(
      "denied",
      rule.rule,
      "LOCARA_E_REJECTED",
      () => `${app()} may not ${target()}: the admin rejected ${kind} ${JSON.stringify(rule.text)}`,
      () => `if the app should have it, an admin can approve it: ${approve()}`,
      { permission: rule.key },
    );
  }
  const p = kp.pending.match(r);
  if (p >= 0) {
    const rule = kp.pending.rules[p]!;
    return made(
      "denied",
      rule.rule,
      "LOCARA_E_NOT_APPROVED",
      () =>
        `${app()} may not yet ${target()}: ${kind} ${JSON.stringify(rule.text)} is declared but needs approval`,
      () => `review it and run ${approve()}`,
      { permission: rule.key },
    );
  }
  return made(
    "denied",
    "undeclared",
    "LOCARA_E_NOT_DECLARED",
    () => {
      const miss = cap.explainMiss(r, kp.declared.compiled);
      return `${app()} is not permitted to ${target()}: ${miss ?? `not declared (declared ${kind}: ${declaredList(kp.declared)})`}`;
    },
    () => `update the app or run ${approve()}`,
  );
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

/** The error a plugin raises for a decision that is not granted: the reason, then the fix. */
export function decisionError(decision: Decision): PermissionError {
  return new PermissionError(decision.code ?? "LOCARA_E_DENIED", `${decision.reason}: ${decision.fix}`, {
    kind: decision.kind,
    resource: decision.resource,
    rule: decision.rule,
    state: decision.state,
  });
}
