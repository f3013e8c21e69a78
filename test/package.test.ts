import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { version: string };

describe("the package as users get it", () => {
  it("npx locara runs the bin on the project's own Node 24, not the machine's Node 20", () => {
    const out = execFileSync("npx", ["--no-install", "locara", "--version"], { cwd: root, encoding: "utf8" });
    expect(out.trim()).toBe(pkg.version);
    const node = execFileSync("npx", ["--no-install", "node", "-p", "process.versions.node"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(Number(node.trim().split(".")[0])).toBeGreaterThanOrEqual(24);
  });

  it("exports locara, locara/policy and locara/manifest as ESM", () => {
    const script = `
      const root = await import("locara");
      const policy = await import("locara/policy");
      const manifest = await import("locara/manifest");
      console.log(JSON.stringify([typeof root.LocaraError, typeof policy.decide, typeof policy.compilePolicy, typeof manifest.parseManifest, typeof manifest.diffManifests]));
    `;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd: root,
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual(["function", "function", "function", "function", "function"]);
  });

  it("does not export internals outside the map", () => {
    const result = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", 'await import("locara/dist/policy/decide.js")'],
      {
        cwd: root,
        encoding: "utf8",
      },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });
});
