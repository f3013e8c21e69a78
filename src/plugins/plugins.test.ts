import { hostname } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { parseManifest } from "../manifest/parse.ts";
import { approveAll, compilePolicy } from "../policy/compile.ts";
import type { ApprovalState, Grant } from "../policy/types.ts";
import { runModule } from "../sandbox/run-module.ts";
import { EngineSlot } from "../sandbox/slot.ts";
import type { AuditEvent, PluginContext } from "./context.ts";
import { envModule } from "./env.ts";
import { MemoryKv } from "./kv.ts";
import { sysModule } from "./sys.ts";

const manifest = parseManifest(`name: plug
version: 1.0.0
entry: app.ts
permissions:
  env: [HOME, "APP_*"]
  sys: [hostname]
  deny:
    env: [APP_SECRET]
`);
const environment = {
  HOME: "/home/ada",
  APP_REGION: "eu",
  APP_SECRET: "s3cret",
  AWS_SECRET_ACCESS_KEY: "nope",
  PATH: "/usr/bin",
};
const slot = new EngineSlot("/apps/plug", {
  memoryMb: 32,
  cpuMsPerRequest: 500,
  wallMsPerRequest: 2000,
  stackKb: 128,
});
afterAll(() => slot.dispose());

function context(
  state: ApprovalState = "approved",
  grants: Grant[] = [],
): PluginContext & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  const policy = compilePolicy({
    manifest,
    installation: "/apps/plug",
    approvals: approveAll(manifest, state),
    grants,
  });
  return {
    installation: "/apps/plug",
    policy,
    audit: { write: (e) => void events.push(e) },
    now: () => 0,
    environment,
    events,
  };
}

async function guest(ctx: PluginContext, code: string, kv = new MemoryKv()) {
  return runModule(await slot.acquire(), code, [envModule(ctx), sysModule(ctx), kv.module(ctx)]);
}

const attempt = (call: string) =>
  `(async () => { try { return { ok: await ${call} } } catch (e) { return { code: e.code, message: e.message } } })()`;

describe("locara:env", () => {
  it("reads granted variables and is refused the rest, with the engine's message", async () => {
    const ctx = context();
    const result = await guest(
      ctx,
      `import { get } from "locara:env";
       export default [await ${attempt('get("HOME")')}, await ${attempt('get("APP_REGION")')}, await ${attempt('get("APP_SECRET")')}, await ${attempt('get("AWS_SECRET_ACCESS_KEY")')}, await ${attempt('get("APP_UNSET")')}];`,
    );
    expect(result.ok).toBe(true);
    const [home, region, secret, aws, unset] = (result as { value: Record<string, string>[] }).value;
    expect(home).toEqual({ ok: "/home/ada" });
    expect(region).toEqual({ ok: "eu" });
    expect(secret).toMatchObject({ code: "LOCARA_E_DENIED" });
    expect(secret!.message).toContain('its manifest denies env "APP_SECRET"');
    expect(aws).toMatchObject({ code: "LOCARA_E_NOT_DECLARED" });
    expect(aws!.message).toBe(
      'app /apps/plug is not permitted to read the environment variable "AWS_SECRET_ACCESS_KEY": not declared (declared env: HOME, APP_*): update the app or run locara app approve /apps/plug',
    );
    expect(unset).toEqual({ ok: null });
  });

  it("lists only the names the app may read", async () => {
    const result = await guest(context(), `import { list } from "locara:env"; export default await list();`);
    expect(result).toEqual({ ok: true, value: ["APP_REGION", "HOME"] });
  });

  it("a permission set to ask is denied at once when nobody can be asked, with the command that would grant it", async () => {
    const result = await guest(
      context("ask"),
      `import { get } from "locara:env"; export default await ${attempt('get("HOME")')};`,
    );
    expect(result).toEqual({
      ok: true,
      value: {
        code: "LOCARA_E_PROMPT",
        message: expect.stringContaining('answer ahead: locara grants add /apps/plug env "HOME"'),
      },
    });
  });

  it("a once grant is good for one call", async () => {
    const grants: Grant[] = [{ id: "g1", kind: "env", scope: "HOME", effect: "allow", term: "once" }];
    const result = await guest(
      context("ask", grants),
      `import { get } from "locara:env"; export default [await ${attempt('get("HOME")')}, await ${attempt('get("HOME")')}];`,
    );
    expect(result).toEqual({
      ok: true,
      value: [{ ok: "/home/ada" }, expect.objectContaining({ code: "LOCARA_E_PROMPT" })],
    });
  });
});

