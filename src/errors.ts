/**
 * Every error Locara raises on purpose is a LocaraError: a stable `code` (documented in
 * docs/errors/<CODE>.md), structured `data` for programs, and a message for people that names the
 * app, the capability and the resource where there is one, and ends with the fix.
 */

export const ERROR_CODES = [
  "LOCARA_E_MANIFEST",
  "LOCARA_E_MANIFEST_NOT_FOUND",
  "LOCARA_E_UNKNOWN_KIND",
  "LOCARA_E_INVALID_SCOPE",
  "LOCARA_E_INVALID_RESOURCE",
  "LOCARA_E_INVALID_INPUT",
  "LOCARA_E_USAGE",
  "LOCARA_E_NOT_DECLARED",
  "LOCARA_E_NOT_APPROVED",
  "LOCARA_E_REJECTED",
  "LOCARA_E_DENIED",
  "LOCARA_E_PROMPT",
  "LOCARA_E_DISABLED",
  "LOCARA_E_LIMIT",
  "LOCARA_E_SANDBOX_CRASH",
  "LOCARA_E_BUNDLE",
  "LOCARA_E_IO",
  "LOCARA_E_STORE",
  "LOCARA_E_NOT_FOUND",
  "LOCARA_E_CONFLICT",
  "LOCARA_E_PROMPT_PENDING",
  "LOCARA_E_NO_SERVER",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorData = Readonly<Record<string, unknown>>;

export class LocaraError extends Error {
  readonly code: ErrorCode;
  readonly data: ErrorData;

  constructor(code: ErrorCode, message: string, data: ErrorData = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.data = data;
  }

  /** Plain data for `--json` output and for crossing into the sandbox (no stack, no host objects). */
  toJSON(): { code: ErrorCode; message: string; data: ErrorData } {
    return { code: this.code, message: this.message, data: this.data };
  }
}

export interface ManifestIssue {
  /** The manifest file as the user named it, e.g. `locara.yaml`. */
  readonly file: string;
  /** 1-based; absent when the problem has no position (an empty file). */
  readonly line?: number;
  readonly column?: number;
  /** The path inside the manifest, e.g. `permissions.net[2]`. Empty for the whole document. */
  readonly path: string;
  readonly message: string;
}

export function formatManifestIssue(issue: ManifestIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path === "" ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

/** A manifest that does not parse or validate. Carries every problem found, each with its position. */
export class ManifestError extends LocaraError {
  readonly issues: readonly ManifestIssue[];

  constructor(issues: readonly ManifestIssue[]) {
    const lines = issues.map(formatManifestIssue);
    super("LOCARA_E_MANIFEST", lines.join("\n"), { issues });
    this.issues = issues;
  }
}

export class ManifestNotFoundError extends LocaraError {
  constructor(dir: string) {
    super(
      "LOCARA_E_MANIFEST_NOT_FOUND",
      `no manifest in ${dir}: create ${dir}/locara.yaml (or locara.json) with name, version and entry`,
      { dir },
    );
  }
}

export class UnknownKindError extends LocaraError {
  constructor(kind: string, known: readonly string[]) {
    super("LOCARA_E_UNKNOWN_KIND", `unknown capability kind "${kind}": use one of ${known.join(", ")}`, {
      kind,
      known,
    });
  }
}

/** A scope (in a grant, an approval or a server rule) that does not follow its kind's syntax. */
export class InvalidScopeError extends LocaraError {
  constructor(kind: string, scope: unknown, problem: string) {
    super(
      "LOCARA_E_INVALID_SCOPE",
      `${problem} (a ${kind} scope): correct it to the syntax in docs/permissions.md`,
      {
        kind,
        scope,
        problem,
      },
    );
  }
}

/** A request whose resource cannot be checked (a relative path, an unparsable URL, an empty argv). */
export class InvalidResourceError extends LocaraError {
  constructor(kind: string, resource: unknown, problem: string) {
    super("LOCARA_E_INVALID_RESOURCE", `${kind} ${JSON.stringify(resource)}: ${problem}`, {
      kind,
      resource,
      problem,
    });
  }
}

/** A file of grants, approvals, server rules or requests that does not validate. */
export class InvalidInputError extends LocaraError {
  constructor(source: string, problem: string, data: ErrorData = {}) {
    super("LOCARA_E_INVALID_INPUT", `${source}: ${problem}`, { source, problem, ...data });
  }
}

export class UsageError extends LocaraError {
  constructor(problem: string) {
    super("LOCARA_E_USAGE", problem, { problem });
  }
}

export type DenialCode =
  | "LOCARA_E_NOT_DECLARED"
  | "LOCARA_E_NOT_APPROVED"
  | "LOCARA_E_REJECTED"
  | "LOCARA_E_DENIED"
  | "LOCARA_E_PROMPT"
  | "LOCARA_E_DISABLED";

/**
 * The error a plugin raises for a decision that is not `granted`. The message is the decision's
 * reason followed by its fix, so the app author reads one sentence that says what and what to do.
 */
export class PermissionError extends LocaraError {
  constructor(code: DenialCode, message: string, data: ErrorData) {
    super(code, message, data);
  }
}

export type LimitKind =
  | "memory"
  | "cpu"
  | "wall"
  | "stack"
  | "output"
  | "timeout"
  | "response"
  | "redirects"
  | "pending requests";

/** A request of an app hit one of its limits. That request ends; the installation keeps working. */
export class LimitError extends LocaraError {
  /** `breaks`: the engine that hit it is replaced (its heap cannot be trusted afterwards). */
  constructor(installation: string, limit: LimitKind, detail: string, options: { breaks?: boolean } = {}) {
    const fix: Record<LimitKind, string> = {
      memory: "use less memory, or raise limits.memoryMb in the manifest",
      cpu: "do less work per request, or raise limits.cpuMsPerRequest in the manifest",
      wall: "finish sooner, or raise limits.wallMsPerRequest in the manifest",
      stack: "recurse less deeply (or nest data less deeply)",
      output: "make the program print less, or read its output in parts (e.g. with narrower arguments)",
      timeout: "pass a larger timeoutMs (at most the request's wall-clock limit), or do less per call",
      response: "ask the server for less (a range, a page, a filter)",
      redirects: "call the final URL directly",
      "pending requests": "an admin must answer or deny the app's pending requests first (locara requests)",
    };
    super("LOCARA_E_LIMIT", `app ${installation} hit its ${limit} limit (${detail}): ${fix[limit]}`, {
      installation,
      limit,
      detail,
      breaks: options.breaks === true,
    });
  }
}

/** The app's engine stopped in a way its heap cannot be trusted after; it is replaced. */
export class SandboxCrashError extends LocaraError {
  constructor(installation: string, detail: string) {
    super(
      "LOCARA_E_SANDBOX_CRASH",
      `app ${installation} stopped its engine (${detail}): the request failed and the next one gets a fresh engine; if it keeps happening, report the app to its author`,
      { installation, detail },
    );
  }
}

/** App code that cannot be bundled: a syntax error, a missing file, a host module, a file outside the app. */
export class BundleError extends LocaraError {
  constructor(app: string, problems: readonly string[]) {
    super(
      "LOCARA_E_BUNDLE",
      `app ${app} cannot be bundled: ${problems.join("; ")}: fix the code or its imports (apps reach the host only through locara:* modules)`,
      { app, problems },
    );
  }
}

/** A permitted operation failed in the file system (no such file, not a directory, …). */
export class IoError extends LocaraError {
  constructor(installation: string, operation: string, path: string, errno: string, explanation: string) {
    super(
      "LOCARA_E_IO",
      `app ${installation} could not ${operation} ${JSON.stringify(path)}: ${explanation} (${errno})`,
      {
        installation,
        operation,
        path,
        errno,
      },
    );
  }
}

/** The store (Postgres) could not do what was asked: unreachable, or a schema this code does not know. */
export class StoreError extends LocaraError {
  constructor(operation: string, explanation: string, options?: ErrorOptions) {
    super("LOCARA_E_STORE", `the store could not ${operation}: ${explanation}`, { operation }, options);
  }
}

/** An installation (or grant, or request) that does not exist. */
export class NotFoundError extends LocaraError {
  constructor(what: string, name: string, fix: string) {
    super("LOCARA_E_NOT_FOUND", `no ${what} ${JSON.stringify(name)}: ${fix}`, { what, name });
  }
}

/** Something already exists where it was to be created (a mount path in use). */
export class ConflictError extends LocaraError {
  constructor(what: string, name: string, fix: string) {
    super("LOCARA_E_CONFLICT", `${what} ${JSON.stringify(name)} already exists: ${fix}`, { what, name });
  }
}

/** A served request needed an answer to a prompt: it is pending, and the call failed at once. */
export class PromptPendingError extends LocaraError {
  constructor(installation: string, id: string, reason: string) {
    super(
      "LOCARA_E_PROMPT_PENDING",
      `${reason}: waiting for an answer (request ${id}): answer it with locara requests, then locara grant ${installation} … or in the console`,
      { installation, id },
    );
  }
}

/** The command line could not reach a running host. */
export class NoServerError extends LocaraError {
  constructor(socket: string, detail: string) {
    super(
      "LOCARA_E_NO_SERVER",
      `no Locara host is answering at ${socket} (${detail}): start one with locara server (or npm start), or set LOCARA_HOME to the home of the one that runs`,
      { socket },
    );
  }
}

/** The installation is disabled: nothing of it runs until an admin enables it again. */
export class DisabledError extends LocaraError {
  constructor(installation: string, reason: string | null) {
    super(
      "LOCARA_E_DISABLED",
      `app ${installation} is disabled${reason ? ` (${reason})` : ""}: an admin must enable it again: locara app enable ${installation}`,
      { installation, reason },
    );
  }
}
