import { constants, type Dirent, lstatSync, type Stats } from "node:fs";
import { lstat, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { posix } from "node:path";
import { InvalidResourceError, IoError, LocaraError } from "../errors.ts";
import type { HostModule } from "../sandbox/host-calls.ts";
import { guarded, type PluginContext } from "./context.ts";
import { canonicalPath, openVerifiedDir, parentAndName, pathChanged, type VerifiedDir } from "./fs-path.ts";

const { O_RDONLY, O_WRONLY, O_CREAT, O_TRUNC, O_APPEND, O_NOFOLLOW, O_NONBLOCK } = constants;
/** The most a read returns into the guest. */
export const MAX_READ_BYTES = 8 * 1024 * 1024;

const EXPLAIN: Readonly<Record<string, string>> = {
  ENOENT: "there is no such file or folder",
  ENOTDIR: "a part of the path is not a folder",
  EISDIR: "it is a folder",
  ENOTEMPTY: "the folder is not empty",
  EEXIST: "it already exists",
  EACCES: "the host's user may not",
  EPERM: "the host's user may not",
  EXDEV: "it cannot be moved to another file system",
  EFBIG: `it is larger than a read may return (${MAX_READ_BYTES} bytes)`,
  ENOTREG: "it is not a regular file",
};

function typeOf(entry: Stats | Dirent): "file" | "dir" | "link" | "other" {
  return entry.isFile() ? "file" : entry.isDirectory() ? "dir" : entry.isSymbolicLink() ? "link" : "other";
}

/**
 * `locara:fs`. Every operation: canonicalise the path (symlinks resolved), decide on the canonical
 * path, then act through a verified handle on its parent folder (see openVerifiedDir), never
 * following a link in the last component. A link that points outside the grant is denied because
 * its target is what gets checked; a link swapped in after the check is refused.
 */
export function fsModule(ctx: PluginContext): HostModule {
  const home = ctx.policy.context.home;

  /** Decide `kind` on the canonical path, then run `op` with the verified parent folder. */
  const inParent = async <T>(
    call: string,
    kind: "fs.read" | "fs.write",
    raw: unknown,
    op: (dir: VerifiedDir, name: string, path: string) => Promise<T>,
    followLast = true,
  ) => {
    const path = await canonicalPath(kind, raw, home, { followLast });
    return guarded(ctx, call, { kind, resource: path }, async () => {
      const { parent, name } = parentAndName(kind, path);
      const dir = await openVerifiedDir(kind, parent).catch((error: unknown) => rethrow(error, call, path));
      try {
        return await op(dir, name, path);
      } catch (error) {
        return rethrow(error, call, path);
      } finally {
        await dir.close();
      }
    });
  };

  const rethrow = (error: unknown, call: string, path: string): never => {
    if (error instanceof LocaraError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? "EIO";
    if (code === "ELOOP") throw pathChanged("fs", path);
    if (code === "ERR_FS_EISDIR")
      throw new IoError(
        ctx.installation,
        "remove",
        path,
        "EISDIR",
        "it is a folder: remove it with { recursive: true }",
      );
    throw new IoError(
      ctx.installation,
      call.replace("locara:fs.", ""),
      path,
      code,
      EXPLAIN[code] ?? "the file system refused",
    );
  };

  const read = async (dir: VerifiedDir, name: string): Promise<Buffer> => {
    const handle = await open(dir.at(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) {
        throw Object.assign(new Error("not a regular file"), {
          code: stats.isDirectory() ? "EISDIR" : "ENOTREG",
        });
      }
      if (stats.size > MAX_READ_BYTES) throw Object.assign(new Error("too large"), { code: "EFBIG" });
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  };

  const write = async (dir: VerifiedDir, name: string, text: unknown, flags: number) => {
    if (typeof text !== "string" && !Buffer.isBuffer(text)) {
      throw new InvalidResourceError(
        "fs.write",
        typeof text,
        "write text (a string) or bytes (a Uint8Array)",
      );
    }
    const handle = await open(dir.at(name), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | flags, 0o644);
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw Object.assign(new Error("not a regular file"), { code: "ENOTREG" });
      await handle.writeFile(text);
      return null;
    } finally {
      await handle.close();
    }
  };

  return {
    name: "locara:fs",
    functions: {
      readFile: ([path]) => inParent("locara:fs.readFile", "fs.read", path, read),
      readTextFile: ([path]) =>
        inParent("locara:fs.readTextFile", "fs.read", path, async (dir, name) =>
          (await read(dir, name)).toString("utf8"),
        ),
      writeFile: ([path, text]) =>
        inParent("locara:fs.writeFile", "fs.write", path, (dir, name) => write(dir, name, text, O_TRUNC)),
      appendFile: ([path, text]) =>
        inParent("locara:fs.appendFile", "fs.write", path, (dir, name) => write(dir, name, text, O_APPEND)),
      stat: ([path]) =>
        inParent("locara:fs.stat", "fs.read", path, async (dir, name) => {
          const stats = lstatSync(dir.at(name));
          if (stats.isSymbolicLink()) throw Object.assign(new Error("link"), { code: "ELOOP" });
          return { type: typeOf(stats), size: stats.size, mtimeMs: stats.mtimeMs, mode: stats.mode & 0o7777 };
        }),
      readDir: async ([raw]) => {
        const path = await canonicalPath("fs.read", raw, home);
        return guarded(ctx, "locara:fs.readDir", { kind: "fs.read", resource: path }, async () => {
          const dir = await openVerifiedDir("fs.read", path).catch((error: unknown) =>
            rethrow(error, "locara:fs.readDir", path),
          );
          try {
            const entries = await readdir(dir.at(), { withFileTypes: true });
            return entries
              .map((e) => ({ name: e.name, type: typeOf(e) }))
              .sort((a, b) => (a.name < b.name ? -1 : 1));
          } catch (error) {
            return rethrow(error, "locara:fs.readDir", path);
          } finally {
            await dir.close();
          }
        });
      },
      mkdir: ([path]) =>
        inParent("locara:fs.mkdir", "fs.write", path, (dir, name) => mkdir(dir.at(name)).then(() => null)),
      remove: ([path, options]) =>
        inParent(
          "locara:fs.remove",
          "fs.write",
          path,
          async (dir, name) => {
            const recursive =
              typeof options === "object" &&
              options !== null &&
              (options as { recursive?: unknown }).recursive === true;
            const stats = await lstat(dir.at(name));
            // rm never follows links: a link is removed itself, its target never.
            await rm(dir.at(name), { recursive: recursive && stats.isDirectory() });
            return null;
          },
          false,
        ),
      rename: async ([from, to]) => {
        const target = await canonicalPath("fs.write", to, home, { followLast: false });
        // Both ends need write: decide the target first, then move from inside the source's grant.
        return guarded(ctx, "locara:fs.rename", { kind: "fs.write", resource: target }, () =>
          inParent(
            "locara:fs.rename",
            "fs.write",
            from,
            async (fromDir, fromName) => {
              const { parent, name } = parentAndName("fs.write", target);
              const toDir = await openVerifiedDir("fs.write", posix.normalize(parent));
              try {
                await rename(fromDir.at(fromName), toDir.at(name));
                return null;
              } finally {
                await toDir.close();
              }
            },
            false,
          ),
        );
      },
    },
  };
}
