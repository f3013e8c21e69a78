import { SandboxEngine } from "./engine.ts";
import type { SandboxLimits } from "./limits.ts";

/**
 * Holds an installation's engine and replaces it when it broke, so a crash costs one request,
 * never the installation: `acquire()` always returns an engine that may be entered.
 */
export class EngineSlot {
  readonly installation: string;
  readonly limits: SandboxLimits;
  #engine: Promise<SandboxEngine> | undefined;
  #restarts = 0;

  constructor(installation: string, limits: SandboxLimits) {
    this.installation = installation;
    this.limits = limits;
  }

  /** How many times the engine had to be replaced. */
  get restarts(): number {
    return this.#restarts;
  }

  async acquire(): Promise<SandboxEngine> {
    for (;;) {
      const pending = this.#engine;
      const current = pending ? await pending : undefined;
      if (current && !current.broken) return current;
      // Another request may have replaced the broken engine while we waited: use that one.
      if (this.#engine !== pending) continue;
      if (current) this.#restarts++;
      this.#engine = SandboxEngine.create(this.installation, this.limits);
    }
  }

  async dispose(): Promise<void> {
    const engine = this.#engine ? await this.#engine : undefined;
    engine?.dispose();
    this.#engine = undefined;
  }
}
