import { InvalidInputError } from "../errors.ts";
import type { HostModule } from "../sandbox/host-calls.ts";
import { auditOwn, type PluginContext } from "./context.ts";

const MAX_KEY = 512;
const MAX_VALUE_BYTES = 1024 * 1024;

/** Where an installation's key-value data lives: values are JSON text. */
export interface KvBackend {
  get(key: string): Promise<string | undefined> | string | undefined;
  set(key: string, json: string): Promise<void> | void;
  delete(key: string): Promise<boolean> | boolean;
  list(prefix: string): Promise<string[]> | string[];
}

/** In memory: for `locara run`, where nothing outlives the run. */
export class MemoryKv implements KvBackend {
  readonly #data = new Map<string, string>();

  get(key: string): string | undefined {
    return this.#data.get(key);
  }
  set(key: string, json: string): void {
    this.#data.set(key, json);
  }
  delete(key: string): boolean {
    return this.#data.delete(key);
  }
  list(prefix: string): string[] {
    return [...this.#data.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
  module(ctx: PluginContext): HostModule {
    return kvModule(ctx, this);
  }
}

/**
 * `locara:kv`: an installation's private key-value storage. Always allowed: it is the app's own
 * (the backend is scoped to the installation). Keys and values are plain JSON data.
 */
export function kvModule(ctx: PluginContext, backend: KvBackend): HostModule {
  const key = (value: unknown): string => {
    if (typeof value !== "string" || value.length === 0 || value.length > MAX_KEY) {
      throw new InvalidInputError(
        `locara:kv (app ${ctx.installation})`,
        `a key is a string of 1 to ${MAX_KEY} characters`,
      );
    }
    return value;
  };
  return {
    name: "locara:kv",
    functions: {
      get: async ([k]) => {
        const name = key(k);
        await auditOwn(ctx, "locara:kv.get", "kv", name);
        const stored = await backend.get(name);
        return stored === undefined ? null : JSON.parse(stored);
      },
      set: async ([k, value]) => {
        const name = key(k);
        const stored = JSON.stringify(value ?? null);
        if (stored.length > MAX_VALUE_BYTES) {
          throw new InvalidInputError(
            `locara:kv (app ${ctx.installation})`,
            `a value is at most ${MAX_VALUE_BYTES} bytes of JSON`,
          );
        }
        await auditOwn(ctx, "locara:kv.set", "kv", name);
        await backend.set(name, stored);
        return null;
      },
      delete: async ([k]) => {
        const name = key(k);
        await auditOwn(ctx, "locara:kv.delete", "kv", name);
        return backend.delete(name);
      },
      list: async ([prefix]) => {
        const p = typeof prefix === "string" ? prefix : "";
        await auditOwn(ctx, "locara:kv.list", "kv", `${p}*`);
        return backend.list(p);
      },
    },
  };
}
