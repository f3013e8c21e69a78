import type { QuickJSContext, QuickJSHandle, VmCallResult } from "quickjs-emscripten";
import type { SandboxEngine } from "./engine.ts";
import type { OutputSink } from "./guest-runtime.ts";
import { HOST_CALL_DEFAULTS, type HostCalls, type HostModule } from "./host-calls.ts";
import { prepareContext, settle } from "./run-module.ts";
import type { EngineSlot } from "./slot.ts";

/** An HTTP request as the guest's `fetch(request)` handler receives it. */
export interface GuestRequest {
  readonly method: string;
  /** Absolute URL. */
  readonly url: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Uint8Array | null;
}

/** What the handler answered, checked by the host. */
export interface GuestResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

export type FetchOutcome =
  | { readonly ok: true; readonly response: GuestResponse }
  | { readonly ok: false; readonly error: { readonly name: string; readonly message: string } };

/** Largest response body a handler may return, and largest headers block. */
export const RESPONSE_LIMITS = { bodyBytes: HOST_CALL_DEFAULTS.maxResultBytes, headerBytes: 64 * 1024 };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\0\r\n]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a reason phrase is one line of visible text
const BAD_REASON = /[\0-\x08\n-\x1f\x7f]/;

/**
 * Guest modules an app gets besides its own code, and the imports that must run before it (e.g.
 * the module that makes `fetch` a global): module evaluation follows import order.
 */
export interface AppExtras {
  readonly modules: ReadonlyMap<string, string>;
  /** Import statements placed before the app's own import. */
  readonly preamble: string;
}

export const NO_EXTRAS: AppExtras = { modules: new Map(), preamble: "" };

/**
 * The glue module: checks the app's default export once and exports the function the host calls
 * per request. It runs after the app's module, so an app could replace Request or Response; that
 * only changes its own answers, which the host checks anyway.
 */
const GLUE = `import app from "app:main";
const respond = globalThis.__locara_respond;
delete globalThis.__locara_respond;
if (app === null || typeof app !== "object" || typeof app.fetch !== "function") {
  throw new TypeError("the app's entry must export default { fetch(request) }");
}
const context = { waitUntil() {}, passThroughOnException() {} };
export default async (metaJson, body) => {
  const meta = JSON.parse(metaJson);
  const request = new Request(meta.url, { method: meta.method, headers: meta.headers, body });
  const response = await app.fetch(request, {}, context);
  if (!(response instanceof Response)) {
    throw new TypeError("the app's fetch handler must return a Response, not " + (response === null ? "null" : typeof response));
  }
  respond(response.status, response.statusText, JSON.stringify([...response.headers]), await response.arrayBuffer());
};`;

/**
 * Check what the guest answered. Invariant: nothing the guest hands back reaches the host's HTTP
 * response unless it is a status in 200–599, a one-line reason, header names that are tokens with
 * values free of NUL/CR/LF (no header or response splitting), and a body within the limit; each
 * value is read exactly once, as a primitive or a copy of bytes.
 */
function readResponse(
  vm: QuickJSContext,
  [status, reason, headers, body]: (QuickJSHandle | undefined)[],
): GuestResponse | string {
  if (status === undefined || vm.typeof(status) !== "number") return "the status is not a number";
  const code = vm.getNumber(status);
  if (!Number.isInteger(code) || code < 200 || code > 599)
    return `the status ${code} is not between 200 and 599`;
  const statusText = reason !== undefined && vm.typeof(reason) === "string" ? vm.getString(reason) : "";
  if (statusText.length > 512 || BAD_REASON.test(statusText))
    return "the status text is not one line of text";
  if (headers === undefined || vm.typeof(headers) !== "string") return "the headers are not a list";
  const json = vm.getString(headers);
  if (json.length > RESPONSE_LIMITS.headerBytes)
    return `the headers are larger than ${RESPONSE_LIMITS.headerBytes} bytes`;
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch {
    return "the headers are not a list";
  }
  if (!Array.isArray(list)) return "the headers are not a list";
  const pairs: [string, string][] = [];
  for (const pair of list) {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== "string" ||
      typeof pair[1] !== "string"
    ) {
      return "each header must be a name and a value";
    }
    if (!TOKEN.test(pair[0])) return `${JSON.stringify(pair[0])} is not a header name`;
    if (BAD_VALUE.test(pair[1])) return `the value of ${pair[0]} contains NUL, CR or LF`;
    pairs.push([pair[0], pair[1]]);
  }
  if (body === undefined || vm.typeof(body) !== "object") return "the body is not bytes";
  const view = vm.getArrayBuffer(body);
  try {
    if (view.value.length > RESPONSE_LIMITS.bodyBytes) {
      return `the body is larger than ${RESPONSE_LIMITS.bodyBytes} bytes`;
    }
    return { status: code, statusText, headers: pairs, body: Buffer.from(view.value) }; // a copy
  } finally {
    view.dispose();
  }
}

