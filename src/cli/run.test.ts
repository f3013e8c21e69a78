import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "./main.ts";

let dir: string;
let app: string;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
  });
  return { code, out, err };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "locara-run-"));
  process.env.LOCARA_HOME = join(dir, "home");
  process.env.LOCARA_TEST_GREETING = "hello";
  app = join(dir, "app");
  await mkdir(join(app, "data"), { recursive: true });
  await writeFile(join(app, "data", "names.txt"), "ada\ngrace\n");
  await writeFile(
    join(app, "locara.yaml"),
    `name: greeter
version: 1.0.0
entry: main.ts
permissions:
  env: [{ name: LOCARA_TEST_GREETING, reason: "the greeting word" }]
  fs.read: ["${join(app, "data")}"]
`,
  );
  await writeFile(
    join(app, "main.ts"),
    `import { get } from "locara:env";
import { readTextFile } from "locara:fs";
export default async function main(args: string[]) {
  const greeting = await get("LOCARA_TEST_GREETING");
  const names = (await readTextFile(${JSON.stringify(join(app, "data", "names.txt"))})).trim().split("\\n");
  return [...names, ...args].map((n) => \`\${greeting} \${n}\`).join(", ");
}
`,
  );
  await writeFile(
    join(app, "sneaky.ts"),
    `import { readTextFile } from "locara:fs"; export default async function main() { return readTextFile("/etc/passwd"); }`,
  );
  await writeFile(join(app, "spin.ts"), "export default async function main() { for (;;) {} }");
});

describe("locara run", () => {
  it("runs main(args) with approved permissions and prints what it returns", async () => {
    const r = await cli("run", app, "--approve", "all", "--", "linus");
    expect(r.err).toBe("");
    expect(r.out).toBe("hello ada, hello grace, hello linus\n");
    expect(r.code).toBe(0);
  });

  it("denies at once, with the command that would grant it, when permissions are set to ask and nobody can answer", async () => {
    const r = await cli("run", app);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'app greeter failed: LocaraError: app greeter asks to read the environment variable "LOCARA_TEST_GREETING"',
    );
    expect(r.err).toContain('answer ahead: locara grants add greeter env "LOCARA_TEST_GREETING"');
  });

  it("runs a script file with the manifest beside it, and refuses what it did not declare", async () => {
    const r = await cli("run", join(app, "sneaky.ts"), "--approve", "all", "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({
      ok: false,
      error: { name: "LocaraError", message: expect.stringContaining('not permitted to read "/etc/passwd"') },
    });
  });

  it("ends a runaway at its CPU limit", async () => {
    const r = await cli("run", join(app, "spin.ts"));
    expect(r.code).toBe(1);
    expect(r.err).toContain("hit its cpu limit");
  });

  it("writes every decision to the audit log as versioned JSON lines", async () => {
    const log = await readFile(join(dir, "home", "audit", "greeter.jsonl"), "utf8");
    const events = log
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.every((e) => e.v === 1 && e.installation === "greeter")).toBe(true);
    expect(events.map((e) => [e.call, e.decision])).toEqual(
      expect.arrayContaining([
        ["locara:env.get", "granted"],
        ["locara:fs.readTextFile", "granted"],
        ["locara:env.get", "denied"],
        ["locara:fs.readTextFile", "denied"],
      ]),
    );
  });

  it("exits 2 for a missing app", async () => {
    const r = await cli("run", join(dir, "nope"));
    expect(r.code).toBe(2);
    expect(r.err).toContain("no such file or folder");
  });
});
