import ipaddr from "ipaddr.js";
import type { Manifest } from "../manifest/types.ts";
import { blockedAddress, blockedName } from "./blocked.ts";

export interface ManifestWarning {
  /** Where the permission is declared, e.g. `permissions.net[1]`. */
  readonly at: string;
  readonly message: string;
}

/**
 * Declarations that are valid but will not do what their author likely expects: a net scope that
 * is always blocked, a run rule that accepts any arguments. Shown by `locara manifest check` and
 * in the install-time audit report; they never change a decision.
 */
export function manifestWarnings(manifest: Manifest): ManifestWarning[] {
  const warnings: ManifestWarning[] = [];
  for (const p of manifest.permissions) {
    if (p.scope.type === "net") {
      const h = p.scope.host;
      const why =
        h.form === "name"
          ? blockedName(h.name)
          : h.form === "ip" || h.form === "cidr"
            ? blockedAddress(ipaddr.parse(h.ip), [])?.why
            : h.form === "wildcard"
              ? blockedName(`x.${h.base}`)
              : undefined;
      if (why) {
        warnings.push({
          at: p.at,
          message: `${JSON.stringify(p.text)} is in an always-blocked range (${why}): it is denied unless an admin allows that exact range in the server rules`,
        });
      }
    }
    if (p.scope.type === "run") {
      const first = p.scope.args[0];
      if (first?.type === "rest") {
        warnings.push({
          at: p.at,
          message: `${JSON.stringify(p.text)} accepts any arguments: pin the ones the app needs`,
        });
      }
    }
  }
  return warnings;
}
