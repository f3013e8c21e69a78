import { afterAll, describe, expect, it } from "vitest";
import { LimitError, LocaraError } from "../errors.ts";
import type { SandboxLimits } from "./limits.ts";
import { EngineSlot } from "./slot.ts";

const LIMITS: SandboxLimits = { memoryMb: 32, cpuMsPerRequest: 200, wallMsPerRequest: 1000, stackKb: 128 };

const app = new EngineSlot("/apps/a", LIMITS);
const other = new EngineSlot("/apps/b", LIMITS);
afterAll(async () => {
  await app.dispose();
  await other.dispose();
});

/** One request, as the host makes it: a healthy engine, a fresh context, the request's budget. */
async function request(slot: EngineSlot, code: string) {
  return (await slot.acquire()).request(code);
}

/** The error a request ends with (it must end with one). */
async function failure(slot: EngineSlot, code: string): Promise<LocaraError> {
  try {
    await request(slot, code);
  } catch (error) {
    expect(error).toBeInstanceOf(LocaraError);
    return error as LocaraError;
  }
  throw new Error("expected the request to fail");
}

async function limitOf(slot: EngineSlot, code: string): Promise<unknown> {
  const error = await failure(slot, code);
  expect(error).toBeInstanceOf(LimitError);
  return error.data.limit;
}

describe("a sandbox engine", () => {
  it("runs guest code and returns plain data", async () => {
    expect(await request(app, "({ a: [1, 2, 3], b: 'x' })")).toEqual({
      ok: true,
      value: { a: [1, 2, 3], b: "x" },
    });
    expect(await request(app, "Promise.resolve(41).then((x) => x + 1)")).toEqual({ ok: true, value: 42 });
  });

  it("gives guest code no ambient authority", async () => {
    const probe = `[typeof process, typeof require, typeof module, typeof fetch, typeof WebAssembly,
      typeof setTimeout, typeof Deno, typeof Bun, typeof std, typeof os]`;
    expect(await request(app, probe)).toEqual({ ok: true, value: Array(10).fill("undefined") });
    const viaFunction = "(0, Function)('return this')().process";
    expect(await request(app, viaFunction)).toEqual({ ok: true, value: undefined });
  });

  it("reports the guest's own errors as data, without a host stack", async () => {
    expect(await request(app, "throw new TypeError('nope')")).toEqual({
      ok: false,
      error: { name: "TypeError", message: "nope" },
    });
    expect(await request(app, "Promise.reject(new Error('later'))")).toEqual({
      ok: false,
      error: { name: "Error", message: "later" },
    });
  });

  it("starts every request with a fresh global object", async () => {
    expect(await request(app, "globalThis.leak = 'secret'; Object.prototype.polluted = 1; 1")).toEqual({
      ok: true,
      value: 1,
    });
    expect(await request(app, "[typeof leak, 'polluted' in {}]")).toEqual({
      ok: true,
      value: ["undefined", false],
    });
  });
});

describe("limits end the request, never the host, and the installation keeps working", () => {
  it("an infinite loop hits the CPU limit", async () => {
    const before = app.restarts;
    expect(await limitOf(app, "for (;;) {}")).toBe("cpu");
    expect(await request(app, "1 + 1")).toEqual({ ok: true, value: 2 });
    // Interrupted work may still be queued in that engine: the next request gets a fresh one.
    expect(app.restarts).toBe(before + 1);
  });

  it("catching the interrupt does not help", async () => {
    expect(await limitOf(app, "for (;;) { try { for (;;) {} } catch (e) {} }")).toBe("cpu");
  });

  it("catch-and-recurse ends at a time limit", async () => {
    // Each throw at full depth builds a deep backtrace, so QuickJS polls the interrupt handler
    // rarely here: the CPU budget can overrun, but the request always ends.
    expect(["cpu", "wall"]).toContain(
      await limitOf(app, "function g(n) { try { return g(n + 1) } catch (e) { return g(n + 1) } } g(0)"),
    );
    expect(await request(app, "'after'")).toEqual({ ok: true, value: "after" });
  });

  it("deep recursion and deeply nested JSON are stack limits", async () => {
    expect(await limitOf(app, "function f() { return f() + 1 } f()")).toBe("stack");
    expect(await limitOf(app, "let s = ''; for (let i = 0; i < 200000; i++) s += '['; JSON.parse(s)")).toBe(
      "stack",
    );
    expect(await request(app, "'after recursion'")).toEqual({ ok: true, value: "after recursion" });
  });

  it("a memory bomb of small objects or of buffers hits the memory limit; the next request gets a fresh engine", async () => {
    const before = app.restarts;
    expect(await limitOf(app, "const a = []; for (;;) a.push({ x: a.length, y: 'z'.repeat(16) })")).toBe(
      "memory",
    );
    expect(await request(app, "'still here'")).toEqual({ ok: true, value: "still here" });
    expect(await limitOf(app, "const a = []; for (;;) a.push(new ArrayBuffer(1 << 20))")).toBe("memory");
    expect((await app.acquire()).memoryBytes).toBeLessThanOrEqual(32 * 1024 * 1024);
    expect(app.restarts).toBe(before + 2);
  });

  it("a value nested deeper than the host's stack breaks only that engine", async () => {
    const victim = new EngineSlot("/apps/victim", LIMITS);
    const nested =
      "let o = {}, c = o; for (let i = 0; i < 200000; i++) { c.a = {}; c = c.a } JSON.stringify(o)";
    expect(await limitOf(victim, nested)).toBe("stack");
    expect(await request(other, "'the other app answers'")).toEqual({
      ok: true,
      value: "the other app answers",
    });
    expect(await request(victim, "2 * 21")).toEqual({ ok: true, value: 42 });
    expect(victim.restarts).toBe(1);
    await victim.dispose();
  });

  it("the wall-clock limit covers the whole request", async () => {
    const engine = await app.acquire();
    const budget = { cpuLeftMs: 10_000, wallDeadline: performance.now() + 50 };
    const error = await Promise.resolve()
      .then(() => engine.request("for (;;) {}", budget))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitError);
    expect((error as LimitError).message).toMatch(
      /^app \/apps\/a hit its wall limit \(1000 ms per request\): finish sooner/,
    );
  });
});

describe("the engine slot", () => {
  it("replaces a broken engine once, however many requests ask at the same time", async () => {
    const slot = new EngineSlot("/apps/concurrent", LIMITS);
    await failure(slot, "for (;;) {}");
    const engines = await Promise.all([slot.acquire(), slot.acquire(), slot.acquire()]);
    expect(new Set(engines).size).toBe(1);
    expect(slot.restarts).toBe(1);
    await slot.dispose();
  });
});
