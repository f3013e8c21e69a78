import type { Manifest } from "../manifest/types.ts";
import { approveAll, compilePolicy } from "../policy/compile.ts";
import { decide } from "../policy/decide.ts";
import type { PolicyRequest } from "../policy/types.ts";
import { type CodeUse, DYNAMIC, findCodeUses, type LiteralArg, type ModuleImport } from "./code-uses.ts";

/** What the audit concluded about one call in the code. */
export type Verdict =
  /** A declared permission covers it (literal arguments checked against the manifest). */
  | "declared"
  /** Nothing declared covers it: it will fail at run time. */
  | "undeclared"
  /** Its arguments are computed at run time: the host checks them then. */
  | "dynamic"
  /** The app's own storage or its own permission queries: nothing to declare. */
  | "own";

export interface AuditedUse extends CodeUse {
  readonly kind?: string;
  /** The resource as the literal arguments give it (for `run`, the argv). */
  readonly resource?: string;
  readonly verdict: Verdict;
  /** Why: the engine's reason for an undeclared use, or what was computed. */
  readonly why?: string;
}

export interface AuditedPermission {
  readonly kind: string;
  readonly text: string;
  readonly key: string;
  readonly reason?: string;
  /** Where the code seems to use it; empty for a permission the code never seems to use. */
  readonly usedAt: readonly string[];
}

/** The static audit of an app: what it declares beside what its code uses. */
export interface AuditReport {
  readonly app: string;
  readonly version: string;
  readonly bundleHash: string;
  readonly declared: readonly AuditedPermission[];
  readonly uses: readonly AuditedUse[];
  readonly imports: readonly ModuleImport[];
  /** Uses nothing declares: they will fail at run time. */
  readonly undeclared: number;
  /** Declared permissions the code never seems to use: least-privilege hints. */
  readonly unused: number;
}

const FS_READ = new Set(["readFile", "readTextFile", "readDir", "stat"]);
const FS_WRITE = new Set(["writeFile", "appendFile", "mkdir", "remove", "rename"]);
const isDynamic = (a: LiteralArg | undefined) =>
  a === undefined || a === DYNAMIC || (typeof a === "object" && a !== null && !Array.isArray(a));
const text = (a: LiteralArg | undefined) => (typeof a === "string" ? a : undefined);

/** The policy requests a call makes, as far as its literal arguments tell; `dynamic` where not. */
function requestsOf(use: CodeUse): { kind?: string; requests: PolicyRequest[]; dynamic?: string } | "own" {
  const [a0, a1] = use.args;
  switch (use.module) {
    case "locara:fs": {
      const kind = FS_READ.has(use.fn) ? "fs.read" : FS_WRITE.has(use.fn) ? "fs.write" : undefined;
      if (!kind) return { requests: [], dynamic: `locara:fs has no ${use.fn}` };
      const paths = use.fn === "rename" ? [a0, a1] : [a0];
      if (paths.some(isDynamic) || !paths.every((p) => typeof p === "string")) {
        return { kind, requests: [], dynamic: "the path is computed at run time" };
      }
      return { kind, requests: paths.map((p) => ({ kind, resource: p as string })) };
    }
    case "locara:env":
      if (use.fn === "list") return "own";
      return text(a0) === undefined
        ? { kind: "env", requests: [], dynamic: "the name is computed at run time" }
        : { kind: "env", requests: [{ kind: "env", resource: text(a0)! }] };
    case "locara:sys":
      return text(a0) === undefined
        ? { kind: "sys", requests: [], dynamic: "the kind is computed at run time" }
        : { kind: "sys", requests: [{ kind: "sys", resource: text(a0)! }] };
    case "locara:run": {
      const command = text(a0);
      if (command === undefined)
        return { kind: "run", requests: [], dynamic: "the command is computed at run time" };
      const args = a1 === undefined ? [] : a1;
      if (!Array.isArray(args) || args.some((x) => typeof x !== "string")) {
        return {
          kind: "run",
          requests: [{ kind: "run", argv: [command] }],
          dynamic: "arguments computed at run time",
        };
      }
      return { kind: "run", requests: [{ kind: "run", argv: [command, ...(args as string[])] }] };
    }
    case "locara:net":
      return text(a0) === undefined
        ? { kind: "net", requests: [], dynamic: "the URL is computed at run time" }
        : { kind: "net", requests: [{ kind: "net", resource: text(a0)! }] };
    default:
      return "own";
  }
}

/**
 * Audit an app without running it: find what its bundle calls, check each literal use against
 * the manifest as if everything declared were approved, and list declared permissions the code
 * never seems to use. A use with computed arguments is reported as dynamic (checked at run time).
 */
