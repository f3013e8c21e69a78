import { posix } from "node:path";
import picomatch from "picomatch";
import { InvalidInputError, InvalidResourceError } from "../../errors.ts";
import type { CapabilityKind } from "../../manifest/kinds.ts";
import type { FsScope } from "../../manifest/scopes/types.ts";
import { type CompileContext, defineCapability, type Matcher } from "../capability.ts";

/** The home folder `~` stands for: absolute and normalised, or it is refused. */
function homeOf(ctx: CompileContext, what: string): string {
  const home = ctx.home;
  if (home === undefined) {
    throw new InvalidInputError(
      "policy",
      `${what} uses "~" but no home folder was given: pass home when compiling`,
    );
  }
  if (
    !home.startsWith("/") ||
    home.includes("\0") ||
    posix.normalize(home) !== home ||
    (home.length > 1 && home.endsWith("/"))
  ) {
    throw new InvalidInputError(
      "policy",
      `home ${JSON.stringify(home)} must be an absolute, normalised path`,
    );
  }
  return home;
}

function expand(path: string, ctx: CompileContext, what: string): string {
  if (path === "~") return homeOf(ctx, what);
  if (path.startsWith("~/")) {
    const home = homeOf(ctx, what);
    return home === "/" ? path.slice(1) : home + path.slice(1);
  }
  return path;
}

const NOT_CANONICAL = /\/\/|\/\.\.?(?:\/|$)|.\/$/;

const GLOB_CHARS = /[*?[\]{}()!+@\\]/g;

/**
 * Lexical canonical form of a requested path: `~` expanded, absolute, `.`/`..`/`//` resolved, no
 * trailing slash. Resolving symlinks is the fs plugin's job: it passes the real path it will open.
 */
export function canonicalPath(kind: CapabilityKind, raw: string | undefined, ctx: CompileContext): string {
  if (typeof raw !== "string" || raw.length === 0)
    throw new InvalidResourceError(kind, raw, "give an absolute path");
  if (raw.includes("\0")) throw new InvalidResourceError(kind, raw, "a path cannot contain a NUL character");
  const expanded = expand(raw, ctx, `${kind} ${JSON.stringify(raw)}`);
  if (!expanded.startsWith("/")) {
    throw new InvalidResourceError(kind, raw, 'the path must be absolute ("/…" or "~/…")');
  }
  // Already canonical (no ".", "..", "//" segments, no trailing slash): nothing to do.
  if (!NOT_CANONICAL.test(expanded)) return expanded;
  const normal = posix.normalize(expanded);
  return normal.length > 1 && normal.endsWith("/") ? normal.slice(0, -1) : normal;
}

function fsCapability(kind: "fs.read" | "fs.write", verb: string) {
  return defineCapability<FsScope, string>({
    kind,
    verb,
    normalize: (request, ctx) => canonicalPath(kind, request.resource, ctx),
    compile(rules, ctx, mode): Matcher<string> {
      // A plain path covers itself and everything below it, component-wise: an ancestor walk over
      // a hash map, so "/data" covers "/data/x" but never "/database".
      const plain = new Map<string, number>();
      const globs: { index: number; test: (p: string) => boolean }[] = [];
      rules.forEach(({ scope }, index) => {
        const what = `${kind} scope ${JSON.stringify(scope.path)}`;
        if (!scope.glob) {
          const path = expand(scope.path, ctx, what);
          if (!plain.has(path)) plain.set(path, index);
          return;
        }
        let pattern = scope.path;
        if (pattern === "~" || pattern.startsWith("~/"))
          pattern = homeOf(ctx, what).replace(GLOB_CHARS, "\\$&") + pattern.slice(1);
        // Allow globs match dotfiles only where the glob names the dot. Deny globs match dotfiles
        // too, and everything below a matched folder, so a deny always covers what it names.
        const patterns = mode === "deny" ? [pattern, `${pattern}/**`] : [pattern];
        const test = picomatch(patterns, { dot: mode === "deny" });
        globs.push({ index, test });
      });
      // Only prefixes as long as some declared path can match: most ancestors are never hashed.
      const lengths = new Set([...plain.keys()].map((p) => p.length));
      const root = plain.get("/");
      return (path) => {
        let best = root ?? -1;
        if (lengths.has(path.length)) {
          const hit = plain.get(path);
          if (hit !== undefined && (best < 0 || hit < best)) best = hit;
        }
        for (let cut = path.indexOf("/", 1); cut > 0; cut = path.indexOf("/", cut + 1)) {
          if (!lengths.has(cut)) continue;
          const hit = plain.get(path.slice(0, cut));
          if (hit !== undefined && (best < 0 || hit < best)) best = hit;
        }
        for (const g of globs) if ((best < 0 || g.index < best) && g.test(path)) best = g.index;
        return best;
      };
    },
    describe: (path) => path,
    scopeFor: (path) => path.replace(GLOB_CHARS, "\\$&"),
  });
}

export const fsRead = fsCapability("fs.read", "read");
export const fsWrite = fsCapability("fs.write", "write");
