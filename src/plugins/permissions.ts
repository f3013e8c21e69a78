import { InvalidInputError } from "../errors.ts";
import { decide } from "../policy/decide.ts";
import { parseRequest } from "../policy/inputs.ts";
import type { DecisionState, PolicyRequest } from "../policy/types.ts";
import type { HostModule } from "../sandbox/host-calls.ts";
import type { PluginContext } from "./context.ts";

/** A descriptor as Deno's permissions API takes it: `{ kind, resource }`, or `{ kind: "run", argv }`. */
function descriptor(ctx: PluginContext, value: unknown): PolicyRequest {
  if (value === null || typeof value !== "object") {
    throw new InvalidInputError(
      `locara:permissions (app ${ctx.installation})`,
      'give a descriptor such as { kind: "fs.read", resource: "/path" }',
    );
  }
  const { kind, resource, argv } = value as Record<string, unknown>;
  return parseRequest({ kind, resource, argv }, `locara:permissions (app ${ctx.installation})`);
}

/**
 * `locara:permissions`: let an app adapt to what it may do, in Deno's states granted / denied /
 * prompt. `query` only looks; `request` may prompt, but the engine only ever yields a prompt for
 * something the manifest declared and the admin set to ask; `revoke` gives a permission up for
 * the rest of the run (stricter than Deno: it becomes denied, not prompt). Each call is audited.
 */
export function permissionsModule(ctx: PluginContext): HostModule {
  const audit = (
    call: string,
    request: PolicyRequest,
    state: DecisionState,
    rule: string,
    resource: string,
  ) =>
    ctx.audit.write({
      v: 1,
      time: new Date(ctx.now()).toISOString(),
      installation: ctx.installation,
      call,
      kind: request.kind,
      resource,
      decision: state,
      rule,
      durationMs: 0,
    });
  return {
    name: "locara:permissions",
    functions: {
      query([value]) {
        const request = descriptor(ctx, value);
        const d = decide(ctx.policy, request, ctx.now());
        audit("locara:permissions.query", request, d.state, d.rule, d.resource);
        return { state: d.state };
      },
      async request([value]) {
        const request = descriptor(ctx, value);
        let d = decide(ctx.policy, request, ctx.now());
        if (d.state === "prompt" && ctx.prompt) {
          await ctx.prompt(request, d);
          d = decide(ctx.policy, request, ctx.now());
        }
        // Nobody could be asked, or the answer was "once" and is kept for the call itself.
        const state = d.state === "prompt" && !ctx.prompt ? "denied" : d.state;
        audit("locara:permissions.request", request, state, d.rule, d.resource);
        return { state };
      },
      async revoke([value]) {
        const request = descriptor(ctx, value);
        if (!ctx.revoke)
          throw new InvalidInputError(
            `locara:permissions (app ${ctx.installation})`,
            "this host cannot record a revocation",
          );
        await ctx.revoke(request);
        const d = decide(ctx.policy, request, ctx.now());
        audit("locara:permissions.revoke", request, d.state, d.rule, d.resource);
        return { state: d.state };
      },
    },
  };
}
