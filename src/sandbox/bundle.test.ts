import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BundleError } from "../errors.ts";
import { bundleApp } from "./bundle.ts";
import type { HostModule } from "./host-calls.ts";
import { runModule } from "./run-module.ts";
import { EngineSlot } from "./slot.ts";

let root: string;
const slot = new EngineSlot("/apps/bundled", {
  memoryMb: 32,
  cpuMsPerRequest: 500,
  wallMsPerRequest: 2000,
  stackKb: 128,
});
afterAll(() => slot.dispose());

async function file(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "locara-bundle-"));
  await file("outside/secret.js", "export const secret = 'outside';\n");
  await file(
    "app/node_modules/tiny-lib/package.json",
    JSON.stringify({ name: "tiny-lib", main: "index.js" }),
  );
  await file(
    "app/node_modules/tiny-lib/index.js",
    "export function shout(s) { return s.toUpperCase() + '!'; }\n",
  );
  // biome-ignore lint/suspicious/noTemplateCurlyInString: this is source code for the app
  await file("app/src/greet.ts", "export function greet(name: string): string { return `hello ${name}`; }\n");
  await file(
    "app/src/app.ts",
    `import { get } from "locara:env";
import { shout } from "tiny-lib";
import { greet } from "./greet.ts";
const who: string = (await get("USER")) ?? "nobody";
export default shout(greet(who));
`,
  );
});

const env: HostModule = {
  name: "locara:env",
  functions: { get: ([name]) => (name === "USER" ? "ada" : null) },
};

describe("bundling app code", () => {
  it("bundles TypeScript and npm dependencies into one module that runs in the sandbox", async () => {
    const bundle = await bundleApp(join(root, "app"), "src/app.ts");
    expect(bundle.code).toContain('from "locara:env"');
    expect(bundle.code).not.toMatch(/from\s+"(?!locara:)/);
    expect(bundle.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await runModule(await slot.acquire(), bundle.code, [env])).toEqual({
      ok: true,
      value: "HELLO ADA!",
    });
    expect((await bundleApp(join(root, "app"), "src/app.ts")).hash).toBe(bundle.hash);
  });

  it.each([
    ["a host module", 'import fs from "node:fs"; export default fs;', '"node:fs" is a host module'],
    [
      "a bare host module",
      'import { execSync } from "child_process"; export default execSync;',
      '"child_process" is a host module',
    ],
    [
      "a file outside the app",
      'import { secret } from "../../outside/secret.js"; export default secret;',
      "is outside the app folder",
    ],
    [
      "an absolute path outside",
      `import { secret } from ${JSON.stringify("/etc/passwd")}; export default secret;`,
      "outside the app folder",
    ],
    ["a URL", 'import x from "https://evil.example/x.js"; export default x;', "is not a file of the app"],
    ["a syntax error", "export default (;", "src/bad.ts:1"],
  ])("refuses %s, naming it", async (_what, code, message) => {
    await file("app/src/bad.ts", code);
    const error = await bundleApp(join(root, "app"), "src/bad.ts", "/apps/demo").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BundleError);
    expect((error as BundleError).message).toContain(message);
    expect((error as BundleError).message).toMatch(/^app \/apps\/demo cannot be bundled: /);
  });

  it("refuses a dependency symlinked from outside the app folder", async () => {
    await file("elsewhere/evil-lib/package.json", JSON.stringify({ name: "evil-lib", main: "index.js" }));
    await file("elsewhere/evil-lib/index.js", "export default 'from outside';\n");
    await symlink(join(root, "elsewhere/evil-lib"), join(root, "app/node_modules/evil-lib"));
    await file("app/src/linked.ts", 'import v from "evil-lib"; export default v;');
    await expect(bundleApp(join(root, "app"), "src/linked.ts")).rejects.toThrow("is outside the app folder");
  });
});
