import { InvalidInputError } from "../errors.ts";
import type { HostModule } from "../sandbox/host-calls.ts";
import { auditOwn, type PluginContext } from "./context.ts";

const MAX_KEY = 512;
const MAX_VALUE_BYTES = 1024 * 1024;

/**
 * An installation's private key-value storage, in memory until the store backs it with Postgres.
 * Always allowed: it is the app's own. Keys and values are plain JSON data.
 */
export class MemoryKv {
  readonly #data = new Map<string, string>();

  module(ctx: PluginContext): HostModule {
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
        get: ([k]) => {
          const name = key(k);
          auditOwn(ctx, "locara:kv.get", "kv", name);
          const stored = this.#data.get(name);
          return stored === undefined ? null : JSON.parse(stored);
        },
        set: ([k, value]) => {
          const name = key(k);
          const stored = JSON.stringify(value ?? null);
          if (stored.length > MAX_VALUE_BYTES) {
            throw new InvalidInputError(
              `locara:kv (app ${ctx.installation})`,
              `a value is at most ${MAX_VALUE_BYTES} bytes of JSON`,
            );
          }
          auditOwn(ctx, "locara:kv.set", "kv", name);
          this.#data.set(name, stored);
          return null;
        },
        delete: ([k]) => {
          const name = key(k);
          auditOwn(ctx, "locara:kv.delete", "kv", name);
          return this.#data.delete(name);
        },
        list: ([prefix]) => {
          const p = typeof prefix === "string" ? prefix : "";
          auditOwn(ctx, "locara:kv.list", "kv", `${p}*`);
          return [...this.#data.keys()].filter((k) => k.startsWith(p)).sort();
        },
      },
    };
  }
}