/**
 * An app's web-standard handler (`export default { fetch(request) }`) loaded in one context of its
 * engine, the way Workers and Deno serve: the module is evaluated once and its state lives across
 * requests. Requests are handled one at a time, so each request's CPU and wall budget is exactly
 * the guest work done for it. A request that breaks the engine ends this handler.
 */
class LoadedHandler {
  readonly engine: SandboxEngine;
  readonly #context: QuickJSContext;
  readonly #calls: HostCalls;
  #fn: QuickJSHandle | undefined;
  #response: GuestResponse | undefined;
  #refused: string | undefined;

  private constructor(engine: SandboxEngine, prepared: { context: QuickJSContext; calls: HostCalls }) {
    this.engine = engine;
    this.#context = prepared.context;
    this.#calls = prepared.calls;
  }

  /** Evaluate the app's module; its own error (a throw at the top level) comes back as `ok: false`. */
  static async load(
    engine: SandboxEngine,
    appCode: string,
    modules: readonly HostModule[],
    output: OutputSink,
    extra: AppExtras = NO_EXTRAS,
    abort?: AbortSignal,
  ): Promise<LoadedHandler | { ok: false; error: { name: string; message: string } }> {
    let handler: LoadedHandler | undefined;
    const prepared = prepareContext(engine, modules, {
      appModules: new Map([...extra.modules, ["app:main", appCode]]),
      output,
      setup: (vm) => {
        const respond = vm.newFunction("respond", (...args) => handler!.#respond(args));
        vm.defineProp(vm.global, "__locara_respond", {
          value: respond,
          configurable: true,
          enumerable: false,
        });
        respond.dispose();
      },
    });
    handler = new LoadedHandler(engine, prepared);
    const vm = prepared.context;
    const budget = { ...engine.newBudget(), ...(abort ? { abort } : {}) };
    let evaluation: QuickJSHandle | undefined;
    try {
      const failed = engine.run(budget, () => {
        const result = vm.evalCode(extra.preamble + GLUE, "locara-serve.js", { type: "module" });
        engine.runJobs();
        if (result.error) return engine.guestError(vm, result.error);
        evaluation = result.value;
        return undefined;
      });
      if (failed && !failed.ok) {
        handler.dispose();
        return failed;
      }
      if (!(await settle(engine, prepared.calls, budget, vm, evaluation!))) {
        handler.dispose();
        return {
          ok: false,
          error: { name: "Error", message: "the app's module is waiting for something that never comes" },
        };
      }
      const fn = engine.run(budget, () => {
        const state = vm.getPromiseState(evaluation!);
        if (state.type === "rejected") return engine.guestError(vm, state.error);
        if (state.type !== "fulfilled")
          return engine.guestError(vm, vm.newError("the app's module never finished"));
        const namespace = state.value;
        const fn = vm.getProp(namespace, "default");
        if (namespace !== evaluation) namespace.dispose();
        return fn;
      });
      if ("ok" in fn) {
        // The module's top level threw: a GuestResult, not a handle.
        handler.dispose();
        return fn as { ok: false; error: { name: string; message: string } };
      }
      handler.#fn = fn;
      return handler;
    } catch (error) {
      handler.dispose();
      throw error;
    } finally {
      if (!engine.broken && evaluation?.alive) engine.guard(() => evaluation!.dispose());
    }
  }

  get usable(): boolean {
    return !this.engine.broken && this.#fn !== undefined;
  }

  async call(request: GuestRequest, abort?: AbortSignal): Promise<FetchOutcome> {
    const vm = this.#context;
    const engine = this.engine;
    const budget = { ...engine.newBudget(), ...(abort ? { abort } : {}) };
    this.#response = undefined;
    this.#refused = undefined;
    let promise: QuickJSHandle | undefined;
    const failed = engine.run(budget, () => {
      const meta = vm.newString(
        JSON.stringify({ method: request.method, url: request.url, headers: request.headers }),
      );
      const hasBody = request.body !== null && request.method !== "GET" && request.method !== "HEAD";
      const body = hasBody ? vm.newArrayBuffer(request.body!.slice().buffer) : vm.null;
      const result = vm.callFunction(this.#fn!, vm.undefined, meta, body);
      meta.dispose();
      if (hasBody) body.dispose();
      engine.runJobs();
      if (result.error) return engine.guestError(vm, result.error);
      promise = result.value;
      return undefined;
    });
    if (failed && !failed.ok) return failed;
    if (!(await settle(engine, this.#calls, budget, vm, promise!))) {
      engine.guard(() => promise!.dispose());
      return {
        ok: false,
        error: {
          name: "Error",
          message: "the app's fetch handler is waiting for something that never comes",
        },
      };
    }
    const outcome = engine.run(budget, () => engine.settle(vm, promise!));
    if (!outcome.ok) return outcome;
    if (this.#response === undefined) {
      return {
        ok: false,
        error: { name: "TypeError", message: this.#refused ?? "the app's fetch handler gave no response" },
      };
    }
    return { ok: true, response: this.#response };
  }

  #respond(args: QuickJSHandle[]): VmCallResult<QuickJSHandle> {
    const vm = this.#context;
    if (this.#response !== undefined || this.#refused !== undefined) {
      return { error: vm.newError({ name: "TypeError", message: "the response was already sent" }) };
    }
    const read = readResponse(vm, args);
    if (typeof read === "string") {
      this.#refused = `the app's response was refused: ${read}`;
      return { error: vm.newError({ name: "TypeError", message: this.#refused }) };
    }
    this.#response = read;
    return { value: vm.undefined };
  }

  dispose(): void {
    const usable = !this.engine.broken;
    this.#calls.close(usable);
    if (usable) {
      this.engine.guard(() => {
        if (this.#fn?.alive) this.#fn.dispose();
        this.#context.dispose();
      });
    }
    this.#fn = undefined;
  }
}

/**
 * Serve an installation's fetch handler: one request at a time, on the slot's engine; when a
 * request breaks the engine (a limit, a crash), the next one loads the app again on a fresh one,
 * so a runaway costs that request only.
 */
export class FetchService {
  readonly #slot: EngineSlot;
  readonly #appCode: string;
  readonly #modules: readonly HostModule[];
  readonly #output: OutputSink;
  #handler: LoadedHandler | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #stop = new AbortController();

  readonly #extra: AppExtras;

  constructor(
    slot: EngineSlot,
    appCode: string,
    modules: readonly HostModule[],
    output: OutputSink,
    extra: AppExtras = NO_EXTRAS,
  ) {
    this.#extra = extra;
    this.#slot = slot;
    this.#appCode = appCode;
    this.#modules = modules;
    this.#output = output;
  }

  /** Limits throw (LimitError, SandboxCrashError); the app's own failures come back as `ok: false`. */
  /** `onStart` runs when the request's turn comes (requests run one at a time). */
  handle(request: GuestRequest, onStart?: () => void): Promise<FetchOutcome> {
    const next = this.#queue.then(() => {
      onStart?.();
      return this.#handle(request);
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Stop serving at once (an emergency disable): the request in progress ends within one
   * interrupt poll or host-call wait, throwing `reason`, and so does every later one.
   */
  abort(reason: Error): void {
    this.#stop.abort(reason);
  }

  async #handle(request: GuestRequest): Promise<FetchOutcome> {
    if (this.#stop.signal.aborted) throw this.#stop.signal.reason;
    if (!this.#handler?.usable) {
      this.#handler?.dispose();
      this.#handler = undefined;
      const loaded = await LoadedHandler.load(
        await this.#slot.acquire(),
        this.#appCode,
        this.#modules,
        this.#output,
        this.#extra,
        this.#stop.signal,
      );
      if (!(loaded instanceof LoadedHandler)) return loaded;
      this.#handler = loaded;
    }
    return this.#handler.call(request, this.#stop.signal);
  }

  /** Wait for the request in progress, then free the context. */
  async close(): Promise<void> {
    await this.#queue;
    this.#handler?.dispose();
    this.#handler = undefined;
  }
}