describe("locara:sys", () => {
  it("gives granted kinds of system information and refuses the rest", async () => {
    const result = await guest(
      context(),
      `import { get } from "locara:sys"; export default [await ${attempt('get("hostname")')}, await ${attempt('get("uptime")')}, await ${attempt('get("secrets")')}];`,
    );
    const [name, uptime, bogus] = (result as { value: Record<string, string>[] }).value;
    expect(name).toEqual({ ok: hostname() });
    expect(uptime).toMatchObject({ code: "LOCARA_E_NOT_DECLARED" });
    expect(bogus).toMatchObject({ code: "LOCARA_E_INVALID_RESOURCE" });
  });
});

describe("locara:kv", () => {
  it("stores plain data privately per installation", async () => {
    const mine = new MemoryKv();
    const ctx = context();
    await guest(
      ctx,
      `import { set } from "locara:kv"; await set("a/1", { n: 1 }); await set("a/2", [2]); await set("b", "x"); export default 0;`,
      mine,
    );
    const read = await guest(
      ctx,
      `import { get, list, delete as del } from "locara:kv"; const before = await list("a/"); await del("a/1"); export default [before, await get("a/2"), await get("a/1"), await list()];`,
      mine,
    );
    expect(read).toEqual({ ok: true, value: [["a/1", "a/2"], [2], null, ["a/2", "b"]] });
    const theirs = await guest(
      ctx,
      `import { list } from "locara:kv"; export default await list();`,
      new MemoryKv(),
    );
    expect(theirs).toEqual({ ok: true, value: [] });
  });
});

describe("auditing", () => {
  it("every call, allowed or denied, leaves one event naming the call, the resource, the decision and the rule", async () => {
    const ctx = context();
    await guest(
      ctx,
      `import { get } from "locara:env"; import { set } from "locara:kv";
       await get("HOME"); try { await get("PATH") } catch {} await set("k", 1); export default 0;`,
    );
    expect(ctx.events.map((e) => [e.call, e.resource, e.decision, e.rule, e.error])).toEqual([
      ["locara:env.get", "HOME", "granted", "permissions.env[0]: HOME", undefined],
      ["locara:env.get", "PATH", "denied", "undeclared", "LOCARA_E_NOT_DECLARED"],
      ["locara:kv.set", "k", "granted", "own storage of the installation", undefined],
    ]);
    expect(ctx.events.every((e) => e.v === 1 && e.installation === "/apps/plug" && e.durationMs >= 0)).toBe(
      true,
    );
  });
});

describe("locara:fs bytes", () => {
  it("readFile returns bytes and writeFile takes them, byte for byte, through the bridge", async () => {
    const { mkdtemp } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { fsModule } = await import("./fs.ts");
    const dir = await mkdtemp(join(tmpdir(), "locara-bytes-"));
    const m = parseManifest(
      `name: bytes\nversion: 1.0.0\nentry: a.ts\npermissions:\n  fs.read: ["${dir}"]\n  fs.write: ["${dir}"]\n`,
    );
    const ctx: PluginContext = {
      installation: "/apps/bytes",
      policy: compilePolicy({ manifest: m, approvals: approveAll(m, "approved") }),
      audit: { write: () => {} },
      now: () => 0,
      environment: {},
    };
    const code = `import { readFile, writeFile, readTextFile } from "locara:fs";
      const all = new Uint8Array(256).map((_, i) => i);
      for (const n of [0, 1, 2, 3, 256]) await writeFile(${JSON.stringify(dir)} + "/b" + n, all.slice(0, n));
      const back = [];
      for (const n of [0, 1, 2, 3, 256]) { const b = await readFile(${JSON.stringify(dir)} + "/b" + n); back.push(b instanceof Uint8Array && b.length === n && b.every((v, i) => v === i)); }
      await writeFile(${JSON.stringify(dir)} + "/t", "héllo ✓");
      export default [back, await readTextFile(${JSON.stringify(dir)} + "/t"), Array.from(await readFile(${JSON.stringify(dir)} + "/t")).length];`;
    const result = await runModule(await slot.acquire(), code, [fsModule(ctx)]);
    expect(result).toEqual({ ok: true, value: [[true, true, true, true, true], "héllo ✓", 10] });
  });
});
