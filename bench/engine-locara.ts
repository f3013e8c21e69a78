import { parseManifest } from "../src/manifest/parse.ts";
import { approveAll, type CompiledPolicy, compilePolicy } from "../src/policy/compile.ts";
import { decide } from "../src/policy/decide.ts";
import type { PolicyRequest } from "../src/policy/types.ts";
import type { InstallationSpec, Request } from "./workload.ts";

export function manifestText(spec: InstallationSpec): string {
  return JSON.stringify({
    name: "bench-app",
    version: "1.0.0",
    entry: "app.ts",
    permissions: {
      "fs.read": spec.fsRead,
      net: [...spec.hosts, ...spec.wildcards.map((w) => `*.${w}`)],
      env: [...spec.env, ...spec.envPrefixes.map((p) => `${p}*`)],
      run: spec.run,
      "db.read": spec.tablesRead,
      "db.write": spec.tablesWrite,
      deny: { "fs.read": spec.fsDeny, net: spec.netDeny, env: spec.envDeny, run: spec.runDeny },
    },
  });
}

export function compileLocara(spec: InstallationSpec): CompiledPolicy {
  const manifest = parseManifest(manifestText(spec), { file: "locara.json" });
  return compilePolicy({ manifest, installation: spec.id, approvals: approveAll(manifest, "approved") });
}

export function locaraRequest(r: Request): PolicyRequest {
  switch (r.kind) {
    case "fs.read":
      return { kind: r.kind, resource: r.path };
    case "net":
      return { kind: r.kind, resource: r.host };
    case "env":
      return { kind: r.kind, resource: r.name };
    case "run":
      return { kind: r.kind, argv: r.argv };
    default:
      return { kind: r.kind, resource: r.table };
  }
}

export function locaraDecide(policy: CompiledPolicy, request: PolicyRequest): boolean {
  return decide(policy, request, 0).state === "granted";
}