export function auditApp(options: {
  manifest: Manifest;
  bundle: { code: string; hash: string };
  home?: string;
}): AuditReport {
  const { manifest, bundle } = options;
  const { uses, imports } = findCodeUses(bundle.code, manifest.name);
  const policy = compilePolicy({
    manifest,
    installation: manifest.name,
    ...(options.home === undefined ? {} : { home: options.home }),
    approvals: approveAll(manifest, "approved"),
  });
  const usedBy = new Map<string, string[]>();
  const kindsUsedDynamically = new Set<string>();
  const audited: AuditedUse[] = uses.map((use) => {
    const found = requestsOf(use);
    if (found === "own") return { ...use, verdict: "own" };
    const kind = found.kind;
    const base = { ...use, ...(kind === undefined ? {} : { kind }) };
    let resource: string | undefined;
    for (const request of found.requests) {
      let decision: ReturnType<typeof decide>;
      try {
        decision = decide(policy, request, 0);
      } catch (error) {
        return { ...base, verdict: "undeclared", why: (error as Error).message };
      }
      resource = decision.resource;
      if (decision.state !== "granted") {
        // A run whose arguments are computed: only the command is known; it is enough if it is declared.
        if (found.dynamic && request.kind === "run") {
          const declared = manifest.permissions.some(
            (p) => p.kind === "run" && (p.scope as { command: string }).command === request.argv?.[0],
          );
          if (declared) break;
        }
        return { ...base, resource, verdict: "undeclared", why: decision.reason };
      }
      if (decision.permission)
        usedBy.set(decision.permission, [...(usedBy.get(decision.permission) ?? []), use.at]);
    }
    if (found.dynamic) {
      if (kind) kindsUsedDynamically.add(kind);
      if (found.requests.length > 0 && kind === "run") {
        const command = found.requests[0]!.argv![0]!;
        for (const p of manifest.permissions) {
          if (p.kind === "run" && (p.scope as { command: string }).command === command) {
            usedBy.set(p.key, [...(usedBy.get(p.key) ?? []), use.at]);
          }
        }
      }
      return {
        ...base,
        ...(resource === undefined ? {} : { resource }),
        verdict: "dynamic",
        why: found.dynamic,
      };
    }
    return { ...base, ...(resource === undefined ? {} : { resource }), verdict: "declared" };
  });
  const declared: AuditedPermission[] = manifest.permissions.map((p) => {
    const at = usedBy.get(p.key) ?? [];
    // A computed use of the same kind might be the one that needs it: not a hint then.
    const usedAt =
      at.length === 0 && kindsUsedDynamically.has(p.kind) && p.kind !== "run"
        ? ["(computed at run time)"]
        : at;
    return {
      kind: p.kind,
      text: p.text,
      key: p.key,
      ...(p.reason === undefined ? {} : { reason: p.reason }),
      usedAt,
    };
  });
  return {
    app: manifest.name,
    version: manifest.version,
    bundleHash: bundle.hash,
    declared,
    uses: audited,
    imports,
    undeclared: audited.filter((u) => u.verdict === "undeclared").length,
    unused: declared.filter((d) => d.usedAt.length === 0).length,
  };
}

const callText = (use: CodeUse) => {
  const show = (a: LiteralArg): string =>
    a === DYNAMIC || (typeof a === "object" && a !== null && !Array.isArray(a))
      ? "…"
      : Array.isArray(a)
        ? `[${a.map(show).join(", ")}]`
        : JSON.stringify(a);
  const name =
    use.module === "locara:net" && use.fn === "fetch" ? "fetch" : `${use.module.slice(7)}.${use.fn}`;
  return `${name}(${use.args.map(show).join(", ")})`;
};

/** The report as people read it (Clace's shape): declared permissions, then what the code does. */
export function formatAuditReport(report: AuditReport, states?: ReadonlyMap<string, string>): string {
  const lines: string[] = [
    `Audit of ${report.app} ${report.version} (bundle sha256:${report.bundleHash.slice(0, 12)})`,
  ];
  lines.push("", "Declared permissions:");
  if (report.declared.length === 0) lines.push("  (none)");
  for (const d of report.declared) {
    const state = states?.get(d.key);
    const used = d.usedAt.length === 0 ? "never used by the code" : `used at ${d.usedAt.join(", ")}`;
    lines.push(`  ${d.kind} ${d.text}${state ? `  [${state}]` : ""}`);
    lines.push(`      reason: ${d.reason ?? "(none given)"}; ${used}`);
  }
  const undeclared = report.uses.filter((u) => u.verdict === "undeclared");
  if (undeclared.length > 0) {
    lines.push("", "Code uses nothing declares (these will fail at run time):");
    for (const u of undeclared) lines.push(`  ${u.at}  ${callText(u)}: ${u.why ?? "not declared"}`);
  }
  const dynamic = report.uses.filter((u) => u.verdict === "dynamic");
  if (dynamic.length > 0) {
    lines.push("", "Code uses checked only at run time (arguments computed):");
    for (const u of dynamic) lines.push(`  ${u.at}  ${callText(u)}: ${u.why}`);
  }
  const unused = report.declared.filter((d) => d.usedAt.length === 0);
  if (unused.length > 0) {
    lines.push("", "Declared but never used by the code (least privilege: consider removing):");
    for (const d of unused) lines.push(`  ${d.kind} ${d.text}`);
  }
  return `${lines.join("\n")}\n`;
}
