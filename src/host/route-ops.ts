import { InvalidInputError, NotFoundError } from "../errors.ts";
import { notifyChange } from "../store/changes.ts";
import { putRouteAccess, setInstallationPassword } from "../store/web-store.ts";
import { type AdminCore, auditAdmin, liveState, requireInstallation } from "./admin-ops.ts";
import { hashPassword } from "./password-hash.ts";

const SETTABLE = new Set(["public", "limited", "private"]);

/**
 * The owner changes who may reach a route at run time: recorded, audited and applied by every
 * host. Invariant: a strict route can never change, and only routes the manifest declares can.
 */
export async function setRouteAccess(
  core: AdminCore,
  options: { path: string; route: string; access: string; by: string },
): Promise<{ path: string; route: string; access: string }> {
  const installation = await requireInstallation(core.db.pool, options.path);
  if (!SETTABLE.has(options.access)) {
    throw new InvalidInputError(
      options.access,
      "a route's access is public, limited or private (keys come from the manifest)",
    );
  }
  const { manifest } = await liveState(core.db.pool, installation);
  const declared = manifest.routes.find((r) => r.path === options.route);
  if (!declared) {
    throw new NotFoundError(
      "route",
      options.route,
      `${options.path} declares: ${manifest.routes.map((r) => r.path).join(", ") || "no routes"}`,
    );
  }
  if (declared.strict) {
    throw new InvalidInputError(
      options.route,
      `the route is strict in ${options.path}'s manifest: its access (${declared.access}) can never change`,
    );
  }
  await core.db.transaction(async (tx) => {
    await putRouteAccess(tx, installation.id, options.route, options.access as "public", options.by);
    await auditAdmin(tx, installation.path, "route", `${options.route} ${options.access}`, options.by, {
      was: declared.access,
    });
    await notifyChange(tx, installation.id);
  });
  core.changed(installation.id);
  return { path: installation.path, route: options.route, access: options.access };
}

/** The password of an installation's limited routes (stored as an scrypt hash; empty clears it). */
export async function setAppPassword(
  core: AdminCore,
  options: { path: string; password: string; by: string },
) {
  const installation = await requireInstallation(core.db.pool, options.path);
  if (options.password !== "" && options.password.length < 8) {
    throw new InvalidInputError("password", "a password for limited routes must be at least 8 characters");
  }
  const hash = options.password === "" ? null : await hashPassword(options.password);
  await core.db.transaction(async (tx) => {
    await setInstallationPassword(tx, installation.id, hash);
    await auditAdmin(tx, installation.path, "password", hash ? "set" : "cleared", options.by);
    await notifyChange(tx, installation.id);
  });
  core.changed(installation.id);
  return { path: installation.path, password: hash ? "set" : "cleared" };
}
