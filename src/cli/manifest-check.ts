import { relative } from "node:path";
import { ManifestError } from "../errors.ts";
import { loadManifest } from "../host/manifest-file.ts";
import type { DeclaredPermission, LocalizedText, Manifest } from "../manifest/types.ts";
import { manifestWarnings } from "../policy/warnings.ts";
import { EXIT, type Io } from "./io.ts";

const text = (t: LocalizedText) => (typeof t === "string" ? t : (t.en ?? Object.values(t)[0] ?? ""));

function grouped(list: readonly DeclaredPermission[]): Map<string, DeclaredPermission[]> {
  const groups = new Map<string, DeclaredPermission[]>();
  for (const p of list) groups.set(p.kind, [...(groups.get(p.kind) ?? []), p]);
  return groups;
}

function permissionLines(list: readonly DeclaredPermission[], indent: string): string[] {
  const lines: string[] = [];
  for (const [kind, perms] of grouped(list)) {
    lines.push(`${indent}${kind}`);
    const width = Math.max(...perms.map((p) => p.text.length));
    for (const p of perms) {
      const note = p.reason ?? "(no reason given)";
      const required = p.required === false ? " [optional]" : "";
      lines.push(`${indent}  ${p.text.padEnd(width)}  ${note}${required}`);
    }
  }
  return lines;
}

export function describeManifest(manifest: Manifest, file: string): string {
  const lines = [`${manifest.name} ${manifest.version} (entry ${manifest.entry}): ${file} is valid`];
  if (manifest.routes.length > 0) {
    lines.push("routes:");
    const width = Math.max(...manifest.routes.map((r) => r.path.length));
    for (const r of manifest.routes) {
      const keys = r.access === "keys" ? ` ${r.keys.join(", ")}` : "";
      lines.push(`  ${r.path.padEnd(width)}  ${r.access}${keys}${r.strict ? " (strict)" : ""}`);
    }
  }
  lines.push(
    manifest.permissions.length === 0
      ? "permissions: none (the app can reach nothing outside itself)"
      : "permissions:",
  );
  lines.push(...permissionLines(manifest.permissions, "  "));
  if (manifest.deny.length > 0) {
    lines.push("deny (always wins):");
    lines.push(...permissionLines(manifest.deny, "  "));
  }
  if (manifest.keys.length > 0) {
    lines.push("keys:");
    for (const k of manifest.keys) lines.push(`  ${k.key}  ${text(k.name)}`);
  }
  const warnings = manifestWarnings(manifest);
  if (warnings.length > 0) {
    lines.push("warnings:");
    for (const w of warnings) lines.push(`  ${w.at}: ${w.message}`);
  }
  const l = manifest.limits;
  lines.push(
    `limits: memory ${l.memoryMb} MiB, CPU ${l.cpuMsPerRequest} ms and wall ${l.wallMsPerRequest} ms per request`,
  );
  return `${lines.join("\n")}\n`;
}

function summary(manifest: Manifest) {
  const entry = ({ kind, text, reason, required, at }: DeclaredPermission) => ({
    kind,
    scope: text,
    ...(reason === undefined ? {} : { reason }),
    ...(required === undefined ? {} : { required }),
    at,
  });
  return { ...manifest, permissions: manifest.permissions.map(entry), deny: manifest.deny.map(entry) };
}

/** `locara manifest check DIR`: exit 0 valid, 1 invalid, 2 when there is nothing to check. */
export async function manifestCheck(io: Io, dir: string, json: boolean): Promise<number> {
  try {
    const { manifest, path } = await loadManifest(dir);
    const rel = relative(process.cwd(), path);
    const file = rel === "" || rel.startsWith("..") ? path : rel;
    io.out(
      json
        ? `${JSON.stringify({ valid: true, file, manifest: summary(manifest), warnings: manifestWarnings(manifest) })}\n`
        : describeManifest(manifest, file),
    );
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    if (json) io.out(`${JSON.stringify({ valid: false, error: error.toJSON() })}\n`);
    else io.err(`${error.message}\n`);
    return EXIT.no;
  }
}
