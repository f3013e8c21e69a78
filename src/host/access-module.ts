import { InvalidInputError } from "../errors.ts";
import { auditOwn, type PluginContext } from "../plugins/context.ts";
import type { HostModule } from "../sandbox/host-calls.ts";
import { accessFor, type EffectiveRoute, routeFor, type Viewer } from "./route-access.ts";

/**
 * `locara:access`: an app asks whether the visitor of the request in progress may use a route —
 * a real one or a "virtual" one naming a feature (`/feature/upload`) declared in its manifest.
 * `hasAccess(route)` → boolean, `getAccess(route)` → "public" | "limited" | "private" | "keys".
 * Invariant: the answer comes from the host's view of the visitor (session) and the routes as the
 * owner set them; the app can read it, never change it.
 */
export function accessModule(
  ctx: PluginContext,
  source: {
    routes: () => readonly EffectiveRoute[];
    viewer: () => Viewer | undefined;
    installationId: string;
  },
): HostModule {
  const route = (value: unknown): string => {
    if (typeof value !== "string" || !value.startsWith("/")) {
      throw new InvalidInputError(
        `locara:access (app ${ctx.installation})`,
        'a route is a path starting with "/", e.g. "/feature/upload"',
      );
    }
    return value;
  };
  return {
    name: "locara:access",
    functions: {
      hasAccess: async ([r]) => {
        const path = route(r);
        await auditOwn(ctx, "locara:access.hasAccess", "access", path);
        const viewer = source.viewer() ?? { owner: false, unlocked: [] };
        return accessFor(routeFor(source.routes(), path), viewer, source.installationId) === "allowed";
      },
      getAccess: async ([r]) => {
        const path = route(r);
        await auditOwn(ctx, "locara:access.getAccess", "access", path);
        return routeFor(source.routes(), path).access;
      },
    },
  };
}
