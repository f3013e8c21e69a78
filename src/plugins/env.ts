import { InvalidResourceError } from "../errors.ts";
import { decide } from "../policy/decide.ts";
import type { HostModule } from "../sandbox/host-calls.ts";
import { guarded, type PluginContext } from "./context.ts";

/** `locara:env`: read the environment variables the app was granted, and nothing else. */
export function envModule(ctx: PluginContext): HostModule {
  return {
    name: "locara:env",
    functions: {
      get([name]) {
        if (typeof name !== "string") throw new InvalidResourceError("env", name, "give a variable name");
        return guarded(
          ctx,
          "locara:env.get",
          { kind: "env", resource: name },
          () => ctx.environment[name] ?? null,
        );
      },
      /** The names the app may read that are set. Names it may not read are not revealed. */
      list() {
        const names = Object.keys(ctx.environment).filter((name) => {
          try {
            return decide(ctx.policy, { kind: "env", resource: name }, ctx.now()).state === "granted";
          } catch {
            return false;
          }
        });
        ctx.audit.write({
          v: 1,
          time: new Date(ctx.now()).toISOString(),
          installation: ctx.installation,
          call: "locara:env.list",
          kind: "env",
          resource: `${names.length} granted names`,
          decision: "granted",
          rule: "lists only granted names",
          durationMs: 0,
        });
        return names.sort();
      },
    },
  };
}
