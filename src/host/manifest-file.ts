import { readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { InvalidInputError, ManifestError, ManifestNotFoundError } from "../errors.ts";
import { MANIFEST_FILES, MAX_MANIFEST_BYTES, parseManifest } from "../manifest/parse.ts";
import type { Manifest } from "../manifest/types.ts";

export interface LoadedManifest {
  readonly manifest: Manifest;
  /** The file it was read from. */
  readonly path: string;
}

/** Read and parse an app's manifest, given the app folder or the manifest file itself. */
export async function loadManifest(target: string): Promise<LoadedManifest> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(target);
  } catch {
    throw new InvalidInputError(target, "no such file or folder: give an app folder or its locara.yaml");
  }
  let path = target;
  if (info.isDirectory()) {
    const found: string[] = [];
    for (const name of MANIFEST_FILES) {
      const candidate = join(target, name);
      if (
        await stat(candidate).then(
          (s) => s.isFile(),
          () => false,
        )
      )
        found.push(candidate);
    }
    if (found.length === 0) throw new ManifestNotFoundError(target);
    if (found.length > 1) {
      throw new InvalidInputError(
        target,
        `has ${found.map((f) => basename(f)).join(" and ")}: keep exactly one manifest`,
      );
    }
    path = found[0]!;
  } else if (info.size > MAX_MANIFEST_BYTES) {
    throw new ManifestError([
      { file: basename(path), path: "", message: `the manifest is larger than ${MAX_MANIFEST_BYTES} bytes` },
    ]);
  }
  const text = await readFile(path, "utf8");
  return { manifest: parseManifest(text, { file: basename(path) }), path };
}
