import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  RELEASE_SYNC,
} from "quickjs-emscripten";
import { LimitError, type LimitKind, SandboxCrashError } from "../errors.ts";
import type { SandboxLimits } from "./limits.ts";

/** The pieces of the WebAssembly API used here (their types live in the DOM lib, not in ES). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
const { Memory, compile } = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: new (d: { initial: number; maximum: number }) => WasmMemory;
      compile: (bytes: Uint8Array) => Promise<object>;
    };
  }
).WebAssembly;

/**
 * QuickJS compiled once per process; each installation instantiates it with its own memory, so
 * isolation is unchanged (instances share only immutable code) and a cold start skips compiling.
 */
let compiled: Promise<object> | undefined;
function quickjsModule(): Promise<object> {
  compiled ??= readFile(
    createRequire(import.meta.url).resolve("@jitl/quickjs-wasmfile-release-sync/wasm"),
  ).then((bytes) => compile(bytes));
  return compiled;
}

const PAGE_BYTES = 64 * 1024;
/** The release-sync QuickJS build declares 256 pages (16 MiB) of initial memory. */
const BASE_PAGES = 256;

/** What a request has left of its budget; shared by every slice of guest work in the request. */
export interface RequestBudget {
  cpuLeftMs: number;
  readonly wallDeadline: number;
  /** Ends the request at once (an emergency disable): its reason is what the request throws. */
  readonly abort?: AbortSignal;
}

export type GuestResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: { readonly name: string; readonly message: string } };

/**
 * One installation's JavaScript engine: its own WebAssembly instance of QuickJS with its own
 * memory, so that a crash, a runaway or a corrupted heap stays inside one app. Guest code sees
 * only what the host puts into a context: no `process`, no `require`, no host objects.
 *
 * Limits, each ending the request with a LimitError while the installation keeps working:
 * - memory: the WebAssembly memory has a hard maximum (QuickJS's own accounting undercounts), and
 *   QuickJS's allocator limit is set too;
 * - CPU and wall time: an interrupt handler checks the request's budget while guest code runs;
 *   an interrupt cannot be caught by the guest;
 * - stack: QuickJS's stack limit is kept far below the host's; where QuickJS recurses without
 *   checking (deeply nested values) the host's own stack overflow is caught at this boundary and
 *   the engine is marked broken, because its heap may be mid-update: the owner replaces it.
 */
export class SandboxEngine {
  readonly installation: string;
  readonly limits: SandboxLimits;
  readonly #memory: WasmMemory;
  readonly #runtime: QuickJSRuntime;
  #broken = false;

  private constructor(
    installation: string,
    limits: SandboxLimits,
    memory: WasmMemory,
    runtime: QuickJSRuntime,
  ) {
    this.installation = installation;
    this.limits = limits;
    this.#memory = memory;
    this.#runtime = runtime;
  }

  static async create(installation: string, limits: SandboxLimits): Promise<SandboxEngine> {
    const maximum = Math.max(BASE_PAGES, Math.ceil((limits.memoryMb * 1024 * 1024) / PAGE_BYTES));
    const memory = new Memory({ initial: BASE_PAGES, maximum });
    const wasmModule = (await quickjsModule()) as Parameters<typeof newVariant>[1]["wasmModule"];
    const module = await newQuickJSWASMModuleFromVariant(
      newVariant(RELEASE_SYNC, { wasmMemory: memory, wasmModule }),
    );
    const runtime = module.newRuntime();
    runtime.setMemoryLimit(limits.memoryMb * 1024 * 1024);
    runtime.setMaxStackSize(limits.stackKb * 1024);
    return new SandboxEngine(installation, limits, memory, runtime);
  }

  /** True once the host's stack overflowed inside this engine: it must not run anything again. */
  get broken(): boolean {
    return this.#broken;
  }

  /** Bytes of WebAssembly memory the engine has grown to. */
  get memoryBytes(): number {
    return this.#memory.buffer.byteLength;
  }

