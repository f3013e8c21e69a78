import type { Route } from "../manifest/types.ts";

export type Access = Route["access"];

/** The routes of an installation as they apply now: the manifest's, with the owner's changes. */
export interface EffectiveRoute {
  readonly path: string;
  readonly access: Access;
  readonly keys: readonly string[];
  readonly strict: boolean;
  /** True when the owner changed it from what the manifest says. */
  readonly changed: boolean;
}

/** Who is asking: the owner (holds every key until users and roles arrive), and what they unlocked. */
export interface Viewer {
  readonly owner: boolean;
  /** Installation ids whose password this session entered. */
  readonly unlocked: readonly string[];
}

/**
 * The manifest's routes with the owner's changes applied. Invariant: a strict route keeps the
 * manifest's access whatever is stored (the host also refuses to store a change to it).
 */
export function effectiveRoutes(
  routes: readonly Route[],
  overrides: ReadonlyMap<string, Access>,
): EffectiveRoute[] {
  const result: EffectiveRoute[] = routes.map((r) => {
    const changed = !r.strict ? overrides.get(r.path) : undefined;
    return {
      path: r.path,
      access: changed ?? r.access,
      keys: r.keys,
      strict: r.strict,
      changed: changed !== undefined && changed !== r.access,
    };
  });
  // An override for a path the manifest does not list (a virtual route the owner set) applies too.
  for (const [path, access] of overrides) {
    if (!routes.some((r) => r.path === path))
      result.push({ path, access, keys: [], strict: false, changed: true });
  }
  return result;
}

/**
 * Whether `route` covers `path`: the same path, or a path below it (by whole segments), compared
 * without regard to case (an app's router may ignore case; a route then covers every spelling).
 */
export function covers(route: string, path: string): boolean {
  const r = route.toLowerCase();
  const p = path.toLowerCase();
  if (r === "/" || r === p) return true;
  const base = r.endsWith("/") ? r.slice(0, -1) : r;
  return p === base || p.startsWith(`${base}/`);
}

/** The longest route covering the path decides; a path no route covers is private. */
export function routeFor(routes: readonly EffectiveRoute[], path: string): EffectiveRoute {
  let best: EffectiveRoute | undefined;
  for (const r of routes) if (covers(r.path, path) && (!best || r.path.length > best.path.length)) best = r;
  return best ?? { path, access: "private", keys: [], strict: false, changed: false };
}

/** What the viewer may do with a route of this installation: enter, or what stops them. */
export function accessFor(
  route: EffectiveRoute,
  viewer: Viewer,
  installationId: string,
): "allowed" | "needs-password" | "needs-owner" {
  switch (route.access) {
    case "public":
      return "allowed";
    case "limited":
      return viewer.owner || viewer.unlocked.includes(installationId) ? "allowed" : "needs-password";
    // Until users and roles arrive, the owner is the only signed-in user and holds every key.
    case "keys":
    case "private":
      return viewer.owner ? "allowed" : "needs-owner";
  }
}
