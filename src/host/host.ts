import { readdir, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { DisabledError } from "../errors.ts";
import type { FetchOutcome, GuestRequest } from "../sandbox/fetch-handler.ts";
import type { OutputSink } from "../sandbox/guest-runtime.ts";
import { AuditWriter } from "../store/audit-writer.ts";
import { listenForChanges } from "../store/changes.ts";
import { type Database, openDatabase } from "../store/database.ts";
import { listInstallations } from "../store/installations.ts";
import type { AdminCore } from "./admin-ops.ts";
import { InstallationRuntime } from "./installation-runtime.ts";
import type { Prompter } from "./prompt.ts";
import type { Viewer } from "./route-access.ts";

export interface HostOptions {
  /** `$LOCARA_HOME`: the embedded Postgres, app copies, the admin socket. */
  readonly home: string;
  /** An external Postgres; without it the host starts its own under `home/pg`. */
  readonly databaseUrl?: string;
  /** What `~` means for apps (the host user's home). */
  readonly userHome?: string;
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** The apps' console output, and the host's own log lines. */
  readonly output?: OutputSink;
  readonly log?: (line: string) => void;
  /** Ask prompts at this terminal (`locara dev`) instead of recording pending requests. */
  readonly prompter?: Prompter;
}

/** Where a request path goes: the installation mounted at the longest matching path. */
export interface Route {
  readonly runtime: InstallationRuntime;
  readonly mount: string;
  /** The path with the mount prefix stripped (always starting with "/"). */
  readonly rest: string;
}

/**
 * A Locara host: the store, a runtime per installation, and a listener for change notices from
 * every host sharing the store. Invariant: a notice drops the compiled policy of that
 * installation before any further decision, and a disable ends its running requests.
 */
export class Host implements AdminCore {
  readonly db: Database;
  readonly home: string;
  readonly userHome: string;
  readonly pathEnv: string;
  readonly audit: AuditWriter;
  readonly #environment: Readonly<Record<string, string | undefined>>;
  readonly #output: OutputSink;
  readonly #log: (line: string) => void;
  readonly #prompter: Prompter | undefined;
  readonly #runtimes = new Map<string, InstallationRuntime>();
  #routes: Promise<Map<string, string>> | undefined;
  #listener: { ready: Promise<void>; close(): Promise<void> } | undefined;

  private constructor(db: Database, options: HostOptions) {
    this.db = db;
    this.home = options.home;
    this.userHome = options.userHome ?? homedir();
    this.#environment = options.environment ?? process.env;
    this.pathEnv = this.#environment.PATH ?? "/usr/local/bin:/usr/bin:/bin";
    this.#log = options.log ?? (() => {});
    this.#output = options.output ?? { write: () => {} };
    this.#prompter = options.prompter;
    this.audit = new AuditWriter(db.pool, {
      onError: (e) => this.#log(`[audit] write failed, retrying: ${String(e)}`),
    });
  }

  static async start(options: HostOptions): Promise<Host> {
    const db = await openDatabase({
      ...(options.databaseUrl ? { url: options.databaseUrl } : {}),
      embeddedDir: join(options.home, "pg"),
      ...(options.log ? { onLog: (line: string) => options.log?.(`[postgres] ${line.trimEnd()}`) } : {}),
    });
    const host = new Host(db, options);
    // Copies staged by an install that a crash interrupted: never recorded, so never used.
    const apps = join(options.home, "apps");
    for (const name of await readdir(apps).catch(() => [] as string[])) {
      if (name.startsWith(".staging-")) await rm(join(apps, name), { recursive: true, force: true });
    }
    host.#listener = listenForChanges(db.url, (id) => host.#notice(id), host.#log);
    await host.#listener.ready;
    return host;
  }

  /** A change made by this host: act on it now, without waiting for the notice to come back. */
  changed(installationId: string): void {
    this.#notice(installationId);
  }

  #notice(installationId: string): void {
    this.#routes = undefined;
    const targets =
      installationId === "*" ? [...this.#runtimes.values()] : [this.#runtimes.get(installationId)];
    for (const runtime of targets) {
      if (!runtime) continue;
      runtime.invalidate();
      runtime.load().then(
        ({ installation }) => {
          if (installation.state === "disabled")
            runtime.stop(new DisabledError(installation.path, installation.disabledReason));
        },
        () => {
          // Deleted (or the store is away): stop serving it; a later request reloads or refuses.
          runtime.stop(new DisabledError(runtime.id, "removed"));
          if (installationId !== "*") this.#runtimes.delete(runtime.id);
        },
      );
    }
  }

  runtime(id: string): InstallationRuntime {
    let runtime = this.#runtimes.get(id);
    if (!runtime) {
      runtime = new InstallationRuntime(id, {
        db: this.db,
        audit: this.audit,
        userHome: this.userHome,
        environment: this.#environment,
        output: this.#output,
        ...(this.#prompter ? { prompter: this.#prompter } : {}),
      });
      this.#runtimes.set(id, runtime);
    }
    return runtime;
  }

  /** The installation a request path belongs to: the longest mount path that is a prefix of it. */
  async route(path: string): Promise<Route | undefined> {
    this.#routes ??= listInstallations(this.db.pool).then((list) => new Map(list.map((i) => [i.path, i.id])));
    const routes = await this.#routes.catch((error: unknown) => {
      this.#routes = undefined;
      throw error;
    });
    let best: string | undefined;
    for (const mount of routes.keys()) {
      const matches = mount === "/" || path === mount || path.startsWith(`${mount}/`);
      if (matches && (best === undefined || mount.length > best.length)) best = mount;
    }
    if (best === undefined) return undefined;
    const rest = best === "/" ? path : path.slice(best.length) || "/";
    return { runtime: this.runtime(routes.get(best)!), mount: best, rest };
  }

  /** Serve one request of an installation (the serving issue adds route access in front of this). */
  async handle(route: Route, request: GuestRequest, viewer?: Viewer): Promise<FetchOutcome> {
    return route.runtime.handle(request, viewer);
  }

  /** Stop: finish requests, commit every accepted audit event, stop the store. */
  async close(): Promise<void> {
    await this.#listener?.close();
    await Promise.all([...this.#runtimes.values()].map((r) => r.close()));
    const flushed = await this.audit.close();
    if (!flushed) this.#log("[audit] the store did not come back: some audit events were not written");
    await this.db.close();
  }
}
