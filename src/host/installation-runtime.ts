import { randomUUID } from "node:crypto";
import { DisabledError, LimitError, PromptPendingError } from "../errors.ts";
import { parseManifest } from "../manifest/parse.ts";
import type { Manifest } from "../manifest/types.ts";
import type { AuditSink, PluginContext } from "../plugins/context.ts";
import { RUN_DEFAULTS } from "../plugins/run.ts";
import { pinsFor } from "../plugins/run-program.ts";
import { type CompiledPolicy, compilePolicy } from "../policy/compile.ts";
import { grantScopeFor } from "../policy/decide.ts";
import { capability } from "../policy/registry.ts";
import type { Grant } from "../policy/types.ts";
import { type FetchOutcome, FetchService, type GuestRequest } from "../sandbox/fetch-handler.ts";
import type { OutputSink } from "../sandbox/guest-runtime.ts";
import { sandboxLimits } from "../sandbox/limits.ts";
import { EngineSlot } from "../sandbox/slot.ts";
import { notifyChange } from "../store/changes.ts";
import type { Database } from "../store/database.ts";
import { findInstallationById, findVersion, type Installation } from "../store/installations.ts";
import { PostgresKv } from "../store/kv-store.ts";
import {
  approvalsOf,
  consumeGrant,
  insertGrant,
  liveGrants,
  serverRules,
} from "../store/permissions-store.ts";
import { addPendingRequest, MAX_PENDING_REQUESTS } from "../store/requests-store.ts";
import { routeOverrides } from "../store/web-store.ts";
import { accessModule } from "./access-module.ts";
import { appModules } from "./app-modules.ts";
import { grantFromAnswer, type Prompter } from "./prompt.ts";
import { type EffectiveRoute, effectiveRoutes, type Viewer } from "./route-access.ts";

/** What every installation's runtime shares with the host. */
export interface RuntimeEnvironment {
  readonly db: Database;
  readonly audit: AuditSink;
  /** The host user's home: what `~` means in scopes and paths. */
  readonly userHome: string;
  /** The host's environment: what `locara:env` reads (only granted names). */
  readonly environment: Readonly<Record<string, string | undefined>>;
  readonly output: OutputSink;
  /** A person at a terminal (`locara dev`): prompts are asked there instead of becoming pending requests. */
  readonly prompter?: Prompter;
}

interface Loaded {
  readonly installation: Installation;
  readonly manifest: Manifest;
  /** The routes as they apply now (the manifest's, with the owner's changes). */
  readonly routes: readonly EffectiveRoute[];
  readonly policy: CompiledPolicy;
  readonly code: string;
}

/**
 * One installation as the host runs it: its policy compiled from the store (approvals, grants,
 * server rules, the live version's manifest), its sandbox, its plugins. Invariant: a decision is
 * never made on a policy older than the last change notice received: `invalidate()` marks it
 * stale and every plugin call waits for the reload first.
 */
export class InstallationRuntime {
  readonly id: string;
  readonly #env: RuntimeEnvironment;
  #loaded: { generation: number; value: Loaded } | undefined;
  #loading: { generation: number; promise: Promise<Loaded> } | undefined;
  #generation = 0;
  #service: { version: number; service: FetchService; slot: EngineSlot } | undefined;
  readonly #ctx: PluginContext;

