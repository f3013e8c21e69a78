import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { LocaraError, ManifestError } from "../errors.ts";
import { parseManifest } from "./parse.ts";

const DESIGN_EXAMPLE = `name: disk-usage
version: 1.0.0
entry: src/app.ts
routes:
  - { path: /, access: public }
  - { path: /settings, access: private, strict: true }
permissions:
  run:
    - { command: du, args: ["-sh", "*"], reason: "measure folder sizes" }
    - { command: readlink, args: ["-f", "*"] }
  fs.read: ["~/Documents/**"]
  deny:
    fs.read: ["~/.ssh/**"]
keys:
  - { key: config.write, name: { en: "Edit configuration" } }
limits: { memoryMb: 64, cpuMsPerRequest: 1000, wallMsPerRequest: 30000 }
`;

/** The lines of the error a manifest raises (throws if it parses). */
function problems(text: string, file = "locara.yaml"): string[] {
  try {
    parseManifest(text, { file });
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return (error as ManifestError).message.split("\n");
  }
  throw new Error("expected the manifest to be refused");
}

const base = (permissions: string) =>
  `name: app\nversion: 1.0.0\nentry: app.ts\npermissions:\n${permissions}`;

describe("parseManifest: valid manifests", () => {
  it("parses DESIGN.md's example into canonical permissions", () => {
    const m = parseManifest(DESIGN_EXAMPLE);
    expect(m).toMatchObject({ name: "disk-usage", version: "1.0.0", entry: "src/app.ts" });
    expect(m.permissions.map((p) => p.key)).toEqual([
      "fs.read ~/Documents/**",
      "run du -sh *",
      "run readlink -f *",
    ]);
    expect(m.permissions.find((p) => p.key === "run du -sh *")?.reason).toBe("measure folder sizes");
    expect(m.deny.map((p) => p.key)).toEqual(["fs.read ~/.ssh/**"]);
    expect(m.routes).toEqual([
      { path: "/", access: "public", keys: [], strict: false },
      { path: "/settings", access: "private", keys: [], strict: true },
    ]);
    expect(m.keys).toEqual([{ key: "config.write", name: { en: "Edit configuration" } }]);
  });

  it("reads the same manifest from JSON identically", () => {
    const yaml = parseManifest(DESIGN_EXAMPLE);
    const json = parseManifest(JSON.stringify(parseYaml(DESIGN_EXAMPLE)), { file: "locara.json" });
    expect(json).toEqual(yaml);
  });

  it("fills limits with safe defaults", () => {
    expect(parseManifest("name: a\nversion: 1.0.0\nentry: a.ts\n").limits).toEqual({
      memoryMb: 64,
      cpuMsPerRequest: 1000,
      wallMsPerRequest: 30000,
    });
  });

  it("returns a deeply frozen manifest", () => {
    const m = parseManifest(DESIGN_EXAMPLE);
    expect(Object.isFrozen(m)).toBe(true);
    expect(Object.isFrozen(m.permissions)).toBe(true);
    expect(Object.isFrozen(m.permissions[0])).toBe(true);
    expect(Object.isFrozen(m.routes[0])).toBe(true);
  });

  it("canonicalises scopes so equal scopes have equal keys", () => {
    const m = parseManifest(
      base(`  fs.read: ["/data/", "//logs//x", "~", "/a/./b"]
  net: ["HOST.Example.COM.", "bücher.example", "[::1]:8080", "10.1.2.3/16", "http://Plain.example.org/"]
  env: ["APP_*"]
  run: [{ command: echo, args: ["\\\\*", "**"] }]
`),
    );
    expect(m.permissions.map((p) => p.text)).toEqual([
      "/data",
      "/logs/x",
      "~",
      "/a/b",
      "host.example.com",
      "xn--bcher-kva.example",
      "[::1]:8080",
      "10.1.0.0/16",
      "http://plain.example.org",
      "APP_*",
      'echo "\\\\*" **',
    ]);
  });
});

