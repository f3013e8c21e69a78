import { posix } from "node:path";
import { InvalidResourceError } from "../../errors.ts";
import { literalArg, parseCommand } from "../../manifest/scopes/run.ts";
import type { ArgPattern, RunScope } from "../../manifest/scopes/types.ts";
import { defineCapability, type Matcher } from "../capability.ts";

export interface RunResource {
  /** A bare program name or a normalised absolute path (the run plugin passes the resolved path). */
  readonly command: string;
  readonly args: readonly string[];
}

const quote = (a: string) => (a === "" || /[\s"'\\]/.test(a) ? JSON.stringify(a) : a);

/** Anchored at both ends: every argument is accounted for by exactly one pattern. */
export function argsMatch(patterns: readonly ArgPattern[], args: readonly string[]): boolean {
  for (let i = 0; i < patterns.length; i++) {
    const p = patterns[i]!;
    if (p.type === "rest") return true;
    if (i >= args.length) return false;
    if (p.type === "literal" && p.value !== args[i]) return false;
  }
  return args.length === patterns.length;
}

/** The first argument (1-based after the command) that a pattern list rejects, and what it expected. */
function firstMismatch(
  patterns: readonly ArgPattern[],
  args: readonly string[],
): { at: number; got?: string; expected: string } | undefined {
  for (let i = 0; i < patterns.length; i++) {
    const p = patterns[i]!;
    if (p.type === "rest") return undefined;
    if (i >= args.length)
      return { at: i + 1, expected: p.type === "one" ? "an argument" : JSON.stringify(p.value) };
    if (p.type === "literal" && p.value !== args[i])
      return { at: i + 1, got: args[i]!, expected: JSON.stringify(p.value) };
  }
  if (args.length > patterns.length)
    return { at: patterns.length + 1, got: args[patterns.length]!, expected: "no more arguments" };
  return undefined;
}

const basename = (command: string) => posix.basename(command);

export const run = defineCapability<RunScope, RunResource>({
  kind: "run",
  verb: "run",
  normalize(request) {
    const argv = request.argv ?? (request.resource === undefined ? undefined : [request.resource]);
    if (!Array.isArray(argv) || argv.length === 0 || typeof argv[0] !== "string" || argv[0] === "") {
      throw new InvalidResourceError("run", argv, "give the command and its arguments (argv)");
    }
    if (!argv.every((a): a is string => typeof a === "string" && !a.includes("\0"))) {
      throw new InvalidResourceError("run", argv, "every argument must be a string without NUL characters");
    }
    // Like fs paths, an absolute command is normalised lexically; the run plugin passes the
    // real path it resolved, so this only tidies what a caller spelled out.
    const command = parseCommand(argv[0].startsWith("/") ? posix.normalize(argv[0]) : argv[0]);
    if (typeof command !== "string") throw new InvalidResourceError("run", argv, command.message);
    return { command, args: argv.slice(1) };
  },
  compile(rules, _ctx, mode): Matcher<RunResource> {
    // Allow: the program must be exactly the declared one: the path pinned at approval when
    // there is one, else the name or path as declared. Deny: any program of that name, wherever
    // it lives, so a deny cannot be sidestepped by spelling the path differently.
    const byCommand = new Map<string, { index: number; args: readonly ArgPattern[] }[]>();
    rules.forEach(({ scope, pinned }, index) => {
      const key = mode === "deny" ? basename(scope.command) : (pinned ?? scope.command);
      const list = byCommand.get(key) ?? [];
      list.push({ index, args: scope.args });
      byCommand.set(key, list);
    });
    return (r) => {
      const candidates = byCommand.get(mode === "deny" ? basename(r.command) : r.command);
      if (!candidates) return -1;
      for (const c of candidates) if (argsMatch(c.args, r.args)) return c.index;
      return -1;
    };
  },
  describe: (r) => [quote(r.command), ...r.args.map(quote)].join(" "),
  scopeFor: (r) => ({ command: r.command, args: r.args.map(literalArg) }),
  explainMiss(r, rules) {
    const same = rules.filter(({ scope, pinned }) => (pinned ?? scope.command) === r.command);
    if (same.length === 0) {
      const declared = [...new Set(rules.map(({ scope, pinned }) => pinned ?? scope.command))];
      const list = declared.length === 0 ? "none" : declared.join(", ");
      const pinnedElsewhere = rules.find(
        ({ scope, pinned }) => pinned !== undefined && scope.command === r.command,
      );
      const pin = pinnedElsewhere
        ? ` ("${r.command}" was pinned to ${pinnedElsewhere.pinned} at approval)`
        : "";
      return `argument 0 is ${JSON.stringify(r.command)}, declared commands: ${list}${pin}`;
    }
    const misses = same.map(({ scope }) => firstMismatch(scope.args, r.args)).filter((m) => m !== undefined);
    const best = misses.sort((a, b) => b.at - a.at)[0];
    if (!best) return undefined;
    return best.got === undefined
      ? `argument ${best.at} is missing, expected ${best.expected}`
      : `argument ${best.at} is ${JSON.stringify(best.got)}, expected ${best.expected}`;
  },
});
