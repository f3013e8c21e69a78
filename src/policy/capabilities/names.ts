import { InvalidResourceError } from "../../errors.ts";
import type { CapabilityKind } from "../../manifest/kinds.ts";
import {
  parseSecretScope,
  parseSysScope,
  parseTableScope,
  parseUiScope,
  parseUserSelectedScope,
} from "../../manifest/scopes/names.ts";
import type { NameScope, ScopeResult, SwitchScope } from "../../manifest/scopes/types.ts";
import { defineCapability } from "../capability.ts";

/** Kinds whose scopes are exact names: a hash lookup, nothing else. */
function namedCapability(kind: CapabilityKind, verb: string, parse: (text: string) => ScopeResult) {
  return defineCapability<NameScope, string>({
    kind,
    verb,
    normalize(request) {
      const name = request.resource;
      const parsed = typeof name === "string" ? parse(name) : undefined;
      if (!parsed?.ok)
        throw new InvalidResourceError(kind, name, parsed?.ok === false ? parsed.message : "give a name");
      return parsed.text;
    },
    compile(rules) {
      const exact = new Map<string, number>();
      rules.forEach(({ scope }, index) => {
        if (!exact.has(scope.name)) exact.set(scope.name, index);
      });
      return (name) => exact.get(name) ?? -1;
    },
    describe: (name) => name,
    scopeFor: (name) => name,
  });
}

export const sys = namedCapability("sys", "read the system information", parseSysScope);
export const dbRead = namedCapability("db.read", "read the table", parseTableScope);
export const dbWrite = namedCapability("db.write", "write the table", parseTableScope);
export const secrets = namedCapability("secrets", "use the secret", parseSecretScope);
export const ui = namedCapability("ui", "use the UI feature", parseUiScope);
export const fsUserSelected = namedCapability(
  "fs.user-selected",
  "open user-selected files for",
  parseUserSelectedScope,
);

/** The table prefix an installation's own tables carry: `app_<installation>_`. */
export function ownTablePrefix(installation: string): string {
  const id = installation
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return `app_${id}_`;
}

/** `db.create: true` lets an app create tables named `app_<installation>_*` and no others. */
export const dbCreate = defineCapability<SwitchScope, string>({
  kind: "db.create",
  verb: "create the table",
  normalize(request) {
    const parsed = typeof request.resource === "string" ? parseTableScope(request.resource) : undefined;
    if (!parsed?.ok)
      throw new InvalidResourceError(
        "db.create",
        request.resource,
        parsed?.ok === false ? parsed.message : "give a table name",
      );
    return parsed.text;
  },
  compile(rules, ctx) {
    const prefix = ownTablePrefix(ctx.installation);
    const index = rules.length > 0 ? 0 : -1;
    return (table) => (index >= 0 && table.startsWith(prefix) && table.length > prefix.length ? index : -1);
  },
  describe: (table) => table,
  scopeFor: () => true,
  explainMiss(table, rules) {
    return rules.length > 0
      ? `db.create only covers tables named ${JSON.stringify(`${"app_<installation>_"}*`)}, not ${JSON.stringify(table)}`
      : undefined;
  },
});
