import type { CapabilityKind } from "./kinds.ts";
import type { Scope } from "./scopes/types.ts";

export type LocalizedText = string | Readonly<Record<string, string>>;

export interface Route {
  readonly path: string;
  readonly access: "public" | "limited" | "private" | "keys";
  /** With access `keys`: the app keys that open the route. */
  readonly keys: readonly string[];
  readonly strict: boolean;
}

export interface AppKey {
  readonly key: string;
  readonly name: LocalizedText;
  readonly description?: LocalizedText;
}

export interface Limits {
  readonly memoryMb: number;
  readonly cpuMsPerRequest: number;
  readonly wallMsPerRequest: number;
}

/** One declared permission or deny rule, with its scope parsed and canonical. */
export interface DeclaredPermission {
  readonly kind: CapabilityKind;
  readonly scope: Scope;
  /** The canonical scope text: equal texts mean equal scopes. */
  readonly text: string;
  /** The canonical entry in manifest syntax (a string, or an object for `run`). */
  readonly entry: unknown;
  /** `kind` + `text`: the identity used to match approvals and to diff manifests. */
  readonly key: string;
  readonly reason?: string;
  /** Secrets only: whether the app cannot start without it. */
  readonly required?: boolean;
  /** Where it was declared, e.g. `permissions.run[0]`. */
  readonly at: string;
}

export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly entry: string;
  readonly routes: readonly Route[];
  /** Files the host serves itself at `path/…` from `dir/…` of the installed copy. */
  readonly static: readonly { readonly path: string; readonly dir: string }[];
  readonly permissions: readonly DeclaredPermission[];
  readonly deny: readonly DeclaredPermission[];
  readonly keys: readonly AppKey[];
  readonly limits: Limits;
}

export function permissionKey(kind: CapabilityKind, text: string): string {
  return `${kind} ${text}`;
}
