import { randomUUID } from "node:crypto";
import { cp, mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, join, posix } from "node:path";
import { type AuditReport, auditApp } from "../audit/audit-report.ts";
import { InvalidInputError } from "../errors.ts";
import { parseManifest } from "../manifest/parse.ts";
import type { Manifest } from "../manifest/types.ts";
import { type Bundle, bundleApp } from "../sandbox/bundle.ts";
import { loadManifest } from "./manifest-file.ts";

/** A version of an app, ready to be recorded: its copy staged, bundled and audited. */
export interface PreparedVersion {
  readonly manifest: Manifest;
  readonly manifestFile: string;
  readonly manifestText: string;
  readonly bundle: Bundle;
  readonly report: AuditReport;
  /** The staged copy of the app folder; `commit` moves it into place, `discard` removes it. */
  readonly staged: string;
}

/**
 * A mount path: absolute, lower-case segments of letters, digits, `-`, `_` and `.`, no `..`, no
 * trailing slash; `/` itself is allowed. It names the installation everywhere.
 */
export function checkMountPath(path: string): string {
  const segments = path.split("/").slice(1);
  const ok =
    path === "/" ||
    (path.startsWith("/") &&
      segments.every((s) => /^[a-z0-9][a-z0-9._-]*$/.test(s) && s !== "." && s !== "..") &&
      posix.normalize(path) === path &&
      path.length <= 200);
  if (!ok) {
    throw new InvalidInputError(
      path,
      'a mount path is "/" or "/" followed by lower-case names of letters, digits, "-", "_" and "." (e.g. /utils/disk_usage), without ".." or a trailing slash',
    );
  }
  return path;
}

/** Where an installation's versions are kept under the Locara home. */
export const versionDir = (home: string, installationId: string, version: number) =>
  join(home, "apps", installationId, `v${version}`);

/**
 * Copy the app folder into a staging folder, read its manifest from the copy, bundle the copy and
 * audit the bundle. No app code runs. Invariant: what is audited and recorded is exactly what was
 * copied; a later change to the source folder changes nothing installed. On any failure the
 * staging folder is removed and nothing is left behind.
 */
export async function prepareVersion(options: {
  dir: string;
  home: string;
  installation: string;
  userHome: string;
}): Promise<PreparedVersion> {
  const info = await stat(options.dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new InvalidInputError(options.dir, "no such app folder: give the folder that holds locara.yaml");
  }
  // Read the manifest where the user put it first, so errors name their folder, not the copy.
  await loadManifest(options.dir);
  const staged = join(options.home, "apps", `.staging-${randomUUID()}`);
  await mkdir(join(options.home, "apps"), { recursive: true, mode: 0o700 });
  try {
    // Links are copied as links: the bundler refuses any that lead outside the app folder.
    await cp(options.dir, staged, { recursive: true, verbatimSymlinks: true });
    const loaded = await loadManifest(staged);
    const manifestText = await readFile(loaded.path, "utf8");
    const manifestFile = basename(loaded.path);
    // Parse again from the text that is stored, so the stored text is the manifest that counts.
    const manifest = parseManifest(manifestText, { file: manifestFile });
    const bundle = await bundleApp(staged, manifest.entry, options.installation);
    const report = auditApp({ manifest, bundle, home: options.userHome });
    return { manifest, manifestFile, manifestText, bundle, report, staged };
  } catch (error) {
    await rm(staged, { recursive: true, force: true });
    throw error;
  }
}

/** Move a staged copy to its version folder (after the version is recorded). */
export async function commitStaged(staged: string, target: string): Promise<void> {
  await mkdir(join(target, ".."), { recursive: true, mode: 0o700 });
  await rm(target, { recursive: true, force: true });
  await rename(staged, target);
}

export async function discardStaged(staged: string): Promise<void> {
  await rm(staged, { recursive: true, force: true });
}
