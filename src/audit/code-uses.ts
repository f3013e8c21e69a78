import { type Comment, type Node, parse } from "acorn";
import { BundleError } from "../errors.ts";

/** An argument as the code wrote it: a literal value, or `null` where it is computed at run time. */
export type LiteralArg = string | number | boolean | null | LiteralArg[] | { readonly dynamic: true };

/** One call of a `locara:*` function (or of the global `fetch`) found in an app's bundle. */
export interface CodeUse {
  /** `locara:run` … ; `fetch` (the global) is reported as `locara:net`. */
  readonly module: string;
  readonly fn: string;
  readonly args: readonly LiteralArg[];
  /** Where, as `src/app.ts:12` (the source file esbuild noted, the line in the bundle). */
  readonly at: string;
}

/** A module imported without any call of it being found (passed around, or only imported). */
export interface ModuleImport {
  readonly module: string;
  readonly names: readonly string[];
}

export const DYNAMIC = Object.freeze({ dynamic: true as const });

type AnyNode = Node & Record<string, unknown>;

function literal(node: AnyNode | null | undefined, depth = 0): LiteralArg {
  if (!node || depth > 8) return DYNAMIC;
  if (node.type === "Literal") {
    const value = node.value as unknown;
    return typeof value === "string" ||
      typeof value === "number" ||
      typeof value === "boolean" ||
      value === null
      ? value
      : DYNAMIC;
  }
  if (node.type === "TemplateLiteral" && (node.expressions as unknown[]).length === 0) {
    const quasi = (node.quasis as { value: { cooked: string | null } }[])[0];
    return quasi?.value.cooked ?? DYNAMIC;
  }
  if (node.type === "ArrayExpression") {
    return (node.elements as (AnyNode | null)[]).map((e) =>
      e?.type === "SpreadElement" ? DYNAMIC : literal(e, depth + 1),
    );
  }
  if (
    node.type === "UnaryExpression" &&
    node.operator === "-" &&
    (node.argument as AnyNode).type === "Literal"
  ) {
    const v = (node.argument as AnyNode).value;
    return typeof v === "number" ? -v : DYNAMIC;
  }
  return DYNAMIC;
}

/** Every child node, in source order. */
function* children(node: AnyNode): Generator<AnyNode> {
  for (const key of Object.keys(node)) {
    if (key === "loc" || key === "start" || key === "end") continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const v of value)
        if (v && typeof v === "object" && typeof (v as AnyNode).type === "string") yield v as AnyNode;
    } else if (value && typeof value === "object" && typeof (value as AnyNode).type === "string") {
      yield value as AnyNode;
    }
  }
}

/**
 * What an app's bundle calls: each `locara:*` function and the global `fetch`, with the
 * arguments that are literals. This reads code, it never runs it; a call made through a computed
 * name, `eval` or a value passed around is not seen (the host still checks every call at run time).
 */
export function findCodeUses(code: string, app: string): { uses: CodeUse[]; imports: ModuleImport[] } {
  const comments: Comment[] = [];
  let program: AnyNode;
  try {
    program = parse(code, {
      ecmaVersion: "latest",
      sourceType: "module",
      locations: true,
      onComment: comments,
    }) as unknown as AnyNode;
  } catch (error) {
    throw new BundleError(app, [`the bundled code does not parse: ${(error as Error).message}`]);
  }
  // esbuild marks each source file with a `// path` line comment: the file a position belongs to.
  const files = comments
    .filter((c) => c.type === "Line" && /^\s*[\w@./-]+\.[cm]?[jt]sx?\s*$/.test(c.value))
    .map((c) => ({ start: c.start, file: c.value.trim() }));
  const where = (node: AnyNode) => {
    let file = "bundle";
    for (const f of files) if (f.start < node.start) file = f.file;
    return `${file}:${(node.loc as { start: { line: number } }).start.line}`;
  };

  const named = new Map<string, { module: string; fn: string }>();
  const namespaces = new Map<string, string>();
  const imports = new Map<string, Set<string>>();
  for (const statement of program.body as AnyNode[]) {
    if (statement.type !== "ImportDeclaration") continue;
    const module = (statement.source as { value: string }).value;
    if (!module.startsWith("locara:")) continue;
    const names = imports.get(module) ?? new Set<string>();
    imports.set(module, names);
    for (const spec of statement.specifiers as AnyNode[]) {
      const local = (spec.local as { name: string }).name;
      if (spec.type === "ImportNamespaceSpecifier") namespaces.set(local, module);
      else {
        const fn =
          spec.type === "ImportDefaultSpecifier"
            ? "default"
            : ((spec.imported as { name?: string; value?: string }).name ??
              String((spec.imported as { value?: string }).value));
        named.set(local, { module, fn });
        names.add(fn);
      }
    }
  }

  const uses: CodeUse[] = [];
  // An explicit stack, not recursion: a crafted bundle nested deeply must not overflow the host.
  const stack: AnyNode[] = [program];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === "CallExpression") {
      const callee = node.callee as AnyNode;
      let target: { module: string; fn: string } | undefined;
      if (callee.type === "Identifier") {
        const name = callee.name as string;
        target = named.get(name) ?? (name === "fetch" ? { module: "locara:net", fn: "fetch" } : undefined);
      } else if (
        callee.type === "MemberExpression" &&
        (callee.object as AnyNode).type === "Identifier" &&
        !callee.computed
      ) {
        const object = (callee.object as { name: string }).name;
        const property = (callee.property as { name: string }).name;
        const module = namespaces.get(object);
        if (module) target = { module, fn: property };
        else if (object === "globalThis" && property === "fetch")
          target = { module: "locara:net", fn: "fetch" };
      }
      if (target) {
        uses.push({ ...target, args: (node.arguments as AnyNode[]).map((a) => literal(a)), at: where(node) });
      }
    }
    stack.push(...[...children(node)].reverse());
  }
  return { uses, imports: [...imports].map(([module, names]) => ({ module, names: [...names].sort() })) };
}
