import type { GuestResult } from "../sandbox/engine.ts";
import { runModule } from "../sandbox/run-module.ts";
import type { AppSession } from "./app-session.ts";

export interface RunAppResult {
  readonly app: string;
  /** A script ran (its result), or the entry is a web handler to serve. */
  readonly mode: "script" | "fetch";
  readonly result: GuestResult;
  readonly auditPath: string;
}

/**
 * Evaluate the app's entry in a fresh context: a script's `export default async function
 * main(args)` is called with the arguments; an `export default { fetch(request) }` is reported
 * as a handler to serve (its module ran once, as it will again when served).
 */
export async function runEntry(session: AppSession, args: readonly string[]): Promise<RunAppResult> {
  const glue = `${session.extras.preamble}import main from "app:main";
let out;
if (typeof main === "function") out = { mode: "script", value: await main(${JSON.stringify(args)}) };
else if (main !== null && typeof main === "object" && typeof main.fetch === "function") out = { mode: "fetch" };
else throw new TypeError("the app's entry must export default a function main(args), or an object with fetch(request)");
export default out;`;
  const raw = await runModule(await session.slot.acquire(), glue, session.modules, {
    appModules: new Map([...session.extras.modules, ["app:main", session.code]]),
    output: session.output,
  });
  const base = { app: session.app, auditPath: session.auditPath };
  if (!raw.ok) return { ...base, mode: "script", result: raw };
  const { mode, value } = raw.value as { mode: "script" | "fetch"; value?: unknown };
  return { ...base, mode, result: { ok: true, value: value ?? null } };
}
