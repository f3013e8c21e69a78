import type { QuickJSContext, QuickJSDeferredPromise, QuickJSHandle } from "quickjs-emscripten";
import { LocaraError } from "../errors.ts";

/** A host function: plain data in, plain data (or a promise of it) out. Throw a LocaraError to deny. */
export type HostFunction = (args: readonly unknown[]) => unknown;

/** A `locara:*` module as the guest imports it: named host functions. */
export interface HostModule {
  readonly name: `locara:${string}`;
  readonly functions: Readonly<Record<string, HostFunction>>;
  /**
   * Guest code that makes the module's exports from the raw host functions (in scope as `host`,
   * e.g. `host.fetch(...)`), for modules whose API is richer than plain data in and out. Without
   * it, the host functions are exported as they are.
   */
  readonly guestSource?: string;
}

export interface HostCallLimits {
  /** Host calls a request may have in flight at once. */
  readonly maxPendingCalls: number;
  /** Bytes of JSON a host call may return into the guest. */
  readonly maxResultBytes: number;
}

export const HOST_CALL_DEFAULTS: HostCallLimits = { maxPendingCalls: 64, maxResultBytes: 8 * 1024 * 1024 };

/** The guest-side name of the one native entry point. */
export const DISPATCH = "__locara_host";

/**
 * The guest side of a module: each function serialises its arguments in the guest (getters,
 * Proxies and toJSON run there, once) and hands the host a single string.
 */
export function moduleSource(module: HostModule): string {
  const names = Object.keys(module.functions);
  for (const fn of names) {
    if (!/^[A-Za-z_$][\w$]*$/.test(fn))
      throw new TypeError(`${module.name}: ${JSON.stringify(fn)} is not a function name`);
  }
  // Local names f0, f1, … exported under the host's names, so that names like `delete` work.
  const lines = names.map(
    (fn, i) =>
      `const f${i} = async (...args) => { const [json, buffers] = encode(args); return decode(await dispatch(${JSON.stringify(module.name)}, ${JSON.stringify(fn)}, json, ...buffers)); };`,
  );
  const head = [`const dispatch = globalThis.${DISPATCH};`, BYTES_CODEC, ...lines];
  if (module.guestSource !== undefined) {
    const host = names.map((fn, i) => `${JSON.stringify(fn)}: f${i}`).join(", ");
    return [...head, `const host = Object.freeze({ ${host} });`, module.guestSource].join("\n");
  }
  const exports = names.map((fn, i) => `f${i} as ${fn}`).join(", ");
  return [...head, `export { ${exports} };`].join("\n");
}

/**
 * Bytes cross the bridge as ArrayBuffers beside the JSON, which holds `{ "__bytes": i }` where
 * the i-th buffer goes: copied once each way, never encoded as text. A guest can forge such an
 * object in its own data; it then names one of its own buffers (or none), which it could anyway.
 */
const BYTES_CODEC = `const encode = (args) => {
  const buffers = [];
  const json = JSON.stringify(args, (key, value) => {
    if (!(value instanceof Uint8Array)) return value;
    buffers.push(value.slice().buffer);
    return { __bytes: buffers.length - 1 };
  });
  return [json, buffers];
};
// A reviver runs once per value, which is slow in QuickJS: results without bytes need none, and
// those with bytes are walked once.
const revive = (value, buffers) => {
  if (value === null || typeof value !== "object") return value;
  if (typeof value.__bytes === "number") return new Uint8Array(buffers[1 + value.__bytes] ?? 0);
  for (const key in value) value[key] = revive(value[key], buffers);
  return value;
};
const decode = (result) => typeof result === "string" ? JSON.parse(result) : revive(JSON.parse(result[0]), result);`;

/** Host side: `{ __bytes: i }` in arguments becomes the i-th buffer the guest passed. */
function hostFromWire(buffers: readonly Buffer[]) {
  return (_key: string, value: unknown): unknown => {
    if (value === null || typeof value !== "object") return value;
    const index = (value as { __bytes?: unknown }).__bytes;
    if (typeof index !== "number") return value;
    const buffer = buffers[index];
    if (buffer === undefined) throw new TypeError("host call arguments name bytes that were not passed");
    return buffer;
  };
}