describe("parseManifest: errors name file, line, column and what is expected", () => {
  it("gives the documented message for a bad host pattern", () => {
    const text = `name: app
version: 1.0.0
permissions:
  net:
  - api.example.com
  - cdn.example.com
  - "http://*"
entry: app.ts
`;
    expect(problems(text)).toEqual([
      'locara.yaml:7:5: permissions.net[2]: "http://*" is not a host pattern: use "host", "host:port" or "*.host"',
    ]);
  });

  it("reports every problem at once", () => {
    const lines = problems(base('  net: ["*", "*.com"]\n  env: ["*"]\n  fs.read: [docs]\n'));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(
      'locara.yaml:5:9: permissions.net[0]: "*" is not a host pattern: use "host", "host:port" or "*.host"',
    );
    expect(lines[1]).toContain('permissions.net[1]: "*.com" covers a whole top-level domain');
    expect(lines[2]).toContain('permissions.env[0]: "*" would expose every variable');
    expect(lines[3]).toContain(
      'permissions.fs.read[0]: "docs" is not an absolute path: use "/path" or "~/path"',
    );
  });

  it("refuses unknown keys everywhere, listing what is allowed", () => {
    expect(problems("name: a\nversion: 1.0.0\nentry: a.ts\nperms: {}\n")).toEqual([
      'locara.yaml:4:1: perms: unknown key "perms": expected one of $schema, name, version, entry, routes, static, permissions, keys, limits',
    ]);
    expect(problems(base("  files: [/x]\n"))[0]).toMatch(
      /^locara.yaml:5:3: permissions.files: unknown key "files": expected one of fs.read, /,
    );
    expect(problems(base("  deny:\n    db.create: true\n"))[0]).toContain(
      'permissions.deny.db.create: unknown key "db.create"',
    );
    expect(problems(base("  net: [{ hots: a.com }]\n"))).toContain(
      'locara.yaml:5:11: permissions.net[0].hots: unknown key "hots": expected one of host, reason',
    );
    expect(problems("name: a\nversion: 1.0.0\nentry: a.ts\nlimits: { memoryMB: 1 }\n")[0]).toContain(
      'unknown key "memoryMB"',
    );
  });

  it("says what type it expected", () => {
    expect(problems("name: a\nversion: 1\nentry: a.ts\n")).toEqual([
      "locara.yaml:2:10: version: expected string, got number 1",
    ]);
    expect(problems(base("  net: api.example.com\n"))[0]).toBe(
      'locara.yaml:5:8: permissions.net: expected a list, got the string "api.example.com"',
    );
    expect(problems(base("  net: [42]\n"))[0]).toBe(
      "locara.yaml:5:9: permissions.net[0]: expected string or a mapping, got number 42",
    );
    expect(problems("name: a\nentry: a.ts\n")[0]).toBe("locara.yaml:1:1: version: is required (string)");
  });

  it("refuses duplicate YAML keys and duplicate permissions", () => {
    expect(problems("name: a\nname: b\nversion: 1.0.0\nentry: a.ts\n")[0]).toMatch(
      /^locara.yaml:2:1: .*unique/,
    );
    expect(problems(base('  fs.read: ["/data", "/data/"]\n'))).toEqual([
      'locara.yaml:5:22: permissions.fs.read[1]: "/data" is already declared at permissions.fs.read[0]: remove one',
    ]);
  });

  it("refuses an empty file, a list, invalid JSON (with its position) and oversized input", () => {
    expect(problems("")).toEqual(["locara.yaml: the manifest is empty: it needs name, version and entry"]);
    expect(problems("- a\n- b\n")).toEqual([
      "locara.yaml:1:1: a manifest is a mapping with name, version and entry, got a list",
    ]);
    expect(problems('{"name": "a",}', "locara.json")[0]).toMatch(/^locara.json:1:14: not valid JSON/);
    expect(problems(`name: a\n# ${"x".repeat(1024 * 1024)}\n`)[0]).toContain("larger than");
  });

  it("checks routes: keys access needs declared keys, paths are unique", () => {
    const m = (routes: string, keys = "") =>
      `name: a\nversion: 1.0.0\nentry: a.ts\n${keys}routes:\n${routes}`;
    expect(problems(m("  - { path: /admin, access: keys }\n"))[0]).toContain(
      'access "keys" needs a keys list',
    );
    expect(problems(m("  - { path: /admin, access: keys, keys: [config.write] }\n"))[0]).toContain(
      'routes[0].keys[0]: key "config.write" is not declared: add it to keys',
    );
    expect(problems(m("  - { path: /, access: public, keys: [a] }\n"))[0]).toContain(
      'keys only apply with access "keys"',
    );
    expect(problems(m("  - { path: /, access: public }\n  - { path: /, access: private }\n"))[0]).toContain(
      "route / is declared twice",
    );
    expect(problems(m("  - { path: /, access: everyone }\n"))[0]).toContain(
      'use one of "public", "limited", "private", "keys"',
    );
    const ok = parseManifest(
      m(
        "  - { path: /admin, access: keys, keys: [config.write] }\n",
        "keys:\n  - { key: config.write, name: Edit }\n",
      ),
    );
    expect(ok.routes[0]).toEqual({ path: "/admin", access: "keys", keys: ["config.write"], strict: false });
  });

  it("bounds limits", () => {
    expect(problems("name: a\nversion: 1.0.0\nentry: a.ts\nlimits: { memoryMb: 0 }\n")[0]).toContain(
      "limits.memoryMb",
    );
    expect(problems("name: a\nversion: 1.0.0\nentry: a.ts\nlimits: { memoryMb: 1.5 }\n")[0]).toContain(
      "limits.memoryMb",
    );
    expect(
      problems("name: a\nversion: 1.0.0\nentry: a.ts\nlimits: { wallMsPerRequest: 99999999 }\n")[0],
    ).toContain("limits.wallMsPerRequest");
  });

  it("checks run arguments", () => {
    expect(problems(base('  run: [{ command: git, args: ["**", "x"] }]\n'))[0]).toContain(
      'args[0] is "**", which matches the rest and so must come last',
    );
    expect(problems(base('  run: [{ command: du, args: ["--max-depth=*"] }]\n'))[0]).toContain(
      'mixes text and "*"',
    );
    expect(problems(base('  run: ["du -sh"]\n'))[0]).toContain('command "du -sh" contains spaces');
    expect(problems(base('  run: ["./du"]\n'))[0]).toContain("is not a program name or an absolute path");
    expect(problems(base('  run: ["/usr/../bin/rm"]\n'))[0]).toContain('contains ".."');
  });

  it("checks file scopes", () => {
    expect(problems(base('  fs.read: ["/"]\n'))[0]).toContain('"/" covers the whole file system');
    expect(problems(base('  fs.read: ["/**"]\n'))[0]).toContain("covers the whole file system");
    expect(problems(base('  fs.read: ["/data/../etc"]\n'))[0]).toContain('contains ".."');
    expect(problems(base('  fs.write: ["!/data"]\n'))[0]).toContain("is not an absolute path");
  });

  it("checks network scopes", () => {
    expect(problems(base('  net: ["ftp://files.example.com"]\n'))[0]).toContain("uses ftp://");
    expect(problems(base('  net: ["0.0.0.0/0"]\n'))[0]).toContain("covers every address");
    expect(problems(base('  net: ["api.example.com:99999"]\n'))[0]).toContain("a port is a number 1-65535");
    expect(problems(base('  net: ["*.1.2.3.4"]\n'))[0]).toContain('"*." only goes before a domain name');
    expect(problems(base('  net: ["a.com/path"]\n'))[0]).toContain("is not a host pattern");
  });

  it("never half-loads: one bad entry and nothing is returned", () => {
    let returned: unknown;
    try {
      returned = parseManifest(base('  net: [api.example.com, "http://*"]\n  env: [HOME]\n'));
    } catch (error) {
      expect(error).toBeInstanceOf(LocaraError);
      expect((error as ManifestError).code).toBe("LOCARA_E_MANIFEST");
      expect((error as ManifestError).issues).toHaveLength(1);
      expect((error as ManifestError).issues[0]).toMatchObject({
        file: "locara.yaml",
        line: 5,
        path: "permissions.net[1]",
      });
    }
    expect(returned).toBeUndefined();
  });
});
