import type { Manifest } from "../manifest/types.ts";
import type { PluginContext } from "../plugins/context.ts";
import { envModule } from "../plugins/env.ts";
import { fsModule } from "../plugins/fs.ts";
import { type KvBackend, kvModule } from "../plugins/kv.ts";
import { NET_DEFAULTS, netModule } from "../plugins/net.ts";
import { FETCH_GLOBAL_MODULE, FETCH_GLOBAL_SOURCE } from "../plugins/net-guest.ts";
import { permissionsModule } from "../plugins/permissions.ts";
import { RUN_DEFAULTS, runCommandModule } from "../plugins/run.ts";
import { sysModule } from "../plugins/sys.ts";
import { type AppExtras, NO_EXTRAS } from "../sandbox/fetch-handler.ts";
import type { HostModule } from "../sandbox/host-calls.ts";

/**
 * The `locara:*` modules an app gets, each call decided by `ctx`'s policy, with the limits of
 * its manifest; and, when it declares network access, the module that makes `fetch` a global.
 * One list for `locara run` and the host, so both give apps the same surface.
 */
export function appModules(
  ctx: PluginContext,
  options: { manifest: Manifest; kv: KvBackend; pathEnv: string | undefined; more?: readonly HostModule[] },
): { modules: HostModule[]; extras: AppExtras } {
  const wallMs = options.manifest.limits.wallMsPerRequest;
  return {
    modules: [
      envModule(ctx),
      sysModule(ctx),
      kvModule(ctx, options.kv),
      fsModule(ctx),
      permissionsModule(ctx),
      runCommandModule(ctx, { ...RUN_DEFAULTS, pathEnv: options.pathEnv, maxTimeoutMs: wallMs }),
      netModule(ctx, { ...NET_DEFAULTS, timeoutMs: wallMs }),
      ...(options.more ?? []),
    ],
    extras: options.manifest.permissions.some((p) => p.kind === "net")
      ? {
          modules: new Map([[FETCH_GLOBAL_MODULE, FETCH_GLOBAL_SOURCE]]),
          preamble: `import "${FETCH_GLOBAL_MODULE}";\n`,
        }
      : NO_EXTRAS,
  };
}
