import { chmod, mkdir, mkdtemp, readFile, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifest } from "../manifest/parse.ts";
import type { RunScope } from "../manifest/scopes/types.ts";
import { compilePolicy } from "../policy/compile.ts";
import type { Approval } from "../policy/types.ts";
import { runModule } from "../sandbox/run-module.ts";
import { EngineSlot } from "../sandbox/slot.ts";
import type { AuditEvent, PluginContext } from "./context.ts";
import { RUN_DEFAULTS, type RunLimits, runCommandModule } from "./run.ts";
import { resolveProgram } from "./run-program.ts";

const SAFE_PATH = "/usr/local/bin:/usr/bin:/bin";
let dir: string;
let evil: string;
const slot = new EngineSlot("/apps/runner", {
  memoryMb: 32,
  cpuMsPerRequest: 1000,
  wallMsPerRequest: 10_000,
  stackKb: 128,
});
afterAll(() => slot.dispose());

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "locara-run-plugin-"));
  await mkdir(join(dir, "data", "a"), { recursive: true });
  await writeFile(join(dir, "data", "a", "f.txt"), "12345");
  // An attacker-writable folder with a fake du, and a link named du pointing at rm.
  evil = join(dir, "evil");
  await mkdir(join(evil, "links"), { recursive: true });
  await writeFile(join(evil, "du"), "#!/bin/sh\necho pwned\n");
  await chmod(join(evil, "du"), 0o755);
  await symlink(resolveProgram("rm", SAFE_PATH)!, join(evil, "links", "du"));
});

function context(
  permissions: string,
  environment: Record<string, string> = {},
): PluginContext & { events: AuditEvent[] } {
  const manifest = parseManifest(`name: runner\nversion: 1.0.0\nentry: app.ts\npermissions:\n${permissions}`);
  // As `locara run --approve all` does: each command pinned on a clean PATH at approval.
  const approvals: Approval[] = manifest.permissions.map((p) => {
    const pinned = p.kind === "run" ? resolveProgram((p.scope as RunScope).command, SAFE_PATH) : undefined;
    return { kind: p.kind, scope: p.entry, state: "approved", ...(pinned ? { pinned } : {}) };
  });
  const events: AuditEvent[] = [];
  return {
    installation: "/utils/disk_usage",
    policy: compilePolicy({ manifest, installation: "/utils/disk_usage", approvals }),
    audit: { write: (e) => void events.push(e) },
    now: () => 0,
    environment,
    events,
  };
}

async function call(ctx: PluginContext, js: string, limits: Partial<RunLimits> = {}) {
  const result = await runModule(
    await slot.acquire(),
    `import { run } from "locara:run";\nexport default await (async () => { ${js} })();`,
    [runCommandModule(ctx, { ...RUN_DEFAULTS, pathEnv: SAFE_PATH, ...limits })],
  );
  return result;
}

/** The error a guest saw, as { code, message }. */
const failure = (js: string) =>
  `try { ${js}; return "no error"; } catch (e) { return { code: e.code, message: e.message }; }`;

const DU = `  run:
    - { command: du, args: ["-sh", "--", "*"], reason: "measure a folder" }
    - { command: readlink, args: ["-f", "--", "*"] }
    - { command: echo, args: ["**"] }
    - { command: printf, args: ["%s|", "*", "*"] }
`;

