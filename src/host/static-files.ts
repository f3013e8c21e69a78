import { readFile, realpath, stat } from "node:fs/promises";
import { extname, join, sep } from "node:path";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
};

/** Largest static file served. */
export const STATIC_LIMIT = 16 * 1024 * 1024;

/**
 * A file below `root` named by URL path segments (still percent-encoded), or undefined when there
 * is none. Invariant: the file served is inside `root` after every link is resolved; `..`, an
 * encoded slash or a NUL in a segment is refused before the file system is asked.
 */
export async function readStatic(
  root: string,
  encoded: string,
): Promise<{ body: Buffer; type: string } | undefined> {
  const segments: string[] = [];
  for (const raw of encoded.split("/").filter((s) => s !== "")) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === "." || segment === ".." || /[/\\\0]/.test(segment)) return undefined;
    segments.push(segment);
  }
  let base: string;
  try {
    base = await realpath(root);
  } catch {
    return undefined;
  }
  let file = join(base, ...segments);
  try {
    file = await realpath(file);
    if (file !== base && !file.startsWith(base + sep)) return undefined; // a link out of the folder
    let info = await stat(file);
    if (info.isDirectory()) {
      file = await realpath(join(file, "index.html"));
      if (!file.startsWith(base + sep)) return undefined;
      info = await stat(file);
    }
    if (!info.isFile() || info.size > STATIC_LIMIT) return undefined;
    return {
      body: await readFile(file),
      type: TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
    };
  } catch {
    return undefined;
  }
}
