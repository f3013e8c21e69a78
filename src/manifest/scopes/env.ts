import { type EnvScope, q, type ScopeResult, scopeError, scopeOk } from "./types.ts";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A variable name, or a name prefix ending in `*`. Case-sensitive; `*` alone is refused (no allow-all). */
export function parseEnvScope(text: string): ScopeResult<EnvScope> {
  const prefix = text.endsWith("*");
  const name = prefix ? text.slice(0, -1) : text;
  if (prefix && name === "")
    return scopeError(`"*" would expose every variable: name them, or a prefix such as "APP_*"`);
  if (!ENV_NAME.test(name)) {
    return scopeError(
      `${q(text)} is not a variable name: use letters, digits and "_", optionally ending in "*"`,
    );
  }
  return scopeOk({ type: "env", name, prefix }, text);
}
