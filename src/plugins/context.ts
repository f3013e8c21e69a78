import { LocaraError } from "../errors.ts";
import type { CompiledPolicy } from "../policy/compile.ts";
import { consumeGrant, decide, decisionError, grantTerm } from "../policy/decide.ts";
import type { Decision, DecisionState, PolicyRequest } from "../policy/types.ts";

/** One audited capability call: who, what, the decision and the rule that made it. */
export interface AuditEvent {
  readonly v: 1;
  readonly time: string;
  readonly installation: string;
  /** The host function, e.g. `locara:env.get`. */
  readonly call: string;
  readonly kind: string;
  readonly resource: string;
  readonly decision: DecisionState;
  readonly rule: string;
  readonly durationMs: number;
  readonly error?: string;
}

export interface AuditSink {
  /** May return a promise when the sink is full: the caller then waits (records are never dropped). */
  write(event: AuditEvent): void | Promise<void>;
}

/** What a plugin knows about the installation it serves. Everything it may touch comes in here. */
export interface PluginContext {
  readonly installation: string;
  readonly policy: CompiledPolicy;
  readonly audit: AuditSink;
  /** Epoch ms; injected so tests and replays control time. */
  readonly now: () => number;
  /** The host environment the app may read from, by name (only granted names are ever read). */
  readonly environment: Readonly<Record<string, string | undefined>>;
  /**
   * Ask a person about a `prompt` decision and record the answer (updating `policy`). Absent when
   * nobody can be asked: then a prompt is denied at once.
   */
  readonly prompt?: (request: PolicyRequest, decision: Decision) => Promise<void>;
  /** Record that the app gave up what this request covers (a deny for the rest of the run). */
  readonly revoke?: (request: PolicyRequest) => Promise<void>;
  /**
   * Use up a once-grant where others can see it (the store, shared by every host). False when it
   * was already used. Without it, a once-grant is used up in this policy only.
   */
  readonly consumeOnce?: (grantId: string) => Promise<boolean>;
  /** Bring `policy` up to date with the last change notice before deciding (server mode). */
  readonly fresh?: () => Promise<void>;
}

/**
 * The one door of every plugin call: decide, then run the operation only if granted, and write
 * exactly one audit event (the decision, the rule, the duration and any error). Invariant: nothing
 * is touched before the decision, and the operation receives the decision's canonical resource.
 * A `prompt` is denied at once with the command that would grant it until a prompter is wired in:
 * a host with no way to ask never waits.
 */
export async function guarded<T>(
  ctx: PluginContext,
  call: string,
  request: PolicyRequest,
  operation: () => T | Promise<T>,
): Promise<T> {
  const started = performance.now();
  await ctx.fresh?.();
  let decision = decide(ctx.policy, request, ctx.now());
  /** The one audit event of this call: what was decided, by which rule, and how it ended. */
  const audit = async (error?: string) =>
    await ctx.audit.write({
      v: 1,
      time: new Date(ctx.now()).toISOString(),
      installation: ctx.installation,
      call,
      kind: decision.kind,
      resource: decision.resource,
      decision: decision.state === "prompt" ? "denied" : decision.state,
      rule: decision.rule,
      durationMs: performance.now() - started,
      ...(error === undefined ? {} : { error }),
    });
  if (decision.state === "prompt" && ctx.prompt) {
    try {
      await ctx.prompt(request, decision);
    } catch (error) {
      // Nobody could answer now (a served request): the call fails, and is audited as refused.
      await audit(error instanceof LocaraError ? error.code : "error");
      throw error;
    }
    decision = decide(ctx.policy, request, ctx.now()); // the answer is now a grant (or not)
  }
  if (decision.grant !== undefined) {
    const once = grantTerm(ctx.policy, decision.grant) === "once";
    const used =
      consumeGrant(ctx.policy, decision.grant) &&
      (!once || ctx.consumeOnce === undefined || (await ctx.consumeOnce(decision.grant)));
    if (!used) decision = decide(ctx.policy, request, ctx.now()); // a once grant was used up meanwhile
  }
  if (decision.state !== "granted") {
    const error = decisionError(decision);
    await audit(error.code);
    throw error;
  }
  try {
    const value = await operation();
    await audit();
    return value;
  } catch (error) {
    await audit(error instanceof LocaraError ? error.code : "error");
    throw error;
  }
}

/** Audit a call that needs no decision (an installation's own storage). */
export function auditOwn(
  ctx: PluginContext,
  call: string,
  kind: string,
  resource: string,
): void | Promise<void> {
  return ctx.audit.write({
    v: 1,
    time: new Date(ctx.now()).toISOString(),
    installation: ctx.installation,
    call,
    kind,
    resource,
    decision: "granted",
    rule: "own storage of the installation",
    durationMs: 0,
  });
}
