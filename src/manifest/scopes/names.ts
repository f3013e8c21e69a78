import { SYS_NAMES, UI_FEATURES, USER_SELECTED_MODES } from "../kinds.ts";
import { type NameScope, q, type ScopeResult, scopeError, scopeOk } from "./types.ts";

function oneOf(what: string, allowed: readonly string[]): (text: string) => ScopeResult<NameScope> {
  const set = new Set(allowed);
  return (text) =>
    set.has(text)
      ? scopeOk({ type: "name", name: text }, text)
      : scopeError(`${q(text)} is not a ${what}: use one of ${allowed.join(", ")}`);
}

function pattern(what: string, re: RegExp, hint: string): (text: string) => ScopeResult<NameScope> {
  return (text) =>
    re.test(text)
      ? scopeOk({ type: "name", name: text }, text)
      : scopeError(`${q(text)} is not a ${what}: ${hint}`);
}

export const parseSysScope = oneOf("system information kind", SYS_NAMES);
export const parseUiScope = oneOf("UI feature", UI_FEATURES);
export const parseUserSelectedScope = oneOf("user-selected file mode", USER_SELECTED_MODES);
export const parseTableScope = pattern(
  "table name",
  /^[a-z_][a-z0-9_]{0,62}$/,
  `use a lower-case name of letters, digits and "_" (at most 63 characters)`,
);
export const parseSecretScope = pattern(
  "secret name",
  /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/,
  `use letters, digits, "_", "." and "-"`,
);
