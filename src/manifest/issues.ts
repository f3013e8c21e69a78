import type { z } from "zod";
import { allowedKeysAt } from "./schema.ts";

/**
 * Manifest problems as paths and sentences: what zod reports, reworded in the words of the
 * manifest ("expected a list, got the string …"), before parse.ts attaches line and column.
 */
export type Path = readonly (string | number)[];
export interface PathIssue {
  readonly path: Path;
  readonly message: string;
  /** Point at this key of the object at `path` rather than at the object. */
  readonly key?: string;
}

export function formatPath(path: Path): string {
  let out = "";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : out === "" ? part : `.${part}`;
  return out;
}

export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

export function valueAt(data: unknown, path: Path): unknown {
  let v: unknown = data;
  for (const part of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[part];
  }
  return v;
}

/** Turn zod's issues into messages that say what is expected, in the words of the manifest. */
export function fromZod(issues: readonly z.core.$ZodIssue[], data: unknown, base: Path = []): PathIssue[] {
  const out: PathIssue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
    const value = valueAt(data, path);
    switch (issue.code) {
      case "unrecognized_keys": {
        const allowed = allowedKeysAt(path);
        for (const key of issue.keys) {
          const hint = allowed ? `: expected one of ${allowed.join(", ")}` : "";
          out.push({ path, key, message: `unknown key ${JSON.stringify(key)}${hint}` });
        }
        break;
      }
      case "invalid_union": {
        // An entry is "a string or an object": report against the branch of the value's own type.
        const branch = issue.errors.find(
          (b) => !b.every((i) => i.code === "invalid_type" && i.path.length === 0),
        );
        if (branch && value !== null && typeof value === "object" && !Array.isArray(value)) {
          out.push(...fromZod(branch, data, path));
        } else {
          const expected = issue.errors
            .flatMap((b) => b.filter((i) => i.path.length === 0 && i.code === "invalid_type"))
            .map((i) => (i.code === "invalid_type" ? i.expected : ""))
            .filter((e, i, all) => e !== "" && all.indexOf(e) === i);
          const what = expected.length > 0 ? expected.join(" or ") : "another value";
          out.push({
            path,
            message: `expected ${what.replace("object", "a mapping")}, got ${describeValue(value)}`,
          });
        }
        break;
      }
      case "invalid_type":
        out.push({
          path,
          message:
            value === undefined
              ? `is required (${issue.expected})`
              : `expected ${issue.expected === "object" ? "a mapping" : issue.expected === "array" ? "a list" : issue.expected}, got ${describeValue(value)}`,
        });
        break;
      case "invalid_value":
        out.push({
          path,
          message: `${describeValue(value)} is not allowed: use one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`,
        });
        break;
      case "invalid_format":
        out.push({ path, message: `${describeValue(value)} is not valid: ${issue.message}` });
        break;
      default:
        out.push({ path, message: issue.message });
    }
  }
  return out;
}
