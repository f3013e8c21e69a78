import { posix } from "node:path";
import { InvalidResourceError } from "../../errors.ts";
import { literalArg, parseCommand } from "../../manifest/scopes/run.ts";
import type { ArgPattern, RunScope } from "../../manifest/scopes/types.ts";
import { defineCapability, type Matcher } from "../capability.ts";

export interface RunResource {
  /** A bare program name or a normalised absolute path: the resolved program when the host gave one. */
  readonly command: string;
  /** The program as the app named it (argv[0]), for messages and deny rules. */
  readonly given: string;
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
    const given = parseCommand(argv[0].startsWith("/") ? posix.normalize(argv[0]) : argv[0]);
    if (typeof given !== "string") throw new InvalidResourceError("run", argv, given.message);
    const program = request.program;
    if (
      program !== undefined &&
      (typeof program !== "string" ||
        !program.startsWith("/") ||
        program.includes("\0") ||
        posix.normalize(program) !== program)
    ) {
      throw new InvalidResourceError(
        "run",
        program,
        "the resolved program must be a normalised absolute path",
      );
    }
    return { command: program ?? given, given, args: argv.slice(1) };
  },
  compile(rules, _ctx, mode): Matcher<RunResource> {
    // Allow: the program must be exactly the declared one: the path pinned at approval when
    // there is one, else the name or path as declared. Deny: any program of that name, wherever
    // it lives, so a deny cannot be sidestepped by spelling the path differently.
    const byCommand = new Map<string, { index: number; name: string; args: readonly ArgPattern[] }[]>();
    rules.forEach(({ scope, pinned }, index) => {
      const key = mode === "deny" ? basename(scope.command) : (pinned ?? scope.command);
      const list = byCommand.get(key) ?? [];
      list.push({ index, name: basename(scope.command), args: scope.args });
      byCommand.set(key, list);
    });
    const first = (key: string, r: RunResource, sameName: boolean) => {
      for (const c of byCommand.get(key) ?? []) {
        if ((!sameName || c.name === basename(r.given)) && argsMatch(c.args, r.args)) return c.index;
      }
      return -1;
    };
    return (r) => {
      // Allow: the resolved program must be the pinned one AND be called by the declared name:
      // a multi-call binary (busybox) pinned for "ls" must not run as "rm" (it picks by argv[0]).
      if (mode === "allow") return first(r.command, r, true);
      // A deny matches the name the app used and the program it resolved to (a link named "ls"
      // to a multi-call binary is still denied as whatever name the deny gives).
      const a = first(basename(r.command), r, false);
      const b = r.given === r.command ? -1 : first(basename(r.given), r, false);
      return a < 0 ? b : b < 0 ? a : Math.min(a, b);
    };
  },
  describe: (r) => [quote(r.given), ...r.args.map(quote)].join(" "),
  scopeFor: (r) => ({ command: r.command, args: r.args.map(literalArg) }),
  explainMiss(r, rules) {
    const same = rules.filter(({ scope, pinned }) => (pinned ?? scope.command) === r.command);
    if (same.length === 0) {
      // Declared commands as the manifest names them; the pins are what they were checked against.
      const declared = [...new Set(rules.map(({ scope }) => scope.command))];
      const list = declared.length === 0 ? "none" : declared.join(", ");
      const pinnedElsewhere = rules.find(
        ({ scope, pinned }) =>
          pinned !== undefined && (scope.command === r.given || scope.command === basename(r.given)),
      );
      const pin = pinnedElsewhere
        ? ` (${pinnedElsewhere.scope.command} was pinned to ${pinnedElsewhere.pinned} at approval; this is ${r.command})`
        : "";
      return `argument 0 is ${JSON.stringify(r.given)}, declared commands: ${list}${pin}`;
    }
    const misses = same.map(({ scope }) => firstMismatch(scope.args, r.args)).filter((m) => m !== undefined);
    const best = misses.sort((a, b) => b.at - a.at)[0];
    if (!best) return undefined;
    return best.got === undefined
      ? `argument ${best.at} is missing, expected ${best.expected}`
      : `argument ${best.at} is ${JSON.stringify(best.got)}, expected ${best.expected}`;
  },
});
