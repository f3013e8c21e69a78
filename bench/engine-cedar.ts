import { preparsePolicySet, statefulIsAuthorized } from "@cedar-policy/cedar-wasm/nodejs";
import type { InstallationSpec, Request } from "./workload.ts";

/**
 * The same rules as Cedar policies, one preparsed policy set per installation. Requests carry
 * what Cedar needs in the context (for paths, the set of the path and its ancestors, since Cedar
 * has no component-wise prefix test); those contexts are built before timing, so Cedar is timed
 * on its evaluation alone.
 */
const s = (v: string) => JSON.stringify(v);
const on = (action: string, cond: string) =>
  `(principal, action == Action::${s(action)}, resource) when { ${cond} };`;

function runCondition(command: string, args: readonly string[]): string {
  const rest = args.at(-1) === "**";
  const fixed = rest ? args.slice(0, -1) : args;
  const parts = [
    `context.cmd == ${s(command)}`,
    rest ? `context.argc >= ${fixed.length}` : `context.argc == ${fixed.length}`,
  ];
  fixed.forEach((a, i) => {
    if (a !== "*") parts.push(`context.a${i} == ${s(a)}`);
  });
  return parts.join(" && ");
}

export function cedarPolicies(spec: InstallationSpec): string {
  const p: string[] = [];
  for (const d of spec.fsRead) p.push(`permit${on("fs.read", `context.paths.contains(${s(d)})`)}`);
  for (const d of spec.fsDeny) p.push(`forbid${on("fs.read", `context.paths.contains(${s(d)})`)}`);
  for (const h of spec.hosts) p.push(`permit${on("net", `context.host == ${s(h)}`)}`);
  for (const w of spec.wildcards) p.push(`permit${on("net", `context.host like ${s(`*.${w}`)}`)}`);
  for (const h of spec.netDeny) p.push(`forbid${on("net", `context.host == ${s(h)}`)}`);
  for (const e of spec.env) p.push(`permit${on("env", `context.name == ${s(e)}`)}`);
  for (const e of spec.envPrefixes) p.push(`permit${on("env", `context.name like ${s(`${e}*`)}`)}`);
  for (const e of spec.envDeny) p.push(`forbid${on("env", `context.name == ${s(e)}`)}`);
  for (const r of spec.run) p.push(`permit${on("run", runCondition(r.command, r.args))}`);
  for (const c of spec.runDeny) p.push(`forbid${on("run", `context.cmd == ${s(c)}`)}`);
  for (const t of spec.tablesRead) p.push(`permit${on("db.read", `context.table == ${s(t)}`)}`);
  for (const t of spec.tablesWrite) p.push(`permit${on("db.write", `context.table == ${s(t)}`)}`);
  return p.join("\n");
}

export function compileCedar(spec: InstallationSpec): string {
  const answer = preparsePolicySet(spec.id, { staticPolicies: cedarPolicies(spec) });
  if (answer.type !== "success") throw new Error(`cedar: ${JSON.stringify(answer.errors)}`);
  return spec.id;
}

function ancestors(path: string): string[] {
  const out = [path];
  for (let cut = path.lastIndexOf("/"); cut > 0; cut = path.lastIndexOf("/", cut - 1))
    out.push(path.slice(0, cut));
  return out;
}

type Context = Record<string, string | number | string[]>;

function context(r: Request): Context {
  switch (r.kind) {
    case "fs.read":
      return { paths: ancestors(r.path) };
    case "net":
      return { host: r.host };
    case "env":
      return { name: r.name };
    case "run": {
      const ctx: Context = { cmd: r.argv[0]!, argc: r.argv.length - 1 };
      r.argv.slice(1).forEach((a, i) => {
        ctx[`a${i}`] = a;
      });
      return ctx;
    }
    default:
      return { table: r.table };
  }
}

export type CedarCall = Parameters<typeof statefulIsAuthorized>[0];

export function cedarRequest(policySetId: string, r: Request): CedarCall {
  return {
    principal: { type: "App", id: policySetId },
    action: { type: "Action", id: r.kind },
    resource: { type: "Resource", id: "r" },
    context: context(r),
    entities: [],
    preparsedPolicySetId: policySetId,
  };
}

export function cedarDecide(call: CedarCall): boolean {
  const answer = statefulIsAuthorized(call);
  if (answer.type !== "success") throw new Error(`cedar: ${JSON.stringify(answer.errors)}`);
  return answer.response.decision === "allow";
}
