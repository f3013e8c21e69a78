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
