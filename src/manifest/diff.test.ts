import { describe, expect, it } from "vitest";
import { diffManifests } from "./diff.ts";
import { parseManifest } from "./parse.ts";

const manifest = (permissions: string) =>
  parseManifest(`name: a\nversion: 1.0.0\nentry: a.ts\npermissions:\n${permissions}`);
const keys = (list: readonly { key: string }[]) => list.map((p) => p.key).sort();

describe("diffManifests", () => {
  it("finds nothing between identical manifests, or the same permissions in another order and spelling", () => {
    const a = manifest('  net: [api.example.com, cdn.example.com]\n  fs.read: ["/data/"]\n');
    const b = manifest('  fs.read: ["/data"]\n  net: [CDN.example.com., API.example.com]\n');
    expect(diffManifests(a, a)).toEqual({
      added: [],
      removed: [],
      changed: [],
      denyAdded: [],
      denyRemoved: [],
      widens: false,
    });
    expect(diffManifests(a, b)).toMatchObject({ added: [], removed: [], changed: [], widens: false });
  });

  it("a changed scope counts as added (and the old one as removed)", () => {
    const before = manifest('  run: [{ command: du, args: ["-sh", "*"] }]\n  net: [api.example.com]\n');
    const after = manifest(
      '  run: [{ command: du, args: ["-sh", "**"] }]\n  net: ["api.example.com:8443"]\n',
    );
    const d = diffManifests(before, after);
    expect(keys(d.added)).toEqual(["net api.example.com:8443", "run du -sh **"]);
    expect(keys(d.removed)).toEqual(["net api.example.com", "run du -sh *"]);
    expect(d.widens).toBe(true);
  });

  it("a new reason or required flag is a change, not a new permission", () => {
    const before = manifest("  net: [api.example.com]\n  secrets: [KEY]\n");
    const after = manifest(
      '  net: [{ host: api.example.com, reason: "chat completions" }]\n  secrets: [{ name: KEY, required: false }]\n',
    );
    const d = diffManifests(before, after);
    expect(d.added).toEqual([]);
    expect(d.changed.map((c) => [c.after.key, c.fields])).toEqual([
      ["net api.example.com", ["reason"]],
      ["secrets KEY", ["required"]],
    ]);
    expect(d.widens).toBe(false);
  });

  it("removing a deny rule widens; adding one does not", () => {
    const plain = manifest("  fs.read: [/data]\n");
    const guarded = manifest('  fs.read: [/data]\n  deny:\n    fs.read: ["/data/secret"]\n');
    expect(diffManifests(guarded, plain)).toMatchObject({ widens: true });
    expect(keys(diffManifests(guarded, plain).denyRemoved)).toEqual(["fs.read /data/secret"]);
    expect(diffManifests(plain, guarded)).toMatchObject({ widens: false });
    expect(keys(diffManifests(plain, guarded).denyAdded)).toEqual(["fs.read /data/secret"]);
  });

  it("dropping permissions narrows", () => {
    const d = diffManifests(manifest("  env: [A, B]\n"), manifest("  env: [A]\n"));
    expect(keys(d.removed)).toEqual(["env B"]);
    expect(d.widens).toBe(false);
  });
});
