import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten";
import { LimitError } from "../errors.ts";
import type { GuestResult, RequestBudget, SandboxEngine } from "./engine.ts";
import { installGuestRuntime, type OutputSink, timersModule } from "./guest-runtime.ts";
import {
  HOST_CALL_DEFAULTS,
  type HostCallLimits,
  HostCalls,
  type HostModule,
  moduleSource,
} from "./host-calls.ts";

export interface ModuleOptions {
  budget?: RequestBudget;
  limits?: HostCallLimits;
  appModules?: ReadonlyMap<string, string>;
  /** Where the guest's console goes; without it the guest gets no console, timers or web globals. */
  output?: OutputSink;
  /** Per-request natives the caller installs in the fresh context before any guest code runs. */
  setup?: (context: QuickJSContext) => void;
}

/**
 * A fresh context of the engine with the host-call dispatcher, the guest runtime and the caller's
 * natives installed, and a module loader that offers exactly these modules.
 */
export function prepareContext(
  engine: SandboxEngine,
  modules: readonly HostModule[],
  options: ModuleOptions,
): { context: QuickJSContext; calls: HostCalls } {
  const all = options.output ? [...modules, timersModule(engine.limits.wallMsPerRequest)] : modules;
  // The app's own bundled code may be importable too (under names that are not locara:*).
  const sources = new Map(options.appModules ?? []);
  for (const m of all) sources.set(m.name, moduleSource(m));
  engine.setModules(sources);
  const context = engine.newContext();
  const calls = new HostCalls(context, all, options.limits ?? HOST_CALL_DEFAULTS);
  const output = options.output;
  if (output) engine.guard(() => installGuestRuntime(context, output));
  const setup = options.setup;
  if (setup) engine.guard(() => setup(context));
  return { context, calls };
}

/**
 * Run guest code as an ES module in a fresh context, with `locara:*` modules backed by host
 * functions, until its evaluation settles; return its default export as plain data. Host calls
 * run on Node's event loop; each settlement is delivered into the guest inside the engine's guard
 * and under the request's budget. The wall-clock limit covers the whole request, waiting included.
 */
export async function runModule(
  engine: SandboxEngine,
  code: string,
  modules: readonly HostModule[],
  options: ModuleOptions = {},
): Promise<GuestResult> {
  const budget = options.budget ?? engine.newBudget();
  const { context, calls } = prepareContext(engine, modules, options);
  let evaluation: QuickJSHandle | undefined;
  try {
    const started = engine.run(budget, () => {
      const result = context.evalCode(code, "app.js", { type: "module" });
      engine.runJobs();
      if (result.error) return engine.guestError(context, result.error);
      evaluation = result.value;
      return undefined;
    });
    if (started) return started;
    if (!(await settle(engine, calls, budget, context, evaluation!))) {
      return {
        ok: false,
        error: { name: "Error", message: "the app's code is waiting for something that never comes" },
      };
    }
    return engine.run(budget, () => defaultExport(engine, context, evaluation!));
  } finally {
    calls.close(!engine.broken);
    if (!engine.broken) {
      engine.guard(() => {
        if (evaluation?.alive) evaluation.dispose();
        context.dispose();
      });
    }
  }
}

/**
 * Run the guest until `promise` settles, delivering host-call settlements as they arrive, under
 * the request's budget. False when it can never settle (nothing is in flight). A wall-clock
 * overrun retires the engine (the guest still has work queued: it must never run) and throws.
 */
export async function settle(
  engine: SandboxEngine,
  calls: HostCalls,
  budget: RequestBudget,
  context: QuickJSContext,
  promise: QuickJSHandle,
): Promise<boolean> {
  for (;;) {
    engine.guard(() => calls.deliver()); // only enqueues reactions: no guest code runs here
    const state = engine.run(budget, () => {
      engine.runJobs();
      return context.getPromiseState(promise).type;
    });
    if (state !== "pending") return true;
    if (calls.ready > 0) continue;
    if (calls.pending === 0) return false;
    const left = budget.wallDeadline - performance.now();
    if (budget.abort?.aborted) {
      engine.retire();
      throw budget.abort.reason;
    }
    const outcome = left <= 0 ? "late" : await settlesWithin(calls.next(), left, budget.abort);
    if (outcome === "aborted") {
      engine.retire(); // the guest still has work queued: it must never run
      throw budget.abort?.reason;
    }
    if (outcome === "late") {
      engine.retire();
      throw new LimitError(engine.installation, "wall", `${engine.limits.wallMsPerRequest} ms per request`, {
        breaks: true,
      });
    }
  }
}

/** The settled module evaluation: its `default` export, or its error. */
function defaultExport(
  engine: SandboxEngine,
  context: QuickJSContext,
  evaluation: QuickJSHandle,
): GuestResult {
  const state = context.getPromiseState(evaluation);
  if (state.type !== "fulfilled") return engine.settle(context, evaluation.dup());
  const namespace = state.value;
  const value = context.getProp(namespace, "default");
  if (namespace !== evaluation) namespace.dispose();
  return engine.settle(context, value);
}

async function settlesWithin(
  promise: Promise<void>,
  ms: number,
  abort?: AbortSignal,
): Promise<"settled" | "late" | "aborted"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ms);
  });
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    abort?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([promise.then(() => "settled" as const), timeout, aborted]);
  } finally {
    clearTimeout(timer);
    if (onAbort) abort?.removeEventListener("abort", onAbort);
  }
}