  get #pathEnv(): string {
    return this.#env.environment.PATH ?? RUN_DEFAULTS.pathEnv!;
  }

  constructor(id: string, env: RuntimeEnvironment) {
    this.id = id;
    this.#env = env;
    const runtime = this;
    this.#ctx = {
      get installation() {
        return runtime.#loaded?.value.installation.path ?? id;
      },
      get policy() {
        const loaded = runtime.#loaded;
        if (!loaded) throw new Error("the installation's policy is not loaded");
        return loaded.value.policy;
      },
      fresh: async () => {
        await this.load();
      },
      audit: env.audit,
      now: Date.now,
      environment: env.environment,
      // In server mode nobody waits at a terminal: the question becomes a pending request. With a
      // person at the terminal (locara dev), they answer, and the answer is recorded as a grant.
      prompt: async (request, decision) => {
        if (env.prompter) {
          const answer = await env.prompter.ask(decision);
          await this.#recordGrant(
            grantFromAnswer(answer, decision.kind, grantScopeFor(this.#ctx.policy, request), "terminal"),
          );
          return;
        }
        const pendingId = await addPendingRequest(env.db.pool, {
          id: `r-${randomUUID().slice(0, 8)}`,
          installationId: id,
          kind: decision.kind,
          resource: decision.resource,
          request: { ...request, scope: grantScopeFor(this.#ctx.policy, request) },
          reason: decision.reason,
        });
        if (pendingId === undefined) {
          throw new LimitError(this.#ctx.installation, "pending requests", `${MAX_PENDING_REQUESTS} waiting`);
        }
        throw new PromptPendingError(this.#ctx.installation, pendingId, decision.reason);
      },
      // The app gives something up: a deny grant every host applies.
      revoke: (request) =>
        this.#recordGrant({
          id: `r-${randomUUID().slice(0, 8)}`,
          kind: capability(request.kind).kind,
          scope: grantScopeFor(this.#ctx.policy, request),
          effect: "deny",
          term: "always",
          by: "app",
        }),
      // Used up in the store, atomically: another host holding the same grant in its policy gets
      // false here when it tries, and decides again (no notice needed for that).
      consumeOnce: (grantId) => consumeGrant(env.db.pool, grantId),
    };
  }

  /** A change notice arrived (or the host changed something itself): reload before deciding again. */
  invalidate(): void {
    this.#generation++;
  }

  /** Record a grant every host applies, and decide on it from the next call on (this one's too). */
  async #recordGrant(grant: Grant): Promise<void> {
    await this.#env.db.transaction(async (tx) => {
      await insertGrant(tx, this.id, grant);
      await notifyChange(tx, this.id);
    });
    this.invalidate();
    await this.load();
  }

  /** The installation, its live manifest and its policy, as the store has them after the last notice. */
  async load(): Promise<Loaded> {
    for (;;) {
      const generation = this.#generation;
      if (this.#loaded?.generation === generation) return this.#loaded.value;
      if (this.#loading?.generation !== generation) {
        const promise = this.#read();
        this.#loading = { generation, promise };
        promise.then(
          (value) => {
            if ((this.#loaded?.generation ?? -1) < generation) this.#loaded = { generation, value };
          },
          () => {
            if (this.#loading?.generation === generation) this.#loading = undefined;
          },
        );
      }
      const value = await this.#loading!.promise;
      if (this.#generation === generation) return value;
    }
  }

  async #read(): Promise<Loaded> {
    const db = this.#env.db.pool;
    const installation = await findInstallationById(db, this.id);
    if (!installation) throw new DisabledError(this.id, "deleted");
    const [version, approvals, grants, rules, overrides] = await Promise.all([
      findVersion(db, this.id, installation.liveVersion),
      approvalsOf(db, this.id),
      liveGrants(db, this.id),
      serverRules(db),
      routeOverrides(db, this.id),
    ]);
    if (!version) throw new DisabledError(installation.path, "its live version is missing");
    const manifest = parseManifest(version.manifestText, { file: version.manifestFile });
    const pins = pinsFor(manifest.permissions, this.#pathEnv);
    const policy = compilePolicy({
      manifest,
      installation: installation.path,
      home: this.#env.userHome,
      approvals,
      pins,
      grants,
      serverRules: rules,
    });
    return {
      installation,
      manifest,
      policy,
      code: version.bundle,
      routes: effectiveRoutes(manifest.routes, overrides),
    };
  }

  /** Serve one request with the live version's fetch handler. Disabled apps refuse at once. */
  /** Who the request in progress comes from (for locara:access); requests run one at a time. */
  #viewer: Viewer | undefined;

  async handle(request: GuestRequest, viewer?: Viewer): Promise<FetchOutcome> {
    const loaded = await this.load();
    const { installation, manifest } = loaded;
    if (installation.state === "disabled")
      throw new DisabledError(installation.path, installation.disabledReason);
    if (this.#service?.version !== installation.liveVersion) {
      // A new version went live: later requests use its code; the old sandbox finishes and goes.
      const old = this.#service;
      const slot = new EngineSlot(installation.path, sandboxLimits(manifest.limits));
      const env = this.#env;
      const ctx = this.#ctx;
      const { modules, extras } = appModules(ctx, {
        manifest,
        kv: new PostgresKv(env.db.pool, this.id),
        pathEnv: this.#pathEnv,
        more: [
          accessModule(ctx, {
            routes: () => this.#loaded?.value.routes ?? [],
            viewer: () => this.#viewer,
            installationId: this.id,
          }),
        ],
      });
      this.#service = {
        version: installation.liveVersion,
        slot,
        service: new FetchService(slot, loaded.code, modules, env.output, extras),
      };
      if (old) void old.service.close().then(() => old.slot.dispose());
    }
    return this.#service.service.handle(request, () => {
      this.#viewer = viewer;
    });
  }

  /** Emergency disable: end what runs now, refuse the rest (until a reload finds it enabled). */
  stop(reason: Error): void {
    const current = this.#service;
    this.#service = undefined;
    if (current) {
      current.service.abort(reason);
      void current.service.close().then(() => current.slot.dispose());
    }
  }

  async close(): Promise<void> {
    const current = this.#service;
    this.#service = undefined;
    if (current) {
      await current.service.close();
      await current.slot.dispose();
    }
  }
}
