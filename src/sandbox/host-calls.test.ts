import { afterAll, describe, expect, it } from "vitest";
import { LimitError, PermissionError } from "../errors.ts";
import type { HostModule } from "./host-calls.ts";
import type { SandboxLimits } from "./limits.ts";
import { runModule } from "./run-module.ts";
import { EngineSlot } from "./slot.ts";

const LIMITS: SandboxLimits = { memoryMb: 32, cpuMsPerRequest: 500, wallMsPerRequest: 1000, stackKb: 128 };
const slot = new EngineSlot("/apps/bridge", LIMITS);
afterAll(() => slot.dispose());

const seen: unknown[][] = [];
const never = new Promise<never>(() => {});
const test: HostModule = {
  name: "locara:test",
  functions: {
    echo: async (args) => {
      seen.push([...args]);
      return { args };
    },
    slow: (args) => new Promise((resolve) => setTimeout(() => resolve(args[0]), 20)),
    hang: () => never,
    deny: () => {
      throw new PermissionError(
        "LOCARA_E_NOT_DECLARED",
        'app /apps/bridge is not permitted to read "/etc/passwd": update the app',
        {},
      );
    },
    crash: () => {
      throw new Error("secret host detail at /work/main/src/x.ts:1");
    },
    big: () => "x".repeat(2000),
  },
};

async function run(code: string, limits = { maxPendingCalls: 8, maxResultBytes: 1000 }) {
  return runModule(await slot.acquire(), code, [test], { limits });
}

describe("host calls from guest code", () => {
  it("an async host function returns plain data to the guest", async () => {
    const result = await run(
      `import { echo } from "locara:test"; export default await echo("a", { n: 1 }, [true]);`,
    );
    expect(result).toEqual({ ok: true, value: { args: ["a", { n: 1 }, [true]] } });
  });

  it("runs many calls concurrently and in sequence", async () => {
    const code = `import { slow } from "locara:test";
      const all = await Promise.all([1, 2, 3].map((n) => slow(n)));
      export default [...all, await slow(4)];`;
    expect(await run(code)).toEqual({ ok: true, value: [1, 2, 3, 4] });
  });

  it("reads arguments exactly once: a getter or Proxy cannot show the check one value and the use another", async () => {
    seen.length = 0;
    const code = `import { echo } from "locara:test";
      let reads = 0;
      const tricky = { get path() { reads++; return reads === 1 ? "/allowed" : "/etc/passwd"; } };
      const proxy = new Proxy({}, { get: (_, k) => k === "toJSON" ? undefined : "/etc/shadow", ownKeys: () => ["p"], getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true, value: "/allowed" }) });
      const r = await echo(tricky, proxy);
      export default { reads, r };`;
    const result = await run(code);
    expect(result.ok).toBe(true);
    expect(seen).toHaveLength(1);
    const [tricky] = seen[0]!;
    expect(tricky).toEqual({ path: "/allowed" });
    expect((result as { value: { reads: number } }).value.reads).toBe(1);
  });

  it("functions, symbols and host-looking values do not cross; only JSON does", async () => {
    seen.length = 0;
    const code = `import { echo } from "locara:test";
      export default await echo(() => 1, { f() {} }, Symbol("s"), 10n === 10n);`;
    expect(await run(code)).toEqual({ ok: true, value: { args: [null, {}, null, true] } });
  });

  it("a denial reaches the guest as an error with the code and the message, and no host stack", async () => {
    const ok = await run(`import { deny } from "locara:test";
      let out; try { await deny("/etc/passwd") } catch (e) { out = { name: e.name, code: e.code, message: e.message, stack: String(e.stack) } }
      export default out;`);
    expect(ok.ok).toBe(true);
    const value = (ok as { value: { name: string; code: string; message: string; stack: string } }).value;
    expect(value).toMatchObject({ name: "LocaraError", code: "LOCARA_E_NOT_DECLARED" });
    expect(value.message).toContain('is not permitted to read "/etc/passwd"');
    expect(value.stack).not.toMatch(/node_modules|\/work\/|\.ts:/);
  });

  it("an unexpected host failure says nothing about the host", async () => {
    const result = await run(
      `import { crash } from "locara:test"; let m; try { await crash() } catch (e) { m = e.message } export default m;`,
    );
    expect(result).toEqual({ ok: true, value: "locara:test.crash failed inside the host" });
  });

  it("the dispatcher refuses calls that are not the generated form", async () => {
    const result =
      await run(`let r = []; for (const args of [[1, 2, 3], ["locara:test", "echo", { toString() { return "[]" } }], ["locara:test", "nope", "[]"], ["locara:other", "echo", "[]"], ["locara:test", "echo", "{}"]]) {
      try { await globalThis.__locara_host(...args); r.push("called") } catch (e) { r.push(e.name) } }
      export default r;`);
    expect(result).toEqual({
      ok: true,
      value: ["TypeError", "TypeError", "TypeError", "TypeError", "TypeError"],
    });
  });

  it("nothing else from the host can be imported, statically or dynamically", async () => {
    expect(await run(`import fs from "node:fs"; export default 1;`)).toMatchObject({ ok: false });
    const dynamic = await run(
      `let m; try { await import("node:child_process") } catch (e) { m = e.message } export default m;`,
    );
    expect(dynamic).toEqual({
      ok: true,
      value: expect.stringContaining('cannot import "node:child_process"'),
    });
  });
});

describe("host call limits", () => {
  it("caps the calls in flight: the excess is refused with a code, the rest complete", async () => {
    const code = `import { slow } from "locara:test";
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => slow(i)));
      export default { ok: results.filter((r) => r.status === "fulfilled").length, refused: results.filter((r) => r.status === "rejected" && r.reason.code === "LOCARA_E_LIMIT").length };`;
    expect(await run(code)).toEqual({ ok: true, value: { ok: 8, refused: 12 } });
  });

  it("caps the size of what a call returns", async () => {
    const result = await run(
      `import { big } from "locara:test"; let m; try { await big() } catch (e) { m = [e.name, e.code] } export default m;`,
    );
    expect(result).toEqual({ ok: true, value: ["RangeError", "LOCARA_E_LIMIT"] });
  });

  it("waiting on a host call that never answers ends at the wall limit, and the engine keeps working", async () => {
    const engine = await slot.acquire();
    const budget = { cpuLeftMs: 500, wallDeadline: performance.now() + 100 };
    await expect(
      runModule(engine, `import { hang } from "locara:test"; export default await hang();`, [test], {
        budget,
      }),
    ).rejects.toThrow(LimitError);
    expect(await run(`export default "next request";`)).toEqual({ ok: true, value: "next request" });
  });

  it("a module that awaits nothing that can come ends with a clear error", async () => {
    expect(await run(`export default await new Promise(() => {});`)).toEqual({
      ok: false,
      error: { name: "Error", message: "the app's code is waiting for something that never comes" },
    });
  });
});
