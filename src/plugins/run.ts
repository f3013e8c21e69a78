import { spawn } from "node:child_process";
import { InvalidResourceError, IoError, LimitError, type LocaraError } from "../errors.ts";
import { decide } from "../policy/decide.ts";
import type { HostModule } from "../sandbox/host-calls.ts";
import { guarded, type PluginContext } from "./context.ts";
import { canonicalPath } from "./fs-path.ts";
import { resolveProgram } from "./run-program.ts";

export interface RunLimits {
  /** Bytes of stdout and stderr together a call may collect; beyond it the process group is killed. */
  readonly maxOutputBytes: number;
  /** Timeout when the app gives none, and the largest it may ask for, in ms. */
  readonly defaultTimeoutMs: number;
  readonly maxTimeoutMs: number;
  /** The host PATH commands are looked up in (the app's own environment never is). */
  readonly pathEnv: string | undefined;
}

export const RUN_DEFAULTS: RunLimits = {
  maxOutputBytes: 1024 * 1024,
  defaultTimeoutMs: 10_000,
  maxTimeoutMs: 60_000,
  pathEnv: "/usr/local/bin:/usr/bin:/bin",
};

export interface RunResult {
  /** Exit code, or null when a signal ended it. */
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface SpawnSpec {
  readonly program: string;
  readonly argv0: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly input: string | Uint8Array | undefined;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
}

/**
 * Run exactly `program` (an absolute path) with these arguments: no shell, a clean environment,
 * its own process group. Invariants: arguments reach the program as they are (nothing interprets
 * them); on a timeout or an output flood the whole group is killed, so nothing it started
 * outlives the call; when it exits, whatever it left running in its group is killed too.
 */
function spawnCollect(installation: string, spec: SpawnSpec): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(spec.program, spec.args, {
      argv0: spec.argv0,
      cwd: spec.cwd,
      env: spec.env,
      detached: true, // a new process group, killed as a whole
      shell: false,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let failure: LocaraError | undefined;
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // the group is already gone
      }
    };
    const timer = setTimeout(() => {
      failure ??= new LimitError(installation, "timeout", `${spec.timeoutMs} ms for ${spec.argv0}`);
      killGroup();
    }, spec.timeoutMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > spec.maxOutputBytes) {
        failure ??= new LimitError(
          installation,
          "output",
          `${spec.maxOutputBytes} bytes of output from ${spec.argv0}`,
        );
        killGroup();
        return;
      }
      into.push(chunk);
    };
    child.stdout.on("data", collect(out));
    child.stderr.on("data", collect(err));
    child.stdin.on("error", () => {}); // a program that does not read its input: EPIPE is fine
    child.stdin.end(spec.input === undefined ? undefined : spec.input);
    child.on("exit", killGroup);
    child.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new IoError(
          installation,
          "run",
          spec.program,
          error.code ?? "error",
          "the program could not be started",
        ),
      );
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (failure) reject(failure);
      else {
        resolve({
          code,
          signal,
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
        });
      }
    });
  });
}

function strings(value: unknown, what: string): value is string[] {
  if (!Array.isArray(value) || !value.every((a) => typeof a === "string" && !a.includes("\0"))) {
    throw new InvalidResourceError("run", value, `${what} must be a list of strings without NUL characters`);
  }
  return true;
}

/**
 * `locara:run`: `run(command, args, { cwd, input, timeoutMs })` → `{ code, signal, stdout, stderr }`.
 * The command is resolved on the host's PATH to a canonical path, which must be the one pinned at
 * approval, called by the declared name, with arguments matching a declared pattern; `cwd` needs
 * `fs.read`. The program gets only the environment variables the app may read.
 */
export function runCommandModule(ctx: PluginContext, limits: RunLimits = RUN_DEFAULTS): HostModule {
  const home = ctx.policy.context.home;
  return {
    name: "locara:run",
    functions: {
      async run([command, args = [], options = {}]) {
        if (typeof command !== "string" || command === "" || command.includes("\0")) {
          throw new InvalidResourceError(
            "run",
            command,
            'give the command to run, e.g. run("du", ["-sh", "/tmp"])',
          );
        }
        strings(args, "the arguments");
        if (options === null || typeof options !== "object" || Array.isArray(options)) {
          throw new InvalidResourceError("run", options, "the options must be { cwd, input, timeoutMs }");
        }
        const { cwd, input, timeoutMs } = options as { cwd?: unknown; input?: unknown; timeoutMs?: unknown };
        if (input !== undefined && typeof input !== "string" && !(input instanceof Uint8Array)) {
          throw new InvalidResourceError("run", input, "input must be text or bytes");
        }
        const timeout = timeoutMs === undefined ? limits.defaultTimeoutMs : Number(timeoutMs);
        if (!Number.isFinite(timeout) || timeout <= 0) {
          throw new InvalidResourceError(
            "run",
            timeoutMs,
            "timeoutMs must be a positive number of milliseconds",
          );
        }
        let dir = "/";
        if (cwd !== undefined) {
          const path = await canonicalPath("fs.read", cwd, home);
          dir = await guarded(ctx, "locara:run.run(cwd)", { kind: "fs.read", resource: path }, () => path);
        }
        const program = resolveProgram(command, limits.pathEnv);
        const argv = [command, ...(args as string[])];
        return guarded(ctx, "locara:run.run", { kind: "run", argv, ...(program ? { program } : {}) }, () => {
          if (!program) {
            throw new IoError(
              ctx.installation,
              "run",
              command,
              "ENOENT",
              "no such program on the host's PATH",
            );
          }
          return spawnCollect(ctx.installation, {
            program,
            argv0: command,
            args: args as string[],
            cwd: dir,
            env: grantedEnvironment(ctx),
            input: input as string | Uint8Array | undefined,
            timeoutMs: Math.min(timeout, limits.maxTimeoutMs),
            maxOutputBytes: limits.maxOutputBytes,
          });
        });
      },
    },
  };
}

/** The environment a subprocess gets: only the variables the app itself may read, nothing else. */
function grantedEnvironment(ctx: PluginContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.environment)) {
    if (value === undefined) continue;
    try {
      if (decide(ctx.policy, { kind: "env", resource: name }, ctx.now()).state === "granted")
        env[name] = value;
    } catch {
      // not a valid variable name for the policy: not passed
    }
  }
  return env;
}
