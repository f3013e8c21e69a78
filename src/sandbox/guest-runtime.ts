import type { QuickJSContext } from "quickjs-emscripten";
import { DISPATCH, type HostModule } from "./host-calls.ts";
import { installWebGlobals } from "./web-globals.ts";

export interface OutputSink {
  write(stream: "stdout" | "stderr", text: string): void;
}

/** What one request may print. */
export const OUTPUT_LIMIT_BYTES = 1024 * 1024;

const PRINT = "__locara_print";

/**
 * Guest globals every app gets: the web globals (web-globals.ts), `console` (synchronous, so that an output flood is stopped in the
 * middle of the loop that causes it) and timers. Timers wait through the host-call bridge, so they
 * count as calls in flight and can never outlive the request's wall-clock limit.
 */
const PRELUDE = `(() => {
  const print = globalThis.${PRINT};
  const dispatch = globalThis.${DISPATCH};
  const text = (args) => args.map((v) => {
    if (typeof v === "string") return v;
    if (v instanceof Error) return v.name + ": " + v.message;
    try { const s = JSON.stringify(v); return s === undefined ? String(v) : s; } catch { return String(v); }
  }).join(" ");
  const out = (...args) => print(1, text(args));
  const err = (...args) => print(2, text(args));
  globalThis.console = Object.freeze({ log: out, info: out, debug: out, warn: err, error: err });
  let next = 1;
  const cancelled = new Set();
  globalThis.setTimeout = (fn, ms = 0, ...args) => {
    if (typeof fn !== "function") throw new TypeError("setTimeout needs a function");
    const id = next++;
    dispatch("locara:timers", "sleep", JSON.stringify([Number(ms) || 0])).then(() => {
      if (!cancelled.delete(id)) fn(...args);
    });
    return id;
  };
  globalThis.clearTimeout = (id) => { cancelled.add(id); };
  globalThis.queueMicrotask = (fn) => { Promise.resolve().then(fn); };
})();`;

/** The host side of timers: a wait, clamped to [0, maxMs]. */
export function timersModule(maxMs: number): HostModule {
  return {
    name: "locara:timers",
    functions: {
      sleep: ([ms]) =>
        new Promise((resolve) =>
          setTimeout(() => resolve(null), Math.min(Math.max(0, Number(ms) || 0), maxMs)),
        ),
    },
  };
}

/**
 * Install the prelude in a fresh context (after the host-call dispatcher). Invariant: the only
 * host functions reachable are the print function, which takes one string and a stream number and
 * refuses output beyond the limit, and the dispatcher.
 */
export function installGuestRuntime(
  context: QuickJSContext,
  sink: OutputSink,
  limitBytes = OUTPUT_LIMIT_BYTES,
): void {
  let used = 0;
  let warned = false;
  const print = context.newFunction(PRINT, (streamHandle, textHandle) => {
    if (streamHandle === undefined || textHandle === undefined || context.typeof(textHandle) !== "string")
      return;
    const text = `${context.getString(textHandle)}\n`;
    used += Buffer.byteLength(text);
    if (used > limitBytes) {
      if (!warned)
        sink.write("stderr", `[output limit of ${limitBytes} bytes reached: the rest is dropped]\n`);
      warned = true;
      const error = context.newError({
        name: "RangeError",
        message: `output limit of ${limitBytes} bytes per request reached`,
      });
      const code = context.newString("LOCARA_E_LIMIT");
      context.setProp(error, "code", code);
      code.dispose();
      return { error };
    }
    sink.write(context.getNumber(streamHandle) === 2 ? "stderr" : "stdout", text);
    return undefined;
  });
  context.defineProp(context.global, PRINT, { value: print, configurable: false, enumerable: false });
  print.dispose();
  const result = context.evalCode(PRELUDE, "locara-prelude.js");
  if (result.error) {
    const message = JSON.stringify(context.dump(result.error));
    result.error.dispose();
    throw new Error(`the guest prelude failed: ${message}`);
  }
  result.value.dispose();
  installWebGlobals(context);
}
