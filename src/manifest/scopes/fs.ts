import { posix } from "node:path";
import picomatch from "picomatch";
import { type FsScope, q, type ScopeResult, scopeError, scopeOk } from "./types.ts";

const MAX_PATH = 4096;

/**
 * `/abs/path`, `~`, `~/path`, or a glob of those. Invariant: a parsed fs scope is absolute or
 * home-relative, contains no `..` segment (so lexical matching cannot be walked out of), and never
 * covers the whole file system.
 */
export function parseFsScope(text: string): ScopeResult<FsScope> {
  if (text.length === 0) return scopeError(`an empty path covers nothing: use "/path" or "~/path"`);
  if (text.length > MAX_PATH) return scopeError(`path is longer than ${MAX_PATH} characters`);
  if (text.includes("\0")) return scopeError(`${q(text)} contains a NUL character`);
  let home = "";
  let rest = text;
  if (text === "~" || text.startsWith("~/")) {
    home = "~";
    rest = text.slice(1) || "/";
  } else if (!text.startsWith("/")) {
    return scopeError(`${q(text)} is not an absolute path: use "/path" or "~/path"`);
  }
  if (rest.split("/").includes("..")) {
    return scopeError(`${q(text)} contains "..": write the path it means without ".."`);
  }
  let normal = posix.normalize(rest);
  if (normal.length > 1 && normal.endsWith("/")) normal = normal.slice(0, -1);
  const path = home === "" ? normal : normal === "/" ? "~" : `~${normal}`;
  const scan = picomatch.scan(path);
  // A backslash escapes a glob character (`/data/a\*b` is the file "a*b"), so it is a glob.
  const glob = scan.isGlob || path.includes("\\");
  if (glob) {
    if (scan.negated)
      return scopeError(`${q(text)} is a negated glob: put what the app must not touch under deny`);
    if ((scan.base === "" || scan.base === "/") && path.includes("**")) {
      return scopeError(`${q(text)} covers the whole file system: name the folders the app needs`);
    }
    try {
      picomatch.makeRe(path);
    } catch (error) {
      return scopeError(
        `${q(text)} is not a valid glob (${(error as Error).message}): use *, **, ? and {a,b}`,
      );
    }
  } else if (path === "/") {
    return scopeError(`"/" covers the whole file system: name the folders the app needs`);
  }
  return scopeOk({ type: "fs", path, glob }, path);
}
