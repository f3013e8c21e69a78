import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli } from "./test-cli.ts";

const MANIFEST = `name: disk-usage
version: 1.0.0
entry: src/app.ts
routes:
  - { path: /, access: public }
permissions:
  run:
    - { command: du, args: ["-sh", "*"], reason: "measure folder sizes" }
    - { command: readlink, args: ["-f", "*"] }
  fs.read: ["~/Documents/**"]
  net: [api.example.com]
  deny:
    fs.read: ["~/Documents/private"]
`;

let dir: string;
let app: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "locara-cli-"));
  app = join(dir, "app");
  await import("node:fs/promises").then((fs) => fs.mkdir(app));
  await writeFile(join(app, "locara.yaml"), MANIFEST);
});

describe("locara policy check", () => {
  it("prints the state, the rule and exits 0 when granted", async () => {
    const r = await cli(
      "policy",
      "check",
      "--manifest",
      app,
      "--home",
      "/home/u",
      "fs.read",
      "~/Documents/a.txt",
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain("granted: app disk-usage may read");
    expect(r.out).toContain("rule: permissions.fs.read[0]: ~/Documents/**");
  });

  it("takes run's argv after -- and names the offending argument with the fix", async () => {
    const r = await cli(
      "policy",
      "check",
      "--manifest",
      app,
      "--app",
      "/utils/disk_usage",
      "run",
      "--",
      "rm",
      "-rf",
      "/",
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'denied: app /utils/disk_usage is not permitted to run "rm -rf /": argument 0 is "rm", declared commands: du, readlink',
    );
    expect(r.out).toContain("fix: update the app or run locara app approve /utils/disk_usage");
  });

  it("prints the decision object with --json", async () => {
    const r = await cli("policy", "check", "--manifest", app, "--json", "net", "https://API.example.com./v1");
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    expect(d).toMatchObject({ state: "granted", kind: "net", resource: "https://api.example.com", fix: "" });
  });

  it("exits 1 for prompt and for pending", async () => {
    const ask = await cli(
      "policy",
      "check",
      "--manifest",
      app,
      "--approve",
      "ask",
      "--json",
      "net",
      "api.example.com",
    );
    expect(ask.code).toBe(1);
    expect(JSON.parse(ask.out).state).toBe("prompt");
    const none = await cli(
      "policy",
      "check",
      "--manifest",
      app,
      "--approve",
      "none",
      "--json",
      "net",
      "api.example.com",
    );
    expect(none.code).toBe(1);
    expect(JSON.parse(none.out)).toMatchObject({ state: "denied", code: "LOCARA_E_NOT_APPROVED" });
  });

  it("honours a grants file and server rules", async () => {
    const grants = join(dir, "grants.json");
    await writeFile(
      grants,
      JSON.stringify([{ id: "g1", kind: "net", scope: "api.example.com", effect: "allow", term: "always" }]),
    );
    const r = await cli(
      "policy",
      "check",
      "--manifest",
      app,
      "--approve",
      "ask",
      "--grants",
      grants,
      "--json",
      "net",
      "api.example.com",
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ state: "granted", grant: "g1" });

    const rules = join(dir, "rules.json");
    await writeFile(rules, JSON.stringify({ deny: { net: ["api.example.com"] } }));
    const d = await cli(
      "policy",
      "check",
      "--manifest",
      app,
      "--server-rules",
      rules,
      "--json",
      "net",
      "api.example.com",
    );
    expect(d.code).toBe(1);
    expect(JSON.parse(d.out)).toMatchObject({
      state: "denied",
      code: "LOCARA_E_DENIED",
      rule: "server.deny.net[0]: api.example.com",
    });
  });

  it("exits 2 with a clear message for bad input, and never half-answers", async () => {
    const relative = await cli("policy", "check", "--manifest", app, "fs.read", "docs/a");
    expect(relative.code).toBe(2);
    expect(relative.err).toContain('fs.read "docs/a": the path must be absolute');
    expect(relative.out).toBe("");

    const kind = await cli("policy", "check", "--manifest", app, "--json", "files", "/x");
    expect(kind.code).toBe(2);
    expect(JSON.parse(kind.out).error.code).toBe("LOCARA_E_UNKNOWN_KIND");

    const missing = await cli("policy", "check", "--manifest", join(dir, "nope"), "env", "HOME");
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("no such file or folder");

    const badGrants = join(dir, "bad-grants.json");
    await writeFile(
      badGrants,
      JSON.stringify([{ id: "g", kind: "net", scope: "x.com", effect: "allow", term: "until" }]),
    );
    const g = await cli("policy", "check", "--manifest", app, "--grants", badGrants, "env", "HOME");
    expect(g.code).toBe(2);
    expect(g.err).toContain('a grant with term "until" needs until');

    const usage = await cli("policy", "check", "--manifest", app, "--approve", "maybe", "env", "HOME");
    expect(usage.code).toBe(2);
  });

  it("evaluates a JSONL file, one decision per line, and reports bad lines by number", async () => {
    const requests = join(dir, "requests.jsonl");
    await writeFile(
      requests,
      [
        JSON.stringify({ kind: "net", resource: "api.example.com" }),
        JSON.stringify({ kind: "run", argv: ["du", "-sh", "/tmp"] }),
        "",
        JSON.stringify({ kind: "fs.read", resource: "~/Documents/private/x" }),
      ].join("\n"),
    );
    const r = await cli("policy", "check", "--manifest", app, "--home", "/home/u", "--requests", requests);
    const lines = r.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((d) => d.state)).toEqual(["granted", "granted", "denied"]);
    expect(r.code).toBe(1);

    await writeFile(requests, `${JSON.stringify({ kind: "env", resource: "HOME" })}\n{oops\n`);
    const bad = await cli("policy", "check", "--manifest", app, "--requests", requests);
    const out = bad.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out[0].state).toBe("denied");
    expect(out[1]).toMatchObject({ line: 2, error: { code: "LOCARA_E_INVALID_INPUT" } });
    expect(bad.code).toBe(2);
  });
});

