import { randomUUID } from "node:crypto";
import { stat } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { InvalidInputError } from "../errors.ts";
import type { Manifest } from "../manifest/types.ts";
import type { PluginContext } from "../plugins/context.ts";
import { MemoryKv } from "../plugins/kv.ts";
import { RUN_DEFAULTS } from "../plugins/run.ts";
import { pinsFor } from "../plugins/run-program.ts";
import { compilePolicy } from "../policy/compile.ts";
import { grantScopeFor } from "../policy/decide.ts";
import { capability } from "../policy/registry.ts";
import type { Approval, Grant, ServerRules } from "../policy/types.ts";
import { bundleApp } from "../sandbox/bundle.ts";
import type { AppExtras } from "../sandbox/fetch-handler.ts";
import type { OutputSink } from "../sandbox/guest-runtime.ts";
import type { HostModule } from "../sandbox/host-calls.ts";
import { sandboxLimits } from "../sandbox/limits.ts";
import { EngineSlot } from "../sandbox/slot.ts";
import { appModules } from "./app-modules.ts";
import { auditFile } from "./audit-file.ts";
import { loadGrants, saveGrants } from "./grants-file.ts";
import { loadManifest } from "./manifest-file.ts";
import type { Prompter } from "./prompt.ts";
import { grantFromAnswer } from "./prompt.ts";

export interface AppOptions {
  /** An app folder (its manifest names the entry) or a script file (the manifest beside it). */
  readonly target: string;
  /** A manifest file to use instead of the one beside the target. */
  readonly manifest?: string;
  /** How declared permissions are answered: all approved, none (pending), or ask (the default). */
  readonly approve: "all" | "none" | "ask";
  readonly home: string;
  /** `$LOCARA_HOME`: where grants and audit records go. */
  readonly locaraHome: string;
  /** Ask at the terminal for permissions set to ask (only when a person can answer). */
  readonly prompt?: Prompter;
  /** Where the app's console goes. */
  readonly output?: OutputSink;
  readonly environment: Readonly<Record<string, string | undefined>>;
  /** The admin's server rules for this run (deny lists, net.allowPrivate). */
  readonly serverRules?: ServerRules;
}

async function locate(options: AppOptions): Promise<{ dir: string; entry: string; manifest: Manifest }> {
  const info = await stat(options.target).catch(() => {
    throw new InvalidInputError(options.target, "no such file or folder: give an app folder or a script");
  });
  const dir = info.isDirectory() ? options.target : dirname(options.target);
  const { manifest } = await loadManifest(options.manifest ?? dir);
  const entry = info.isDirectory()
    ? manifest.entry
    : relative(dir, options.target) || basename(options.target);
  return { dir, entry, manifest };
}

/** An app opened for `locara run`: bundled, its policy compiled, its plugins ready. */
export interface AppSession {
  readonly app: string;
  readonly manifest: Manifest;
  /** The bundled app code (one ES module). */
  readonly code: string;
  readonly auditPath: string;
  /** The installation's engine slot: replaces a broken engine for the next request. */
  readonly slot: EngineSlot;
  /** The host modules the app may import, each call decided by the policy and audited. */
  readonly modules: readonly HostModule[];
  readonly output: OutputSink;
  /** Guest modules besides the app's code, and imports that run before it (the global fetch). */
  readonly extras: AppExtras;
  close(): Promise<void>;
}

/**
 * Open an app for `locara run`, like `deno run`: the manifest is the only source of permissions;
 * they are `ask` unless approved on the command line. Where a person can answer, `ask` prompts and
 * the answer is remembered as a grant; elsewhere it is denied at once with the command that
 * would grant it.
 */
export async function openApp(options: AppOptions): Promise<AppSession> {
  const { dir, entry, manifest } = await locate(options);
  const app = manifest.name;
  const bundle = await bundleApp(dir, entry, app);
  const pathEnv = options.environment.PATH ?? RUN_DEFAULTS.pathEnv;
  const pins = pinsFor(manifest.permissions, pathEnv);
  // Approving a command pins the program it names on this host's PATH now: later calls must
  // resolve to that same file (a directory put earlier on PATH, or a link swapped in, is refused).
  const approvals: Approval[] =
    options.approve === "none"
      ? []
      : manifest.permissions.map((p) => {
          const approval: Approval = {
            kind: p.kind,
            scope: p.entry,
            state: options.approve === "all" ? "approved" : "ask",
          };
          const pinned = pins[p.key];
          return pinned === undefined ? approval : { ...approval, pinned };
        });
  const grantsPath = join(options.locaraHome, "grants", `${app}.json`);
  /** Lasting answers from the grants file; once-answers and revocations live only in this run. */
  const remembered: Grant[] = await loadGrants(grantsPath);
  let grants: Grant[] = [...remembered];
  const compile = () =>
    compilePolicy({
      manifest,
      installation: app,
      home: options.home,
      approvals,
      pins,
      grants,
      ...(options.serverRules === undefined ? {} : { serverRules: options.serverRules }),
    });
  let policy = compile();
  /** Add a grant; a remembered one is written to the grants file before the policy relies on it. */
  const addGrant = async (grant: Grant, remember: boolean) => {
    if (remember) {
      await saveGrants(grantsPath, [...remembered, grant]);
      remembered.push(grant);
    }
    grants = [...grants, grant];
    const consumed = policy.consumed;
    policy = compile();
    for (const id of consumed) policy.consumed.add(id);
  };
  const auditPath = join(options.locaraHome, "audit", `${app}.jsonl`);
  const ask = options.prompt;
  const ctx: PluginContext = {
    installation: app,
    get policy() {
      return policy;
    },
    audit: auditFile(auditPath),
    now: Date.now,
    environment: options.environment,
    // The answer becomes a grant covering exactly the request; all but once-answers are remembered.
    ...(ask === undefined
      ? {}
      : {
          prompt: async (request, decision) => {
            const answer = await ask.ask(decision);
            await addGrant(
              grantFromAnswer(answer, decision.kind, grantScopeFor(policy, request), "terminal"),
              answer.term !== "once",
            );
          },
        }),
    // The app gives something up for the rest of the run.
    revoke: (request) =>
      addGrant(
        {
          id: `r-${randomUUID().slice(0, 8)}`,
          kind: capability(request.kind).kind,
          scope: grantScopeFor(policy, request),
          effect: "deny",
          term: "always",
          createdAt: new Date().toISOString(),
          by: "app",
        },
        false,
      ),
  };
  const slot = new EngineSlot(app, sandboxLimits(manifest.limits));
  return {
    app,
    manifest,
    code: bundle.code,
    auditPath,
    slot,
    ...appModules(ctx, { manifest, kv: new MemoryKv(), pathEnv }),
    output: options.output ?? { write: () => {} },
    close: () => slot.dispose(),
  };
}
