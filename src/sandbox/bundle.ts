import { createHash } from "node:crypto";
import { realpath } from "node:fs/promises";
import { builtinModules } from "node:module";
import { isAbsolute, join, relative, sep } from "node:path";
import { build, type Plugin } from "esbuild";
import { BundleError } from "../errors.ts";

export interface Bundle {
  /** One ES module; its only imports are `locara:*` modules. */
  readonly code: string;
  /** sha256 of the code, hex: what an approval or an audit record pins. */
  readonly hash: string;
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * Invariant: the bundle contains only files whose real path is inside the app folder, and its
 * only imports are `locara:*` modules. Host modules (`fs`, `node:child_process`, …), files outside
 * the folder (`../x`, absolute paths, a node_modules package symlinked elsewhere) are errors.
 */
function confine(root: string): Plugin {
  return {
    name: "locara-confine",
    setup(b) {
      b.onResolve({ filter: /^locara:/ }, (args) => ({ path: args.path, external: true }));
      b.onResolve({ filter: /.*/ }, (args) => {
        if (NODE_BUILTINS.has(args.path) || args.path.startsWith("node:")) {
          return { errors: [{ text: `${JSON.stringify(args.path)} is a host module` }] };
        }
        if (/^[a-z][a-z0-9+.-]*:/i.test(args.path) && !/^[a-z]:[\\/]/i.test(args.path)) {
          return { errors: [{ text: `${JSON.stringify(args.path)} is not a file of the app` }] };
        }
        return undefined;
      });
      b.onLoad({ filter: /.*/ }, async (args) => {
        const real = await realpath(args.path).catch(() => args.path);
        if (!inside(root, real)) {
          return { errors: [{ text: `${JSON.stringify(args.path)} is outside the app folder` }] };
        }
        return undefined;
      });
    },
  };
}

/** Bundle an app's entry (TypeScript or JavaScript, with its npm dependencies) into one module. */
export async function bundleApp(dir: string, entry: string, app = dir): Promise<Bundle> {
  const root = await realpath(dir).catch(() => {
    throw new BundleError(app, [`the app folder ${JSON.stringify(dir)} does not exist`]);
  });
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: [join(root, entry)],
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      target: "es2023",
      mainFields: ["module", "main"],
      conditions: ["worker", "browser", "import", "default"],
      plugins: [confine(root)],
      logLevel: "silent",
      charset: "utf8",
      legalComments: "none",
    });
    const code = result.outputFiles[0]?.text ?? "";
    return { code, hash: createHash("sha256").update(code).digest("hex") };
  } catch (error) {
    const errors = (
      error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }
    ).errors;
    if (!errors) throw error;
    throw new BundleError(
      app,
      errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text)),
    );
  }
}