describe("locara manifest check", () => {
  it("prints what the app asks for, grouped by kind, with reasons", async () => {
    const r = await cli("manifest", "check", app);
    expect(r.code).toBe(0);
    expect(r.out).toContain("disk-usage 1.0.0");
    expect(r.out).toMatch(
      /run\n\s+du -sh \*\s+measure folder sizes\n\s+readlink -f \*\s+\(no reason given\)/,
    );
    expect(r.out).toContain("deny (always wins):");
  });

  it("--json gives the summary as data", async () => {
    const r = await cli("manifest", "check", "--json", app);
    const data = JSON.parse(r.out);
    expect(data.valid).toBe(true);
    expect(data.manifest.permissions).toContainEqual({
      kind: "run",
      scope: "du -sh *",
      reason: "measure folder sizes",
      at: "permissions.run[0]",
    });
  });

  it("exits 1 and lists every problem with its line for an invalid manifest", async () => {
    const bad = join(dir, "bad");
    await import("node:fs/promises").then((fs) => fs.mkdir(bad));
    await writeFile(
      join(bad, "locara.yaml"),
      'name: x\nversion: 1.0.0\nentry: a.ts\npermissions:\n  net: ["http://*"]\n  env: ["*"]\n',
    );
    const r = await cli("manifest", "check", bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain('locara.yaml:5:9: permissions.net[0]: "http://*" is not a host pattern');
    expect(r.err).toContain("locara.yaml:6:9: permissions.env[0]:");
  });

  it("warns about declarations that can never work as written", async () => {
    const odd = join(dir, "odd");
    await import("node:fs/promises").then((fs) => fs.mkdir(odd));
    await writeFile(
      join(odd, "locara.yaml"),
      'name: odd\nversion: 1.0.0\nentry: a.ts\npermissions:\n  net: ["10.1.2.3", localhost, api.example.com]\n  run: [{ command: git, args: ["**"] }]\n',
    );
    const r = await cli("manifest", "check", "--json", odd);
    expect(r.code).toBe(0);
    const { warnings } = JSON.parse(r.out);
    expect(warnings.map((w: { at: string }) => w.at)).toEqual([
      "permissions.net[0]",
      "permissions.net[1]",
      "permissions.run[0]",
    ]);
    const human = await cli("manifest", "check", odd);
    expect(human.out).toContain(
      'permissions.run[0]: "git **" accepts any arguments: pin the ones the app needs',
    );
  });

  it("exits 2 when the folder has no manifest", async () => {
    const r = await cli("manifest", "check", dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain("no manifest in");
  });
});
