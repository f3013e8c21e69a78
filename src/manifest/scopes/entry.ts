import { z } from "zod";
import type { CapabilityKind } from "../kinds.ts";
import { parseEnvScope } from "./env.ts";
import { parseFsScope } from "./fs.ts";
import {
  parseSecretScope,
  parseSysScope,
  parseTableScope,
  parseUiScope,
  parseUserSelectedScope,
} from "./names.ts";
import { parseNetScope } from "./net.ts";
import { parseRunScope, runEntry } from "./run.ts";
import { parseTopicScope } from "./topic.ts";
import { type Scope, type ScopeMode, type ScopeResult, scopeError, scopeOk } from "./types.ts";

/** One permission entry as written: the scope alone, or an object with the scope and a reason. */
const reason = z
  .string()
  .min(1)
  .max(1000)
  .optional()
  .describe("Why the app needs this; shown to the admin in the audit report and at approval.");

function simpleEntry(field: string, description: string) {
  return z.union([
    z.string().describe(description),
    z.strictObject({ [field]: z.string().describe(description), reason }),
  ]);
}

const ENTRY_SCHEMAS = {
  "fs.read": simpleEntry("path", "An absolute or ~/ path (covers everything below it) or a glob."),
  "fs.write": simpleEntry("path", "An absolute or ~/ path (covers everything below it) or a glob."),
  net: simpleEntry(
    "host",
    'A host: "host", "host:port", "*.host", an IP, "[v6]", a CIDR; "http://host" allows plain http.',
  ),
  env: simpleEntry("name", 'An environment variable name, or a prefix ending in "*".'),
  run: z.union([
    z.string().describe("A program name or absolute path, run with no arguments."),
    z.strictObject({
      command: z
        .string()
        .describe("A program name (resolved on PATH and pinned at approval) or an absolute path."),
      args: z
        .array(z.string())
        .optional()
        .describe('The whole argument list: literals, "*" for one argument, "**" (last) for the rest.'),
      reason,
    }),
  ]),
  sys: simpleEntry("name", "A kind of system information."),
  "db.read": simpleEntry("table", "A table name."),
  "db.write": simpleEntry("table", "A table name."),
  "db.create": z.union([
    z.boolean().describe("true lets the app create its own tables, named app_<installation>_*."),
    z.strictObject({ reason }),
  ]),
  "events.publish": simpleEntry("topic", 'A dotted topic; "*" stands for one segment.'),
  "events.subscribe": simpleEntry("topic", 'A dotted topic; "*" stands for one segment.'),
  secrets: z.union([
    z.string().describe("A secret name."),
    z.strictObject({
      name: z.string().describe("A secret name."),
      required: z.boolean().optional().describe("Whether the app cannot start without it (default true)."),
      reason,
    }),
  ]),
  ui: simpleEntry("feature", "A UI placement: navigation, pages or widgets."),
  "fs.user-selected": simpleEntry("mode", "read or write: only files the user picks in the host's picker."),
} as const satisfies Record<CapabilityKind, z.ZodType>;

export function entrySchema<K extends CapabilityKind>(kind: K): (typeof ENTRY_SCHEMAS)[K] {
  return ENTRY_SCHEMAS[kind];
}

export interface ParsedEntry {
  readonly scope: Scope;
  /** The canonical text of the scope: the same scope always has the same text. */
  readonly text: string;
  /** The canonical entry: the scope text, or for `run` the object form, for `db.create` true. */
  readonly entry: unknown;
  readonly reason?: string;
  readonly required?: boolean;
}

const SCOPE_PARSERS: Record<Exclude<CapabilityKind, "run" | "db.create">, (text: string) => ScopeResult> = {
  "fs.read": parseFsScope,
  "fs.write": parseFsScope,
  net: parseNetScope,
  env: parseEnvScope,
  sys: parseSysScope,
  "db.read": parseTableScope,
  "db.write": parseTableScope,
  "events.publish": parseTopicScope,
  "events.subscribe": parseTopicScope,
  secrets: parseSecretScope,
  ui: parseUiScope,
  "fs.user-selected": parseUserSelectedScope,
};

const FIELD: Record<Exclude<CapabilityKind, "run" | "db.create">, string> = {
  "fs.read": "path",
  "fs.write": "path",
  net: "host",
  env: "name",
  sys: "name",
  "db.read": "table",
  "db.write": "table",
  "events.publish": "topic",
  "events.subscribe": "topic",
  secrets: "name",
  ui: "feature",
  "fs.user-selected": "mode",
};

type Failure = { readonly ok: false; readonly message: string };

/** Parse an entry whose shape the kind's entry schema already accepted. */
export function parseShapedEntry(
  kind: CapabilityKind,
  entry: unknown,
  mode: ScopeMode,
): ParsedEntry | Failure {
  const obj = typeof entry === "object" && entry !== null ? (entry as Record<string, unknown>) : undefined;
  const reasonText = typeof obj?.reason === "string" ? obj.reason : undefined;
  let result: ScopeResult;
  let required: boolean | undefined;
  if (kind === "db.create") {
    if (entry === false) return scopeError("db.create: false declares nothing; leave it out");
    result = scopeOk({ type: "switch" }, "true");
  } else if (kind === "run") {
    const command = typeof entry === "string" ? entry : String(obj?.command);
    const args = obj && Array.isArray(obj.args) ? (obj.args as string[]) : undefined;
    result = parseRunScope(command, args, mode);
  } else {
    const text = typeof entry === "string" ? entry : String(obj?.[FIELD[kind]]);
    result = SCOPE_PARSERS[kind](text);
    if (kind === "secrets") required = typeof obj?.required === "boolean" ? obj.required : true;
  }
  if (!result.ok) return result;
  const scope = result.scope;
  return {
    scope,
    text: result.text,
    entry: scope.type === "run" ? runEntry(scope) : scope.type === "switch" ? true : result.text,
    ...(reasonText === undefined ? {} : { reason: reasonText }),
    ...(required === undefined ? {} : { required }),
  };
}

/** Parse an entry of unknown shape (from a grants file, an approval, a server rule). */
export function parseScopeEntry(
  kind: CapabilityKind,
  entry: unknown,
  mode: ScopeMode,
): ParsedEntry | Failure {
  const shaped = ENTRY_SCHEMAS[kind].safeParse(entry);
  if (!shaped.success) {
    return scopeError(
      `${JSON.stringify(entry)} is not a ${kind} scope: ${shaped.error.issues.map((i) => i.message).join("; ")}`,
    );
  }
  return parseShapedEntry(kind, shaped.data, mode);
}

export function isFailure(value: ParsedEntry | Failure): value is Failure {
  return "ok" in value && value.ok === false;
}
