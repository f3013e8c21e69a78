import { type Enforcer, newEnforcer, newModelFromString, StringAdapter } from "casbin";
import type { InstallationSpec, Request } from "./workload.ts";

/**
 * The same rules as casbin policies: one enforcer per installation, deny-override effect, each
 * rule a regular expression over a normalised object string (paths component-wise, argv joined
 * with a unit separator). Policies load from memory; nothing touches the disk while timing.
 */
const MODEL = `
[request_definition]
r = act, obj
[policy_definition]
p = act, obj, eft
[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))
[matchers]
m = r.act == p.act && regexMatch(r.obj, p.obj)
`;

const SEP = "\u001f";
const esc = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function runRegex(command: string, args: readonly string[]): string {
  const rest = args.at(-1) === "**";
  const fixed = rest ? args.slice(0, -1) : args;
  const parts = fixed.map((a) => (a === "*" ? `${SEP}[^${SEP}]*` : `${SEP}${esc(a)}`));
  return `^${esc(command)}${parts.join("")}${rest ? `(${SEP}.*)?` : ""}$`;
}

function rows(spec: InstallationSpec): string[][] {
  const r: string[][] = [];
  const add = (act: string, re: string, eft: "allow" | "deny") => r.push([act, re, eft]);
  for (const d of spec.fsRead) add("fs.read", `^${esc(d)}(/.*)?$`, "allow");
  for (const d of spec.fsDeny) add("fs.read", `^${esc(d)}(/.*)?$`, "deny");
  for (const h of spec.hosts) add("net", `^${esc(h)}$`, "allow");
  for (const w of spec.wildcards) add("net", `^.+\\.${esc(w)}$`, "allow");
  for (const h of spec.netDeny) add("net", `^${esc(h)}$`, "deny");
  for (const e of spec.env) add("env", `^${esc(e)}$`, "allow");
  for (const e of spec.envPrefixes) add("env", `^${esc(e)}`, "allow");
  for (const e of spec.envDeny) add("env", `^${esc(e)}$`, "deny");
  for (const x of spec.run) add("run", runRegex(x.command, x.args), "allow");
  for (const c of spec.runDeny) add("run", `^${esc(c)}(${SEP}.*)?$`, "deny");
  for (const t of spec.tablesRead) add("db.read", `^${esc(t)}$`, "allow");
  for (const t of spec.tablesWrite) add("db.write", `^${esc(t)}$`, "allow");
  return r;
}

export async function compileCasbin(spec: InstallationSpec): Promise<Enforcer> {
  // casbin's CSV reader splits on commas; our regexes contain none.
  const csv = rows(spec)
    .map((row) => `p, ${row.join(", ")}`)
    .join("\n");
  return newEnforcer(newModelFromString(MODEL), new StringAdapter(csv));
}

export function casbinRequest(r: Request): [string, string] {
  switch (r.kind) {
    case "fs.read":
      return [r.kind, r.path];
    case "net":
      return [r.kind, r.host];
    case "env":
      return [r.kind, r.name];
    case "run":
      return [r.kind, r.argv.join(SEP)];
    default:
      return [r.kind, r.table];
  }
}

export function casbinDecide(enforcer: Enforcer, request: [string, string]): boolean {
  return enforcer.enforceSync(request[0], request[1]);
}
