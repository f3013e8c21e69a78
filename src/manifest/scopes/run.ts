import { posix } from "node:path";
import {
  type ArgPattern,
  q,
  type RunScope,
  type ScopeMode,
  type ScopeResult,
  scopeError,
  scopeOk,
} from "./types.ts";

const BARE_COMMAND = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;

/** A command is a bare program name or an absolute path without `..`; never a shell string. */
export function parseCommand(command: string): string | { ok: false; message: string } {
  if (command.includes("\0")) return scopeError(`command ${q(command)} contains a NUL character`);
  if (command.startsWith("/")) {
    if (command.split("/").includes("..")) return scopeError(`command ${q(command)} contains ".."`);
    return posix.normalize(command);
  }
  if (/\s/.test(command)) {
    return scopeError(
      `command ${q(command)} contains spaces: give the program alone and its arguments as args, e.g. { command: du, args: ["-sh", "*"] }`,
    );
  }
  if (!BARE_COMMAND.test(command)) {
    return scopeError(
      `command ${q(command)} is not a program name or an absolute path: use "du" or "/usr/bin/du"`,
    );
  }
  return command;
}

/**
 * `*` is exactly one argument, `**` (last only) is all remaining arguments, anything else is a
 * literal; a leading backslash makes the rest literal (`\*` is a literal star).
 */
export function parseArgPatterns(
  args: readonly string[],
): readonly ArgPattern[] | { ok: false; message: string } {
  const patterns: ArgPattern[] = [];
  for (const [i, arg] of args.entries()) {
    if (arg.includes("\0")) return scopeError(`args[${i}] contains a NUL character`);
    if (arg === "**") {
      if (i !== args.length - 1)
        return scopeError(`args[${i}] is "**", which matches the rest and so must come last`);
      patterns.push({ type: "rest" });
    } else if (arg === "*") {
      patterns.push({ type: "one" });
    } else if (arg.startsWith("\\")) {
      patterns.push({ type: "literal", value: arg.slice(1) });
    } else if (arg.includes("*")) {
      return scopeError(
        `args[${i}] ${q(arg)} mixes text and "*": an argument pattern is a literal, "*" (one argument) or "**" (the rest); write "\\\\*" for a literal star`,
      );
    } else {
      patterns.push({ type: "literal", value: arg });
    }
  }
  return patterns;
}

/** An argument as a pattern that matches exactly it (a literal star stays literal). */
export function literalArg(value: string): string {
  return value === "*" || value === "**" || value.startsWith("\\") ? `\\${value}` : value;
}

/** The canonical entry (manifest object form) of a run scope. */
export function runEntry(scope: Pick<RunScope, "command" | "args">): { command: string; args: string[] } {
  return {
    command: scope.command,
    args: scope.args.map((a) => (a.type === "one" ? "*" : a.type === "rest" ? "**" : literalArg(a.value))),
  };
}

function formatArg(arg: ArgPattern): string {
  if (arg.type === "one") return "*";
  if (arg.type === "rest") return "**";
  const v = arg.value;
  if (v === "*" || v === "**" || v.startsWith("\\")) return q(`\\${v}`);
  return v === "" || /[\s"'\\]/.test(v) ? q(v) : v;
}

export function formatRunScope(scope: Pick<RunScope, "command" | "args">): string {
  const command = /[\s"'\\]/.test(scope.command) ? q(scope.command) : scope.command;
  return [command, ...scope.args.map(formatArg)].join(" ");
}

/**
 * In an allow rule, absent `args` means "no arguments" (empty never means everything); in a deny
 * rule it means "any arguments", because a deny rule must cover at least what it names.
 */
export function parseRunScope(
  command: string,
  args: readonly string[] | undefined,
  mode: ScopeMode,
): ScopeResult<RunScope> {
  const cmd = parseCommand(command);
  if (typeof cmd !== "string") return cmd;
  let patterns: readonly ArgPattern[];
  if (args === undefined) {
    patterns = mode === "deny" ? [{ type: "rest" }] : [];
  } else {
    const parsed = parseArgPatterns(args);
    if (!Array.isArray(parsed)) return parsed as { ok: false; message: string };
    patterns = parsed;
  }
  const scope: RunScope = { type: "run", command: cmd, args: patterns };
  return scopeOk(scope, formatRunScope(scope));
}
