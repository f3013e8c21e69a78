import { accessSync, constants, realpathSync, statSync } from "node:fs";
import { posix } from "node:path";

/**
 * The program a command names, as a canonical absolute path: an absolute path as given, a bare
 * name looked up in `pathEnv` (absolute entries only; "." and relative entries are ignored), then
 * every symlink resolved. Undefined when nothing executable is found. A name containing "/" that
 * is not absolute is never looked up (no working-directory surprises).
 */
export function resolveProgram(command: string, pathEnv: string | undefined): string | undefined {
  if (command === "" || command.includes("\0")) return undefined;
  const candidates = command.includes("/")
    ? command.startsWith("/")
      ? [command]
      : []
    : (pathEnv ?? "")
        .split(":")
        .filter((dir) => dir.startsWith("/"))
        .map((dir) => posix.join(dir, command));
  for (const candidate of candidates) {
    try {
      const real = realpathSync.native(candidate);
      if (!statSync(real).isFile()) continue;
      accessSync(real, constants.X_OK);
      return real;
    } catch {
      // not here: the next PATH entry
    }
  }
  return undefined;
}

/**
 * The program each declared command resolves to on this host now, by permission key: what an
 * approval pins, and what the engine matches a not-yet-answered command against.
 */
export function pinsFor(
  permissions: readonly { readonly kind: string; readonly key: string; readonly scope: unknown }[],
  pathEnv: string | undefined,
): Record<string, string> {
  const pins: Record<string, string> = {};
  for (const p of permissions) {
    const pin =
      p.kind === "run" ? resolveProgram((p.scope as { command: string }).command, pathEnv) : undefined;
    if (pin) pins[p.key] = pin;
  }
  return pins;
}
