/**
 * An engine-neutral workload: installations of ~20 allow and ~5 deny rules over fs, net, env,
 * run and table scopes, and requests for each (about half granted), from a seeded PRNG so every
 * run and every engine sees the same thing. Only forms all three engines can express are used:
 * plain fs paths (no globs), hosts and `*.host`, env names and prefixes, run with literal / `*` /
 * trailing `**` arguments, exact tables.
 */

export interface RunRule {
  readonly command: string;
  readonly args: readonly string[];
}

export interface InstallationSpec {
  readonly id: string;
  readonly fsRead: readonly string[];
  readonly fsDeny: readonly string[];
  readonly hosts: readonly string[];
  readonly wildcards: readonly string[];
  readonly netDeny: readonly string[];
  readonly env: readonly string[];
  readonly envPrefixes: readonly string[];
  readonly envDeny: readonly string[];
  readonly run: readonly RunRule[];
  readonly runDeny: readonly string[];
  readonly tablesRead: readonly string[];
  readonly tablesWrite: readonly string[];
}

export type Request =
  | { readonly kind: "fs.read"; readonly path: string }
  | { readonly kind: "net"; readonly host: string }
  | { readonly kind: "env"; readonly name: string }
  | { readonly kind: "run"; readonly argv: readonly string[] }
  | { readonly kind: "db.read" | "db.write"; readonly table: string };

/** mulberry32: small, fast, good enough for a benchmark's choices. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ["data", "logs", "media", "reports", "cache", "inbox", "exports", "models", "notes", "photos"];

export function installation(i: number, rand: () => number): InstallationSpec {
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
  const words = [...WORDS].sort(() => rand() - 0.5).slice(0, 5);
  const fsRead = words.map((w) => `/srv/t${i}/${w}`);
  return {
    id: `/apps/t${i}`,
    fsRead,
    fsDeny: [`${fsRead[0]}/secret`, `${fsRead[1]}/.git`],
    hosts: [0, 1, 2].map((k) => `api${k}.t${i}.example.com`),
    wildcards: [0, 1].map((k) => `cdn${k}-t${i}.net`),
    netDeny: [`bad.cdn0-t${i}.net`],
    env: [0, 1, 2].map((k) => `VAR${k}_T${i}`),
    envPrefixes: [`APP_T${i}_`],
    envDeny: [`APP_T${i}_SECRET`],
    run: [
      { command: "du", args: ["-sh", "*"] },
      { command: "readlink", args: ["-f", "*"] },
      { command: pick(["git", "hg"]), args: ["log", "**"] },
    ],
    runDeny: ["rm"],
    tablesRead: [`t${i}_clients`, `t${i}_orders`],
    tablesWrite: [`t${i}_orders`],
  };
}

/** About half of these are granted; the rest hit a deny rule, a near miss or nothing declared. */
export function requestsFor(spec: InstallationSpec): Request[] {
  const [d0, d1, d2] = spec.fsRead;
  const vcs = spec.run[2]!.command;
  return [
    { kind: "fs.read", path: `${d0}/2026/11/report.csv` },
    { kind: "fs.read", path: `${d1}/a.txt` },
    { kind: "fs.read", path: d2! },
    { kind: "fs.read", path: `${d0}/secret/key.pem` },
    { kind: "fs.read", path: `${d1}/.git/config` },
    { kind: "fs.read", path: `${d2}base/x` },
    { kind: "fs.read", path: "/etc/passwd" },
    { kind: "net", host: spec.hosts[0]! },
    { kind: "net", host: spec.hosts[2]! },
    { kind: "net", host: `img.${spec.wildcards[0]}` },
    { kind: "net", host: `a.b.${spec.wildcards[1]}` },
    { kind: "net", host: spec.wildcards[0]! },
    { kind: "net", host: spec.netDeny[0]! },
    { kind: "net", host: `${spec.wildcards[1]}.evil.com` },
    { kind: "env", name: spec.env[1]! },
    { kind: "env", name: `${spec.envPrefixes[0]}REGION` },
    { kind: "env", name: spec.envDeny[0]! },
    { kind: "env", name: "PATH" },
    { kind: "run", argv: ["du", "-sh", d0!] },
    { kind: "run", argv: [vcs, "log", "--oneline", "-n", "5"] },
    { kind: "run", argv: ["du", "-a", d0!] },
    { kind: "run", argv: ["rm", "-rf", "/"] },
    { kind: "db.read", table: spec.tablesRead[1]! },
    { kind: "db.write", table: spec.tablesRead[0]! },
  ];
}
