import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../src/manifest/parse.ts";
import { approveAll, compilePolicy } from "../src/policy/compile.ts";
import { decide } from "../src/policy/decide.ts";
import { parseApprovals, parseGrants, parseServerRules } from "../src/policy/inputs.ts";

const doc = readFileSync(new URL("../docs/permissions.md", import.meta.url), "utf8");

/** The fenced blocks of a language under a heading of docs/permissions.md. */
function blocks(heading: string, lang: string): string[] {
  const start = doc.indexOf(`\n## ${heading}\n`);
  expect(start, `heading ${heading}`).toBeGreaterThan(0);
  const end = doc.indexOf("\n## ", start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1]!);
}

describe("docs/permissions.md stays true", () => {
  it("its manifest example parses, and the decision example is what the engine says", () => {
    const [yaml] = blocks("Asking: `permissions` in the manifest", "yaml");
    const manifest = parseManifest(yaml!);
    expect(manifest.deny.map((d) => d.text)).toEqual(["~/.ssh", "~/.gnupg"]);

    const example = parseManifest(
      'name: disk-usage\nversion: 1.0.0\nentry: a.ts\npermissions:\n  run: [{ command: du, args: ["-sh", "*"] }, { command: readlink, args: ["-f", "*"] }]\n',
    );
    const policy = compilePolicy({
      manifest: example,
      installation: "/utils/disk_usage",
      approvals: approveAll(example, "approved"),
    });
    const [json] = blocks("Deciding: the order", "json");
    expect(
      JSON.parse(JSON.stringify(decide(policy, { kind: "run", argv: ["rm", "-rf", "/tmp/x"] }, 0))),
    ).toEqual(JSON.parse(json!));
  });

  it("its approvals, grants and server rules examples are valid inputs", () => {
    expect(parseApprovals(JSON.parse(blocks("Approvals", "json")[0]!))).toHaveLength(2);
    const grants = parseGrants(JSON.parse(blocks("Grants", "json")[0]!));
    expect(grants.map((g) => g.term)).toEqual(["always", "once", "session", "until"]);
    const rules = parseServerRules(JSON.parse(blocks("Server rules", "json")[0]!));
    const manifest = parseManifest("name: a\nversion: 1.0.0\nentry: a.ts\npermissions:\n  net: [10.1.2.3]\n");
    const policy = compilePolicy({
      manifest,
      approvals: approveAll(manifest, "approved"),
      serverRules: rules,
      grants,
    });
    expect(decide(policy, { kind: "net", resource: "10.1.2.3" }, 0).state).toBe("granted");
  });
});
