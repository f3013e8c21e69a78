/** Parsed scopes: what a declared permission, a deny rule or a grant covers, in canonical form. */

export type ScopeMode = "allow" | "deny";

export interface FsScope {
  readonly type: "fs";
  /** Absolute (`/x`) or home-relative (`~`, `~/x`); `.` and duplicate slashes removed; never `..`. */
  readonly path: string;
  readonly glob: boolean;
}

export type HostPattern =
  | { readonly form: "name"; readonly name: string }
  | { readonly form: "wildcard"; readonly base: string }
  | { readonly form: "ip"; readonly ip: string; readonly version: 4 | 6 }
  | { readonly form: "cidr"; readonly ip: string; readonly prefix: number; readonly version: 4 | 6 };

export interface NetScope {
  readonly type: "net";
  /** `http` means `http://host` was declared, which permits plain http as well as https. */
  readonly scheme: "https" | "http";
  readonly host: HostPattern;
  /** Absent: the scheme's default port only (443, or 80 for plain http). */
  readonly port?: number;
}

export interface EnvScope {
  readonly type: "env";
  readonly name: string;
  readonly prefix: boolean;
}

export type ArgPattern =
  | { readonly type: "literal"; readonly value: string }
  | { readonly type: "one" }
  | { readonly type: "rest" };

export interface RunScope {
  readonly type: "run";
  /** A bare program name (`du`) or a normalised absolute path. */
  readonly command: string;
  /** The whole argument list after the command, anchored at both ends. */
  readonly args: readonly ArgPattern[];
}

export interface NameScope {
  readonly type: "name";
  readonly name: string;
}

export interface TopicScope {
  readonly type: "topic";
  readonly segments: readonly string[];
}

export interface SwitchScope {
  readonly type: "switch";
}

export type Scope = FsScope | NetScope | EnvScope | RunScope | NameScope | TopicScope | SwitchScope;

export type ScopeResult<S extends Scope = Scope> =
  | { readonly ok: true; readonly scope: S; readonly text: string }
  | { readonly ok: false; readonly message: string };

export function scopeOk<S extends Scope>(scope: S, text: string): ScopeResult<S> {
  return { ok: true, scope, text };
}

export function scopeError(message: string): { readonly ok: false; readonly message: string } {
  return { ok: false, message };
}

/** How a value is quoted in messages: JSON string syntax, so control characters stay visible. */
export function q(value: string): string {
  return JSON.stringify(value);
}
