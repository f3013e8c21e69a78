import { afterAll, describe, expect, it } from "vitest";
import { LimitError } from "../errors.ts";
import { OUTPUT_LIMIT_BYTES, type OutputSink } from "./guest-runtime.ts";
import { runModule } from "./run-module.ts";
import { EngineSlot } from "./slot.ts";

const slot = new EngineSlot("/apps/rt", {
  memoryMb: 64,
  cpuMsPerRequest: 1000,
  wallMsPerRequest: 1000,
  stackKb: 128,
});
const other = new EngineSlot("/apps/other", {
  memoryMb: 32,
  cpuMsPerRequest: 500,
  wallMsPerRequest: 1000,
  stackKb: 128,
});
afterAll(async () => {
  await slot.dispose();
  await other.dispose();
});

function sink(): OutputSink & { out: string; err: string } {
  const s = {
    out: "",
    err: "",
    write(stream: "stdout" | "stderr", text: string) {
      if (stream === "stdout") s.out += text;
      else s.err += text;
    },
  };
  return s;
}

describe("console and timers in the sandbox", () => {
  it("console writes lines to the host's streams", async () => {
    const output = sink();
    const result = await runModule(
      await slot.acquire(),
      `console.log("hello", 42, { a: [1] }); console.warn("careful"); console.error(new TypeError("bad")); export default 1;`,
      [],
      { output },
    );
    expect(result).toEqual({ ok: true, value: 1 });
    expect(output.out).toBe('hello 42 {"a":[1]}\n');
    expect(output.err).toBe("careful\nTypeError: bad\n");
  });

  it("an output flood ends in a guest error at the limit, and another installation keeps answering", async () => {
    const output = sink();
    const result = await runModule(
      await slot.acquire(),
      `for (;;) console.log("x".repeat(1000)); export default 0;`,
      [],
      { output },
    );
    expect(result).toEqual({
      ok: false,
      error: {
        name: "RangeError",
        message: `output limit of ${OUTPUT_LIMIT_BYTES} bytes per request reached`,
      },
    });
    expect(output.out.length).toBeLessThanOrEqual(OUTPUT_LIMIT_BYTES);
    expect(output.err).toContain("[output limit");
    expect(await runModule(await other.acquire(), "export default 'fine';", [])).toEqual({
      ok: true,
      value: "fine",
    });
  });

  it("timers run in order, clearTimeout cancels, and the request waits for them", async () => {
    const code = `const seen = [];
      await new Promise((done) => {
        setTimeout(() => seen.push("b"), 20);
        const cancelled = setTimeout(() => seen.push("never"), 10);
        clearTimeout(cancelled);
        setTimeout((x) => seen.push(x), 5, "a");
        queueMicrotask(() => seen.push("micro"));
        setTimeout(done, 40);
      });
      export default seen;`;
    expect(await runModule(await slot.acquire(), code, [], { output: sink() })).toEqual({
      ok: true,
      value: ["micro", "a", "b"],
    });
  });

  it("a timer cannot outlive the request", async () => {
    const engine = await slot.acquire();
    const started = performance.now();
    await expect(
      runModule(engine, "export default await new Promise((r) => setTimeout(r, 60_000));", [], {
        output: sink(),
      }),
    ).rejects.toThrow(LimitError);
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
