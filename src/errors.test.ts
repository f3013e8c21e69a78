import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, InvalidResourceError, LocaraError, ManifestError, PermissionError } from "./errors.ts";

const dir = new URL("../docs/errors/", import.meta.url);

describe("error codes", () => {
  it("every code has a page in docs/errors that names it, and every page is a known code", () => {
    const pages = readdirSync(dir).filter((f) => f !== "README.md");
    expect(pages.map((f) => f.replace(/\.md$/, "")).sort()).toEqual([...ERROR_CODES].sort());
    const index = readFileSync(new URL("README.md", dir), "utf8");
    for (const code of ERROR_CODES) {
      const page = readFileSync(new URL(`${code}.md`, dir), "utf8");
      expect(page).toContain(`# ${code}`);
      expect(page).toContain("## How to fix it");
      expect(index).toContain(`(${code}.md)`);
    }
  });

  it("errors carry a stable code and plain data, and serialise without a stack", () => {
    const error = new InvalidResourceError("fs.read", "docs/a", 'the path must be absolute ("/…" or "~/…")');
    expect(error).toBeInstanceOf(LocaraError);
    expect(error.code).toBe("LOCARA_E_INVALID_RESOURCE");
    expect(error.data).toEqual({
      kind: "fs.read",
      resource: "docs/a",
      problem: 'the path must be absolute ("/…" or "~/…")',
    });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      code: error.code,
      message: error.message,
      data: error.data,
    });
    expect(JSON.stringify(error)).not.toContain("at ");
  });

  it("a manifest error lists each problem with its position", () => {
    const error = new ManifestError([
      { file: "locara.yaml", line: 7, column: 5, path: "permissions.net[2]", message: "bad" },
      { file: "locara.yaml", path: "", message: "empty" },
    ]);
    expect(error.message).toBe("locara.yaml:7:5: permissions.net[2]: bad\nlocara.yaml: empty");
    expect(new PermissionError("LOCARA_E_DENIED", "m", {}).name).toBe("PermissionError");
  });
});
