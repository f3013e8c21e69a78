import { InvalidResourceError } from "../../errors.ts";
import type { EnvScope } from "../../manifest/scopes/types.ts";
import { defineCapability } from "../capability.ts";

export const env = defineCapability<EnvScope, string>({
  kind: "env",
  verb: "read the environment variable",
  normalize(request) {
    const name = request.resource;
    if (typeof name !== "string" || name === "" || name.includes("=") || name.includes("\0")) {
      throw new InvalidResourceError("env", name, 'give a variable name (no "=" or NUL)');
    }
    return name;
  },
  compile(rules) {
    // Case-sensitive: HOME and home are different variables.
    const exact = new Map<string, number>();
    const prefixes: { index: number; prefix: string }[] = [];
    rules.forEach(({ scope }, index) => {
      if (scope.prefix) prefixes.push({ index, prefix: scope.name });
      else if (!exact.has(scope.name)) exact.set(scope.name, index);
    });
    return (name) => {
      let best = exact.get(name) ?? -1;
      for (const p of prefixes) if ((best < 0 || p.index < best) && name.startsWith(p.prefix)) best = p.index;
      return best;
    };
  },
  describe: (name) => name,
  scopeFor: (name) => name,
});