describe("locara:run runs exactly what was declared", () => {
  it("runs a declared command with matching arguments, no shell, and audits it", async () => {
    const ctx = context(DU);
    const result = await call(ctx, `return run("du", ["-sh", "--", ${JSON.stringify(join(dir, "data"))}]);`);
    expect(result.ok && (result.value as { code: number }).code).toBe(0);
    expect(result.ok && (result.value as { stdout: string }).stdout).toContain(join(dir, "data"));
    expect(ctx.events.map((e) => [e.call, e.kind, e.decision])).toEqual([
      ["locara:run.run", "run", "granted"],
    ]);
  });

  it("refuses an undeclared command with the message that names it and the fix", async () => {
    const result = await call(context(DU), failure(`await run("rm", ["-rf", "/tmp/x"])`));
    expect(result).toEqual({
      ok: true,
      value: {
        code: "LOCARA_E_NOT_DECLARED",
        message:
          'app /utils/disk_usage is not permitted to run "rm -rf /tmp/x": argument 0 is "rm", declared commands: du, readlink, echo, printf: update the app or run locara app approve /utils/disk_usage',
      },
    });
  });

  it("matches every argument, anchored: * is exactly one argument, ** the rest, literals exactly", async () => {
    const ctx = context(DU);
    const cases: [string, string][] = [
      [`run("du", ["-sh", "--"])`, "argument 3 is missing, expected an argument"],
      [`run("du", ["-sh", "--", "/tmp", "/etc"])`, 'argument 4 is "/etc", expected no more arguments'],
      [`run("du", ["-s", "--", "/tmp"])`, 'argument 1 is "-s", expected "-sh"'],
      [`run("du", ["-sh", "/tmp"])`, 'argument 2 is "/tmp", expected "--"'],
      [`run("printf", ["%s|", "a"])`, "argument 3 is missing"],
    ];
    for (const [js, reason] of cases) {
      const result = await call(ctx, failure(`await ${js}`));
      expect((result.ok && (result.value as { message: string }).message) || result).toContain(reason);
    }
    const rest = await call(ctx, `return (await run("echo", ["a", "b", "c"])).stdout;`);
    expect(rest).toEqual({ ok: true, value: "a b c\n" });
    const none = await call(ctx, `return (await run("echo")).stdout;`);
    expect(none).toEqual({ ok: true, value: "\n" });
    const two = await call(ctx, `return (await run("printf", ["%s|", "x y", ""])).stdout;`);
    expect(two).toEqual({ ok: true, value: "x y||" });
  });

  it("shell metacharacters reach the program as plain text", async () => {
    const text = "$(id); rm -rf / | cat > /tmp/x && `whoami` * ~ \"'\\n";
    const result = await call(
      context(DU),
      `return (await run("printf", ["%s|", ${JSON.stringify(text)}, "*"])).stdout;`,
    );
    expect(result).toEqual({ ok: true, value: `${text}|*|` });
  });

  it("a directory put earlier on PATH cannot stand in for the pinned program", async () => {
    const result = await call(context(DU), failure(`await run("du", ["-sh", "--", "/tmp"])`), {
      pathEnv: `${evil}:${SAFE_PATH}`,
    });
    expect(result.ok && (result.value as { code: string }).code).toBe("LOCARA_E_NOT_DECLARED");
    expect(result.ok && (result.value as { message: string }).message).toContain(
      `du was pinned to ${resolveProgram("du", SAFE_PATH)} at approval; this is ${join(evil, "du")}`,
    );
  });

  it("a symlink named like a declared command is judged by its target", async () => {
    const result = await call(context(DU), failure(`await run("du", ["-sh", "--", "/tmp"])`), {
      pathEnv: `${join(evil, "links")}:${SAFE_PATH}`,
    });
    expect(result.ok && (result.value as { message: string }).message).toContain(
      `this is ${resolveProgram("rm", SAFE_PATH)}`,
    );
  });

  it("'..' in the command is resolved: the pinned program by another spelling runs, anything else does not", async () => {
    const du = resolveProgram("du", SAFE_PATH)!;
    const parts = du.split("/");
    const roundabout = [...parts.slice(0, -1), "..", parts.at(-2)!, "du"].join("/");
    const ok = await call(
      context(DU),
      `return (await run(${JSON.stringify(roundabout)}, ["-sh", "--", "/tmp"])).code;`,
    );
    expect(ok).toEqual({ ok: true, value: 0 });
    const outside = `${du.split("/").slice(0, -1).join("/")}/../../${evil.slice(1)}/du`;
    const refused = await call(
      context(DU),
      failure(`await run(${JSON.stringify(outside)}, ["-sh", "--", "/tmp"])`),
    );
    expect(refused.ok && (refused.value as { code: string }).code).toBe("LOCARA_E_NOT_DECLARED");
    const relative = await call(context(DU), failure(`await run("./du", ["-sh", "--", "/tmp"])`));
    expect(relative.ok && (relative.value as { code: string }).code).not.toBe("no error");
  });

  it("passes only the environment variables the app may read", async () => {
    const withEnv = context(`  run: [{ command: env, args: [] }]\n  env: [GREETING]\n`, {
      GREETING: "hi",
      AWS_SECRET_ACCESS_KEY: "nope",
      PATH: "/usr/bin:/bin",
      HOME: "/root",
    });
    const result = await call(withEnv, `return (await run("env")).stdout;`);
    expect(result).toEqual({ ok: true, value: "GREETING=hi\n" });
  });

  it("cwd needs fs.read on it", async () => {
    const ctx = context(`  run: [{ command: pwd, args: [] }]\n  fs.read: ["${join(dir, "data")}"]\n`);
    expect(
      await call(
        ctx,
        `return (await run("pwd", [], { cwd: ${JSON.stringify(join(dir, "data", "a"))} })).stdout;`,
      ),
    ).toEqual({
      ok: true,
      value: `${join(dir, "data", "a")}\n`,
    });
    const refused = await call(ctx, failure(`await run("pwd", [], { cwd: "/etc" })`));
    expect(refused.ok && (refused.value as { code: string }).code).toBe("LOCARA_E_NOT_DECLARED");
    expect(ctx.events.map((e) => [e.kind, e.resource, e.decision]).at(-1)).toEqual([
      "fs.read",
      "/etc",
      "denied",
    ]);
  });

  it("feeds input on stdin", async () => {
    const ctx = context(`  run: [{ command: cat, args: [] }]\n`);
    expect(await call(ctx, `return (await run("cat", [], { input: "hello\\n" })).stdout;`)).toEqual({
      ok: true,
      value: "hello\n",
    });
  });

  it("a timeout kills the whole process group, grandchildren included", async () => {
    const pidFile = join(dir, "grandchild.pid");
    const ctx = context(`  run: [{ command: sh, args: ["-c", "*"] }]\n`);
    const result = await call(
      ctx,
      failure(`await run("sh", ["-c", "sleep 30 & echo $! > ${pidFile}; wait"], { timeoutMs: 300 })`),
    );
    expect(result.ok && (result.value as { code: string }).code).toBe("LOCARA_E_LIMIT");
    expect(result.ok && (result.value as { message: string }).message).toContain(
      "hit its timeout limit (300 ms for sh)",
    );
    const pid = Number(await readFile(pidFile, "utf8"));
    await new Promise((r) => setTimeout(r, 100));
    // Gone, or a zombie waiting for a reaper (in a container, PID 1 may never reap it): not running.
    const state = await readFile(`/proc/${pid}/stat`, "utf8").then(
      (stat) => stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3),
      () => "gone",
    );
    expect(["gone", "Z"]).toContain(state);
  });

  it("output beyond the cap stops the program with a clear error", async () => {
    const ctx = context(`  run: [{ command: yes, args: [] }]\n`);
    const result = await call(ctx, failure(`await run("yes")`), { maxOutputBytes: 64 * 1024 });
    expect(result.ok && (result.value as { message: string }).message).toContain(
      "hit its output limit (65536 bytes of output from yes)",
    );
  });

  it("a declared command missing from the host says so", async () => {
    const ctx = context(`  run: [{ command: no-such-program-locara, args: [] }]\n`);
    const result = await call(ctx, failure(`await run("no-such-program-locara")`));
    expect(result.ok && (result.value as { message: string }).message).toContain(
      "no such program on the host's PATH",
    );
  });
});