  /**
   * The modules guest code may import: these `locara:*` modules and nothing else from the host.
   * Invariant: the loader only ever returns generated wrappers around the host-call dispatcher.
   */
  setModules(sources: ReadonlyMap<string, string>): void {
    this.#assertUsable();
    this.#runtime.setModuleLoader((name) => {
      const source = sources.get(name);
      if (source === undefined) {
        throw new Error(
          `cannot import ${JSON.stringify(name)}: an app imports only its own bundled code and the locara:* modules it is given`,
        );
      }
      return source;
    });
  }

  /** Run the jobs (promise reactions) guest code queued. Call inside run(). */
  runJobs(): void {
    this.#drainJobs();
  }

  /** Copy a thrown guest value out as the guest's error (or a limit). Call inside run(). */
  guestError(context: QuickJSContext, handle: QuickJSHandle): GuestResult {
    return this.#guestError(context, handle);
  }

  /** Copy a guest result out (a settled promise gives its value or reason). Call inside run(). */
  settle(context: QuickJSContext, handle: QuickJSHandle): GuestResult {
    return this.#settle(context, handle);
  }

  /** A fresh context (global object) for one request or job. Dispose it when done. */
  newContext(): QuickJSContext {
    this.#assertUsable();
    return this.#runtime.newContext();
  }

  newBudget(now = performance.now()): RequestBudget {
    return { cpuLeftMs: this.limits.cpuMsPerRequest, wallDeadline: now + this.limits.wallMsPerRequest };
  }

  /**
   * Evaluate guest code in a context under the request's budget, run the jobs it queued, and
   * return its result copied out as plain data (or the guest's own error). Limits throw.
   */
  evaluate(context: QuickJSContext, code: string, budget: RequestBudget, filename = "app.js"): GuestResult {
    return this.run(budget, () => {
      const result = context.evalCode(code, filename);
      this.#drainJobs();
      if (result.error) return this.#guestError(context, result.error);
      return this.#settle(context, result.value);
    });
  }

  /** Run a slice of guest work under the request's budget. Every entry into guest code goes here. */
  run<T>(budget: RequestBudget, work: () => T): T {
    this.#assertUsable();
    const start = performance.now();
    const cpuDeadline = start + budget.cpuLeftMs;
    let hit: LimitKind | undefined;
    let aborted = false;
    this.#runtime.setInterruptHandler(() => {
      const now = performance.now();
      if (budget.abort?.aborted) aborted = true;
      else if (now > cpuDeadline) hit = "cpu";
      else if (now > budget.wallDeadline) hit = "wall";
      return hit !== undefined || aborted;
    });
    try {
      const value = this.guard(work);
      if (aborted) {
        this.#broken = true; // cut off mid-request: the same as a limit, the engine is replaced
        throw budget.abort?.reason;
      }
      if (hit) {
        // An interrupted request can leave promise jobs in the runtime-wide queue that point into
        // its context: the engine is replaced rather than ever running them.
        this.#broken = true;
        throw this.#limit(hit);
      }
      return value;
    } finally {
      budget.cpuLeftMs -= performance.now() - start;
      if (!this.#broken) this.#runtime.removeInterruptHandler();
    }
  }

  /**
   * Touch the engine without running guest code (deliver a settlement, free a context): no
   * budget, but the same containment. Anything unexpected out of QuickJS (the host's stack
   * overflowing inside it, an abort, an out-of-memory) can leave its heap half-updated, so the
   * engine is never entered again.
   */
  guard<T>(work: () => T): T {
    this.#assertUsable();
    try {
      return work();
    } catch (error) {
      if (error instanceof LimitError && !error.data.breaks) throw error;
      this.#broken = true;
      if (error instanceof LimitError) throw error;
      if (error instanceof RangeError) {
        throw new LimitError(
          this.installation,
          "stack",
          "a value or recursion nested too deeply for the host",
          { breaks: true },
        );
      }
      throw new SandboxCrashError(
        this.installation,
        error instanceof Error ? `${error.name}: ${error.message.split("\n")[0]}` : String(error),
      );
    }
  }

  /** Run one request's code in a fresh context and free it, all inside the guard. */
  request(code: string, budget: RequestBudget = this.newBudget(), filename = "app.js"): GuestResult {
    const context = this.newContext();
    let result: GuestResult | undefined;
    try {
      result = this.evaluate(context, code, budget, filename);
      return result;
    } finally {
      if (!this.#broken)
        this.run({ cpuLeftMs: Number.POSITIVE_INFINITY, wallDeadline: Number.POSITIVE_INFINITY }, () =>
          context.dispose(),
        );
    }
  }

  /**
   * Never enter the engine again and let its WebAssembly instance and memory be collected. The
   * runtime is not freed inside the instance: the whole instance goes, and freeing it first only
   * made QuickJS assert (printing "Aborted(…JS_FreeRuntime)") over objects a guest left behind.
   */
  dispose(): void {
    this.#broken = true;
  }

  #assertUsable(): void {
    if (this.#broken)
      throw new LimitError(this.installation, "stack", "the app's engine was stopped after a stack overflow");
  }

  #limit(hit: LimitKind): LimitError {
    const detail =
      hit === "cpu"
        ? `${this.limits.cpuMsPerRequest} ms of CPU per request`
        : hit === "wall"
          ? `${this.limits.wallMsPerRequest} ms per request`
          : `${this.limits.memoryMb} MiB`;
    return new LimitError(this.installation, hit, detail, { breaks: true });
  }

  /** Never enter this engine again (a request was abandoned with work still queued in it). */
  retire(): void {
    this.#broken = true;
  }

  #drainJobs(): void {
    const jobs = this.#runtime.executePendingJobs();
    if (jobs.error) jobs.error.dispose();
  }

  #guestError(context: QuickJSContext, handle: QuickJSHandle): GuestResult {
    const dumped = context.dump(handle) as unknown;
    handle.dispose();
    const error =
      dumped !== null && typeof dumped === "object"
        ? {
            name: String((dumped as { name?: unknown }).name ?? "Error"),
            message: String((dumped as { message?: unknown }).message ?? ""),
          }
        : { name: "Error", message: String(dumped) };
    if (error.name === "InternalError" && error.message === "out of memory") {
      throw new LimitError(this.installation, "memory", `${this.limits.memoryMb} MiB`, { breaks: true });
    }
    if (error.message === "stack overflow") {
      // InternalError from calls, SyntaxError from JSON.parse: either way the guest's stack limit.
      throw new LimitError(this.installation, "stack", `${this.limits.stackKb} KiB of stack`);
    }
    return { ok: false, error };
  }

  /** A settled promise gives its value or reason; anything else is copied out as it is. */
  #settle(context: QuickJSContext, handle: QuickJSHandle): GuestResult {
    const state = context.getPromiseState(handle);
    if (state.type === "pending") {
      handle.dispose();
      return { ok: false, error: { name: "Error", message: "the result is a promise that never settled" } };
    }
    if (state.type === "rejected") {
      if (state.error !== handle) handle.dispose();
      return this.#guestError(context, state.error);
    }
    const value = context.dump(state.value) as unknown;
    if (state.value !== handle) state.value.dispose();
    handle.dispose();
    return { ok: true, value };
  }
}
