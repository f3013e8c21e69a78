import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { cli } from "./test-cli.ts";

let dir: string;
let app: string;

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
  await writeFile(
    join(app, "chatty.ts"),
    "export default async function main() { console.log('working'); await new Promise((r) => setTimeout(r, 10)); console.error('done'); return 'ok'; }",
  );
  await writeFile(
    join(app, "perms.ts"),
    `import { query, request, revoke } from "locara:permissions";
import { get } from "locara:env";
export default async function main() {
  const q = async (kind: string, resource: string) => (await query({ kind, resource })).state;
  const before = [await q("env", "LOCARA_TEST_GREETING"), await q("env", "PATH"), await q("fs.read", "/etc/passwd")];
  const asked = (await request({ kind: "env", resource: "LOCARA_TEST_GREETING" })).state;
  const revoked = (await revoke({ kind: "env", resource: "LOCARA_TEST_GREETING" })).state;
  let after: string;
  try { await get("LOCARA_TEST_GREETING"); after = "read" } catch (e) { after = (e as { code: string }).code }
  let bad: string;
  try { await query({ kind: "camera" }) } catch (e) { bad = (e as { code: string }).code }
  return { before, asked, revoked, after, bad };
}
`,
  );
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

  it("shows the app's console on the terminal's streams", async () => {
    const r = await cli("run", join(app, "chatty.ts"));
    expect(r.out).toBe("working\nok\n");
    expect(r.err).toBe("done\n");
    expect(r.code).toBe(0);
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

  it("lets an app query, request and give up its permissions (locara:permissions)", async () => {
    const approved = await cli("run", join(app, "perms.ts"), "--approve", "all", "--json");
    expect(JSON.parse(approved.out)).toEqual({
      ok: true,
      value: {
        before: ["granted", "denied", "denied"],
        asked: "granted",
        revoked: "denied",
        after: "LOCARA_E_DENIED",
        bad: "LOCARA_E_UNKNOWN_KIND",
      },
    });
    // Set to ask with nobody to answer: query says prompt, request is denied at once.
    const asking = await cli("run", join(app, "perms.ts"), "--json", "--manifest", join(app, "locara.yaml"));
    expect(JSON.parse(asking.out).value).toMatchObject({
      before: ["prompt", "denied", "denied"],
      asked: "denied",
    });
  });

  it("exits 2 for a missing app", async () => {
    const r = await cli("run", join(dir, "nope"));
    expect(r.code).toBe(2);
    expect(r.err).toContain("no such file or folder");
  });
});

describe("locara run at a terminal", () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const bin = join(root, "bin", "locara.js");

  /** Run the real bin in a pseudo-terminal (util-linux `script`), typing `input`. */
  function inTerminal(
    args: string[],
    input: string,
    extra: Record<string, string> = {},
  ): { status: number | null; output: string } {
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...extra,
      PATH: `${join(root, "node_modules", ".bin")}:${process.env.PATH}`,
    };
    delete env.CI;
    const command = [process.execPath, bin, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    const result = spawnSync("script", ["-qfec", command, "/dev/null"], {
      input,
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: result.status, output: result.stdout };
  }

  it("asks, and 'allow always' becomes a remembered grant that later runs use without asking", async () => {
    const r = inTerminal(["run", app, "--", "ken"], "a\na\n");
    expect(r.output).toContain('app greeter asks to read the environment variable "LOCARA_TEST_GREETING"');
    expect(r.output).toContain("[a] allow always");
    expect(r.output).toContain("hello ada, hello grace, hello ken");
    expect(r.status).toBe(0);

    const grants = JSON.parse(await readFile(join(dir, "home", "grants", "greeter.json"), "utf8"));
    expect(
      grants.map((g: { kind: string; effect: string; term: string }) => [g.kind, g.effect, g.term]).sort(),
    ).toEqual([
      ["env", "allow", "always"],
      ["fs.read", "allow", "always"],
    ]);

    // No terminal now: the remembered answers are enough.
    const again = await cli("run", app);
    expect(again.out).toBe("hello ada, hello grace\n");
    expect(again.code).toBe(0);
  });

  it("end of input is deny and never hangs; an unknown answer is deny", () => {
    const fresh = { LOCARA_HOME: join(dir, "fresh-home") };
    // Ctrl-D at the terminal: the prompt's input ends.
    const closed = inTerminal(["run", app], "\u0004", fresh);
    expect(closed.status).toBe(1);
    expect(closed.output).toContain("it was denied when asked");
    const nonsense = inTerminal(["run", app], "yes please\n", fresh);
    expect(nonsense.status).toBe(1);
    expect(nonsense.output).toContain("it was denied when asked");
  });

  it("--no-prompt never asks, even at a terminal", () => {
    const r = inTerminal(["run", app, "--no-prompt"], "a\na\n", { LOCARA_HOME: join(dir, "other-home") });
    expect(r.status).toBe(1);
    expect(r.output).not.toContain("[a] allow always");
    expect(r.output).toContain("answer ahead: locara grants add greeter");
  });
});

describe("locara run --server-rules", () => {
  it("opens an exact private range for this run only when the admin's rules say so", async () => {
    const server = createServer((_req, res) => res.end("local service"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const fetcher = join(dir, "fetcher");
      await mkdir(fetcher, { recursive: true });
      await writeFile(
        join(fetcher, "locara.yaml"),
        `name: fetcher\nversion: 1.0.0\nentry: main.ts\npermissions:\n  net: ["http://127.0.0.1:${port}"]\n`,
      );
      await writeFile(
        join(fetcher, "main.ts"),
        `export default async function main() { return (await fetch("http://127.0.0.1:${port}/")).text(); }\n`,
      );
      const blocked = await cli("run", fetcher, "--approve", "all", "--json");
      expect(blocked.code).toBe(1);
      expect(JSON.parse(blocked.out).error.message).toContain("127.0.0.1 (loopback) is always blocked");
      const rules = join(dir, "rules.json");
      await writeFile(rules, JSON.stringify({ net: { allowPrivate: ["127.0.0.1/32"] } }));
      const allowed = await cli("run", fetcher, "--approve", "all", "--server-rules", rules, "--json");
      expect(JSON.parse(allowed.out)).toEqual({ ok: true, value: "local service" });
    } finally {
      server.close();
    }
  });
});
