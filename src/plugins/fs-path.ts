import { closeSync, constants, openSync, readlinkSync, realpathSync } from "node:fs";
import { posix } from "node:path";
import { InvalidResourceError, PermissionError } from "../errors.ts";

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

/**
 * The canonical form of a guest path: `~` expanded with the installation's home, absolute,
 * normalised, and with symlinks resolved for the part of the path that exists (the rest is
 * appended as written). This is the path the permission engine checks. With `followLast: false`
 * a link in the last component is kept (remove and rename act on the link, not its target).
 */
export async function canonicalPath(
  kind: string,
  raw: unknown,
  home: string | undefined,
  options: { followLast?: boolean } = {},
): Promise<string> {
  if (typeof raw !== "string" || raw === "")
    throw new InvalidResourceError(kind, raw, "give an absolute path");
  if (raw.includes("\0")) throw new InvalidResourceError(kind, raw, "a path cannot contain a NUL character");
  let path = raw;
  if (path === "~" || path.startsWith("~/")) {
    if (home === undefined)
      throw new InvalidResourceError(kind, raw, "this installation has no home folder for ~");
    path = home + path.slice(1);
  }
  if (!path.startsWith("/"))
    throw new InvalidResourceError(kind, raw, 'the path must be absolute ("/…" or "~/…")');
  path = posix.normalize(path);
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  if (options.followLast === false && path !== "/") {
    // Operations on a name itself (remove, rename): resolve the folder, keep the last component.
    return posix.join(await canonicalPath(kind, posix.dirname(path), home), posix.basename(path));
  }
  const missing: string[] = [];
  let existing = path;
  for (;;) {
    try {
      const real = realpathSync.native(existing);
      return missing.length === 0 ? real : posix.join(real, ...missing.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== "ENOENT" && code !== "ENOTDIR") || existing === "/") throw error;
      missing.push(posix.basename(existing));
      existing = posix.dirname(existing);
    }
  }
}

/** A directory opened without following links and proven to be the directory that was checked. */
export interface VerifiedDir {
  readonly fd: number;
  /** The checked path, as a path the kernel resolves through the open directory itself. */
  at(name?: string): string;
  close(): Promise<void>;
}

function changed(kind: string, path: string): PermissionError {
  return new PermissionError(
    "LOCARA_E_DENIED",
    `${kind} ${JSON.stringify(path)} was refused: the path changed between the check and its use (a link was swapped in): try again`,
    { kind, resource: path, rule: "builtin fs path changed", state: "denied" },
  );
}

/**
 * Open `dir` (a canonical path) and verify through /proc/self/fd that the kernel opened exactly
 * that directory. Invariant: every later operation goes through `/proc/self/fd/N/name`, which
 * the kernel resolves from the opened directory, so swapping any component of the path for a
 * link after the check cannot redirect it (the *at() semantics Node does not expose).
 */
export async function openVerifiedDir(kind: string, dir: string): Promise<VerifiedDir> {
  // Short metadata calls, done synchronously: a few microseconds on a local disk, where a round
  // trip through libuv's thread pool costs tens.
  let fd: number;
  try {
    fd = openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") throw changed(kind, dir);
    throw error;
  }
  let actual = "";
  try {
    actual = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    // unreadable: treated as changed below
  }
  if (actual !== dir) {
    closeSync(fd);
    throw changed(kind, dir);
  }
  let open = true;
  return {
    fd,
    at: (name) => (name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`),
    close: async () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** Split a canonical path into its parent directory and last component. `/` has no parent. */
export function parentAndName(kind: string, path: string): { parent: string; name: string } {
  if (path === "/") throw new InvalidResourceError(kind, path, "the root folder itself cannot be the target");
  return { parent: posix.dirname(path), name: posix.basename(path) };
}

export { changed as pathChanged };
