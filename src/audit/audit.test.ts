import { describe, expect, it } from "vitest";
import { BundleError } from "../errors.ts";
import { parseManifest } from "../manifest/parse.ts";
import { auditApp, formatAuditReport } from "./audit-report.ts";
import { findCodeUses } from "./code-uses.ts";

const manifest = parseManifest(`name: notes
version: 1.2.0
entry: app.ts
permissions:
  run:
    - { command: du, args: ["-sh", "--", "*"], reason: "measure folders" }
  fs.read:
    - { path: "~/notes", reason: "the notes it shows" }
    - { path: "/srv/unused", reason: "left over" }
  env: [{ name: HOME, reason: "where home is" }]
  net: [{ host: api.example.com, reason: "the sync service" }]
`);

const audit = (code: string) =>
  auditApp({ manifest, bundle: { code, hash: "ab".repeat(32) }, home: "/home/ada" });

describe("the static audit reads what the code calls, without running it", () => {
  it("finds calls through named, renamed and namespace imports and the global fetch, with literal arguments", () => {
    const { uses, imports } = findCodeUses(
      `// src/app.ts
import { run as exec } from "locara:run";
import * as fs from "locara:fs";
import { get } from "locara:env";
await exec("du", ["-sh", "--", "/tmp"]);
await fs.readTextFile(\`~/notes/a.md\`);
await get(name);
await fetch("https://api.openai.com/v1/chat", { method: "POST" });
// src/lib/util.ts
await exec("rm", ["-rf", ...paths]);`,
      "notes",
    );
    expect(uses.map((u) => [u.module, u.fn, u.args, u.at])).toEqual([
      ["locara:run", "run", ["du", ["-sh", "--", "/tmp"]], "src/app.ts:5"],
      ["locara:fs", "readTextFile", ["~/notes/a.md"], "src/app.ts:6"],
      ["locara:env", "get", [{ dynamic: true }], "src/app.ts:7"],
      ["locara:net", "fetch", ["https://api.openai.com/v1/chat", { dynamic: true }], "src/app.ts:8"],
      ["locara:run", "run", ["rm", ["-rf", { dynamic: true }]], "src/lib/util.ts:10"],
    ]);
    expect(imports).toEqual([
      { module: "locara:run", names: ["run"] },
      { module: "locara:fs", names: [] },
      { module: "locara:env", names: ["get"] },
    ]);
  });

  it("reports uses nothing declares, with the engine's reason, and declared permissions never used", () => {
    const report = audit(`// src/app.ts
import { run } from "locara:run";
import { readTextFile } from "locara:fs";
import { get } from "locara:env";
await run("du", ["-sh", "--", "/tmp"]);
await run("rm", ["-rf", "/tmp/x"]);
await readTextFile("~/notes/today.md");
await readTextFile("/etc/passwd");
await get("HOME");
await fetch("https://api.openai.com/v1/chat");`);
    expect(report.uses.map((u) => [u.at, u.verdict])).toEqual([
      ["src/app.ts:5", "declared"],
      ["src/app.ts:6", "undeclared"],
      ["src/app.ts:7", "declared"],
      ["src/app.ts:8", "undeclared"],
      ["src/app.ts:9", "declared"],
      ["src/app.ts:10", "undeclared"],
    ]);
    expect(report.uses[1]?.why).toContain('argument 0 is "rm", declared commands: du');
    expect(report.uses[5]?.why).toContain('"https://api.openai.com"');
    expect(report.undeclared).toBe(3);
    expect(report.declared.filter((d) => d.usedAt.length === 0).map((d) => d.key)).toEqual([
      "fs.read /srv/unused",
      "net api.example.com",
    ]);
    const text = formatAuditReport(report, new Map([["run du -sh -- *", "pending"]]));
    expect(text).toContain("run du -sh -- *  [pending]");
    expect(text).toContain("reason: measure folders; used at src/app.ts:5");
    expect(text).toContain('src/app.ts:6  run.run("rm", ["-rf", "/tmp/x"])');
    expect(text).toContain(
      "Declared but never used by the code (least privilege: consider removing):\n  fs.read /srv/unused",
    );
  });

  it("computed arguments are checked at run time; a declared command with computed arguments counts as used", () => {
    const report = audit(`import { run } from "locara:run";
import { readDir } from "locara:fs";
await run("du", ["-sh", "--", folder]);
await readDir(folder);`);
    expect(report.uses.map((u) => u.verdict)).toEqual(["dynamic", "dynamic"]);
    expect(report.declared.find((d) => d.kind === "run")?.usedAt).toEqual(["bundle:3"]);
    expect(report.declared.find((d) => d.text === "~/notes")?.usedAt).toEqual(["(computed at run time)"]);
  });

  it("kv and permission queries are the app's own", () => {
    const report = audit(`import { get } from "locara:kv"; await get("k");`);
    expect(report.uses.map((u) => u.verdict)).toEqual(["own"]);
  });

  it("code that does not parse is a bundle error; deep nesting does not crash the host", () => {
    expect(() => findCodeUses("export default {", "notes")).toThrow(BundleError);
    const deep = `import { get } from "locara:env"; const x = ${"[".repeat(5000)}get("HOME")${"]".repeat(5000)};`;
    let result: unknown;
    try {
      result = findCodeUses(deep, "notes").uses.length;
    } catch (error) {
      result = error;
    }
    // Either it is audited, or it is refused as a bundle error: never a host crash.
    expect(result === 1 || result instanceof BundleError).toBe(true);
  });
});
