import type { DenialCode } from "../errors.ts";
import type { CapabilityKind } from "../manifest/kinds.ts";
import type { Manifest } from "../manifest/types.ts";

/** What an app is trying to do. `resource` is a path, a host/URL, a name; `run` uses `argv`. */
export interface PolicyRequest {
  readonly kind: CapabilityKind | (string & {});
  readonly resource?: string;
  /** `run` only: the program followed by its arguments. */
  readonly argv?: readonly string[];
  /**
   * `run` only: the canonical absolute path the host resolved `argv[0]` to (PATH lookup, links
   * resolved). Allow rules match it against the path pinned at approval; messages show argv[0].
   */
  readonly program?: string;
  /** `net` only: the address the host resolved `resource` to and will connect to. */
  readonly address?: string;
  /** The session a `session` grant must belong to. */
  readonly session?: string;
}

export type DecisionState = "granted" | "denied" | "prompt";

export interface Decision {
  readonly state: DecisionState;
  readonly kind: CapabilityKind;
  /** The canonical resource that was checked. */
  readonly resource: string;
  /** The rule that decided, e.g. `permissions.run: du -sh *`, `deny fs.read: ~/.ssh/**`. */
  readonly rule: string;
  /** One sentence naming the app, the capability and the resource. */
  readonly reason: string;
  /** What to do about it; empty when granted. */
  readonly fix: string;
  /** For a decision that is not `granted`: the error code a plugin raises. */
  readonly code?: DenialCode;
  /** The id of the grant that decided, if one did. A `once` grant must then be consumed. */
  readonly grant?: string;
  /** The canonical key of the declared permission that matched (`run du -sh *`). */
  readonly permission?: string;
}

export type ApprovalState = "approved" | "rejected" | "ask";

/** The admin's answer for one declared permission. No approval means pending. */
export interface Approval {
  readonly kind: CapabilityKind;
  /** The scope as declared (string or object form); matched to the manifest by its canonical form. */
  readonly scope: unknown;
  readonly state: ApprovalState;
  /** `run` only: the absolute path the command was resolved to at approval. Only it may run. */
  readonly pinned?: string;
}

export type GrantTerm = "once" | "session" | "until" | "always";

/** A runtime answer to a prompt. Allow grants only ever apply to permissions set to `ask`. */
export interface Grant {
  readonly id: string;
  readonly kind: CapabilityKind;
  readonly scope: unknown;
  readonly effect: "allow" | "deny";
  readonly term: GrantTerm;
  /** With term `until`: the end of the grant, an ISO 8601 time or epoch milliseconds. */
  readonly until?: string | number;
  /** With term `session`: the session it belongs to. */
  readonly session?: string;
  readonly createdAt?: string;
  readonly by?: string;
  readonly reason?: string;
}

export interface ServerRules {
  /** Deny rules for every installation, in manifest scope syntax. Deny always wins. */
  readonly deny?: Partial<Record<CapabilityKind, readonly unknown[]>>;
  readonly net?: {
    /**
     * Exact private/reserved ranges this installation may reach despite the built-in block, e.g.
     * "10.1.2.0/24". Each must lie inside one built-in blocked range. An admin decision; nothing
     * an app declares can do this.
     */
    readonly allowPrivate?: readonly string[];
  };
}

export interface PolicyInput {
  readonly manifest: Manifest;
  /** The installation's mount path, e.g. `/utils/disk_usage`. Defaults to the manifest's name. */
  readonly installation?: string;
  /** The home folder that `~` stands for. Required when a scope or request uses `~`. */
  readonly home?: string;
  readonly approvals?: readonly Approval[];
  /**
   * `run` only, by permission key: the program each declared command resolves to on this host,
   * used for permissions not yet answered so that their calls are reported as pending.
   */
  readonly pins?: Readonly<Record<string, string>>;
  readonly grants?: readonly Grant[];
  readonly serverRules?: ServerRules;
  /** Emergency disable: every request is denied. */
  readonly disabled?: boolean;
}
