import { describe, expect, it } from "vitest";
import { InvalidInputError, InvalidResourceError } from "../../errors.ts";
import { parseManifest } from "../../manifest/parse.ts";
import { approveAll, compilePolicy } from "../compile.ts";
import { decide } from "../decide.ts";
import { policyFor, stateOf } from "../test-helpers.ts";

const read = (resource: string) => ({ kind: "fs.read", resource });

describe("fs.read / fs.write scopes", () => {
  const policy =
    policyFor(`  fs.read: ["/data", "~/Documents/**", "/logs/*.log", "/srv/{a,b}/conf", "/tmp/file?.txt", "~/.config/app/**"]
  fs.write: ["/out"]
`);

  it("a plain path covers itself and everything below it, component by component", () => {
    expect(stateOf(policy, read("/data"))).toBe("granted");
    expect(stateOf(policy, read("/data/x/y.csv"))).toBe("granted");
    expect(stateOf(policy, read("/data/.hidden/x"))).toBe("granted");
    expect(stateOf(policy, read("/database"))).toBe("denied");
    expect(stateOf(policy, read("/dat"))).toBe("denied");
    expect(stateOf(policy, read("/"))).toBe("denied");
  });

  it("resolves . and .. and duplicate or trailing slashes before matching", () => {
    expect(stateOf(policy, read("/data/./x/../y"))).toBe("granted");
    expect(stateOf(policy, read("/data/../etc/passwd"))).toBe("denied");
    expect(stateOf(policy, read("/data/../../../data/x"))).toBe("granted");
    expect(stateOf(policy, read("//data//x/"))).toBe("granted");
    expect(decide(policy, read("/data/x/"), 0).resource).toBe("/data/x");
    expect(decide(policy, read("/data/a/../../etc"), 0).resource).toBe("/etc");
  });

  it("expands ~ with the given home, in scopes and requests", () => {
    expect(stateOf(policy, read("~/Documents/a.txt"))).toBe("granted");
    expect(stateOf(policy, read("/home/u/Documents/sub/b.txt"))).toBe("granted");
    expect(stateOf(policy, read("/home/other/Documents/a.txt"))).toBe("denied");
    expect(decide(policy, read("~/Documents/a.txt"), 0).resource).toBe("/home/u/Documents/a.txt");
  });

  it("globs: * is one segment, ** any depth, ? one character, {a,b} alternatives", () => {
    expect(stateOf(policy, read("/logs/app.log"))).toBe("granted");
    expect(stateOf(policy, read("/logs/sub/app.log"))).toBe("denied");
    expect(stateOf(policy, read("/logs/app.txt"))).toBe("denied");
    expect(stateOf(policy, read("/srv/a/conf"))).toBe("granted");
    expect(stateOf(policy, read("/srv/c/conf"))).toBe("denied");
    expect(stateOf(policy, read("/tmp/file1.txt"))).toBe("granted");
    expect(stateOf(policy, read("/tmp/file12.txt"))).toBe("denied");
  });

  it("an allow glob matches dotfiles only where the glob names the dot", () => {
    expect(stateOf(policy, read("~/Documents/.git/config"))).toBe("denied");
    expect(stateOf(policy, read("~/Documents/notes/.env"))).toBe("denied");
    expect(stateOf(policy, read("~/.config/app/settings.json"))).toBe("granted");
  });

  it("write implies nothing about read, and read nothing about write", () => {
    expect(stateOf(policy, { kind: "fs.write", resource: "/out/file" })).toBe("granted");
    expect(stateOf(policy, read("/out/file"))).toBe("denied");
    expect(stateOf(policy, { kind: "fs.write", resource: "/data/file" })).toBe("denied");
  });

  it("a deny glob also covers dotfiles and everything below a folder it matches", () => {
    const p = policyFor(`  fs.read: ["~"]
  deny:
    fs.read: ["~/.ssh/**", "~/secrets/*", "~/*.pem"]
`);
    expect(stateOf(p, read("~/.ssh/id_rsa"))).toBe("denied");
    expect(stateOf(p, read("~/.ssh"))).toBe("denied");
    expect(stateOf(p, read("~/.ssh/.hidden"))).toBe("denied");
    expect(stateOf(p, read("~/secrets/deep/inside/key"))).toBe("denied");
    expect(stateOf(p, read("~/secrets/.env"))).toBe("denied");
    expect(stateOf(p, read("~/.key.pem"))).toBe("denied");
    expect(stateOf(p, read("~/notes.txt"))).toBe("granted");
  });

  it("refuses relative paths and NUL bytes in requests, with the kind and the path", () => {
    expect(() => decide(policy, read("data/x"), 0)).toThrow(InvalidResourceError);
    expect(() => decide(policy, read("data/x"), 0)).toThrow('fs.read "data/x": the path must be absolute');
    expect(() => decide(policy, read("/data/x\0/etc/passwd"), 0)).toThrow(InvalidResourceError);
    expect(() => decide(policy, read(""), 0)).toThrow(InvalidResourceError);
  });

  it("needs a home to expand ~ and says so", () => {
    const manifest = parseManifest(
      'name: a\nversion: 1.0.0\nentry: a.ts\npermissions:\n  fs.read: ["~/x"]\n',
    );
    expect(() => compilePolicy({ manifest, approvals: approveAll(manifest, "approved") })).toThrow(
      InvalidInputError,
    );
    expect(() => compilePolicy({ manifest, home: "relative/home" })).toThrow(
      "must be an absolute, normalised path",
    );
  });

  it("a grant for a file whose name holds glob characters covers only that file", () => {
    const p = policyFor('  fs.read: ["/data"]\n', {
      approve: "ask",
      grants: [{ id: "g", kind: "fs.read", scope: "/data/a\\*b", effect: "allow", term: "always" }],
    });
    expect(stateOf(p, read("/data/a*b"))).toBe("granted");
    expect(stateOf(p, read("/data/axb"))).toBe("prompt");
  });
});