/** Host side of results: each Uint8Array becomes `{ __bytes: i }` and the i-th buffer. */
function hostToWire(buffers: Buffer[]) {
  return function (this: unknown, key: string, value: unknown): unknown {
    const raw = (this as Record<string, unknown> | undefined)?.[key];
    if (!(raw instanceof Uint8Array)) return value;
    buffers.push(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
    return { __bytes: buffers.length - 1 };
  };
}

interface Settlement {
  readonly deferred: QuickJSDeferredPromise;
  readonly outcome:
    | { ok: true; json: string; buffers: readonly Buffer[] }
    | { ok: false; name: string; message: string; code?: string };
}

/**
 * The host side: one native function in a request's context. Invariants: the host reads exactly
 * one value from the guest per call (a string it parses itself), so nothing the guest controls can
 * show the check one value and the operation another; the guest gets back only strings and plain
 * errors (a code and a message, no host stack, no host object); a request never has more than
 * `maxPendingCalls` calls in flight, and a settlement that arrives after the request ended is
 * dropped without touching its context.
 */
export class HostCalls {
  readonly #context: QuickJSContext;
  readonly #modules: ReadonlyMap<string, HostModule>;
  readonly #limits: HostCallLimits;
  readonly #settled: Settlement[] = [];
  /** Every deferred not yet delivered: all must be freed before the context is. */
  readonly #live = new Set<QuickJSDeferredPromise>();
  #pending = 0;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(
    context: QuickJSContext,
    modules: readonly HostModule[],
    limits: HostCallLimits = HOST_CALL_DEFAULTS,
  ) {
    this.#context = context;
    this.#modules = new Map(modules.map((m) => [m.name, m]));
    this.#limits = limits;
    const dispatch = context.newFunction(DISPATCH, (module, fn, args, ...bytes) =>
      this.#dispatch(module, fn, args, ...bytes),
    );
    context.defineProp(context.global, DISPATCH, { value: dispatch, configurable: false, enumerable: false });
    dispatch.dispose();
    // Read-only too, so code in the app cannot swap the dispatcher under another part of the app.
    const frozen = context.evalCode(`Object.defineProperty(globalThis, "${DISPATCH}", { writable: false })`);
    (frozen.error ?? frozen.value).dispose();
  }

  get pending(): number {
    return this.#pending;
  }

  /** Settled calls waiting to be delivered into the guest. */
  get ready(): number {
    return this.#settled.length;
  }

  /** Wait until at least one call has settled (or none is pending). */
  async next(): Promise<void> {
    if (this.#settled.length > 0 || this.#pending === 0) return;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }

  /** Deliver settled calls into the guest. Call inside the engine's guard, then run pending jobs. */
  deliver(): void {
    for (const { deferred, outcome } of this.#settled.splice(0)) {
      const vm = this.#context;
      if (outcome.ok) {
        const value = outcome.buffers.length === 0 ? vm.newString(outcome.json) : this.#withBytes(outcome);
        deferred.resolve(value);
        value.dispose();
      } else {
        const error = vm.newError({ name: outcome.name, message: outcome.message });
        if (outcome.code !== undefined) {
          const code = vm.newString(outcome.code);
          vm.setProp(error, "code", code); // setProp copies: the handle is still ours to free
          code.dispose();
        }
        deferred.reject(error);
        error.dispose();
      }
      this.#live.delete(deferred);
      deferred.dispose();
    }
  }

  /**
   * The request is over: later settlements are dropped, and every deferred still held is freed —
   * unless the engine broke, in which case its heap is never touched again and they are dropped.
   */
  close(engineUsable: boolean): void {
    this.#closed = true;
    this.#settled.length = 0;
    if (engineUsable) for (const deferred of this.#live) if (deferred.alive) deferred.dispose();
    this.#live.clear();
  }

  /** `[json, ...buffers]` as a guest array: the bytes are copied into the guest once. */
  #withBytes(outcome: { json: string; buffers: readonly Buffer[] }): QuickJSHandle {
    const vm = this.#context;
    const array = vm.newArray();
    const json = vm.newString(outcome.json);
    vm.setProp(array, 0, json);
    json.dispose();
    outcome.buffers.forEach((buffer, i) => {
      const bytes = vm.newArrayBuffer(
        buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength),
      );
      vm.setProp(array, i + 1, bytes);
      bytes.dispose();
    });
    return array;
  }

  #dispatch(
    moduleHandle: QuickJSHandle,
    fnHandle: QuickJSHandle,
    argsHandle: QuickJSHandle,
    ...bufferHandles: QuickJSHandle[]
  ): QuickJSHandle {
    const vm = this.#context;
    const deferred = vm.newPromise();
    this.#live.add(deferred);
    const reject = (name: string, message: string, code?: string) => {
      this.#settled.push({
        deferred,
        outcome: { ok: false, name, message, ...(code === undefined ? {} : { code }) },
      });
      this.#wake?.();
    };
    if ([moduleHandle, fnHandle, argsHandle].some((h) => h === undefined || vm.typeof(h) !== "string")) {
      reject("TypeError", "host calls take a module name, a function name and JSON arguments");
      return deferred.handle;
    }
    const module = this.#modules.get(vm.getString(moduleHandle));
    const name = vm.getString(fnHandle);
    const fn = module && Object.hasOwn(module.functions, name) ? module.functions[name] : undefined;
    if (!fn) {
      reject("TypeError", `${vm.getString(moduleHandle)} has no function ${JSON.stringify(name)}`);
      return deferred.handle;
    }
    if (this.#pending >= this.#limits.maxPendingCalls) {
      reject(
        "RangeError",
        `too many host calls in flight (at most ${this.#limits.maxPendingCalls}): await some before starting more`,
        "LOCARA_E_LIMIT",
      );
      return deferred.handle;
    }
    let args: unknown;
    try {
      // Each buffer is copied out exactly once, before anything looks at the arguments.
      const buffers = bufferHandles.map((h) => {
        if (vm.typeof(h) !== "object") throw new TypeError("bytes must be ArrayBuffers");
        const view = vm.getArrayBuffer(h);
        try {
          return Buffer.from(view.value);
        } finally {
          view.dispose();
        }
      });
      args = JSON.parse(vm.getString(argsHandle), hostFromWire(buffers));
    } catch {
      reject("TypeError", "host call arguments must be JSON (and bytes as ArrayBuffers)");
      return deferred.handle;
    }
    if (!Array.isArray(args)) {
      reject("TypeError", "host call arguments must be a list");
      return deferred.handle;
    }
    this.#pending++;
    Promise.resolve()
      .then(() => fn(args))
      .then(
        (value) => {
          const buffers: Buffer[] = [];
          const json = JSON.stringify(value ?? null, hostToWire(buffers));
          const size = buffers.reduce((n, b) => n + b.length, json.length);
          if (size > this.#limits.maxResultBytes) {
            return this.#settle(deferred, {
              ok: false,
              name: "RangeError",
              message: `the result of ${module?.name}.${name} is larger than ${this.#limits.maxResultBytes} bytes`,
              code: "LOCARA_E_LIMIT",
            });
          }
          this.#settle(deferred, { ok: true, json, buffers });
        },
        (error: unknown) => {
          // Only what a LocaraError says reaches the guest; anything else is an internal error.
          const outcome =
            error instanceof LocaraError
              ? { ok: false as const, name: "LocaraError", message: error.message, code: error.code }
              : {
                  ok: false as const,
                  name: "Error",
                  message: `${module?.name}.${name} failed inside the host`,
                };
          this.#settle(deferred, outcome);
        },
      );
    return deferred.handle;
  }

  #settle(deferred: QuickJSDeferredPromise, outcome: Settlement["outcome"]): void {
    this.#pending--;
    if (this.#closed) return; // the context is gone or going: never touch it
    this.#settled.push({ deferred, outcome });
    this.#wake?.();
  }
}
