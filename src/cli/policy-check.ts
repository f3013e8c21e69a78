import { createReadStream } from "node:fs";
import { homedir } from "node:os";
import { createInterface } from "node:readline";
import { InvalidInputError, LocaraError, UsageError } from "../errors.ts";
import { loadManifest } from "../host/manifest-file.ts";
import { approveAll, type CompiledPolicy, compilePolicy } from "../policy/compile.ts";
import { decide } from "../policy/decide.ts";
import { parseGrants, parseRequest, parseServerRules } from "../policy/inputs.ts";
import type { Approval, Decision, PolicyRequest } from "../policy/types.ts";
import { EXIT, type Io, readDataFile } from "./io.ts";

export interface PolicyCheckOptions {
  readonly manifest: string;
  readonly approve: string;
  readonly grants?: string;
  readonly serverRules?: string;
  readonly requests?: string;
  readonly app?: string;
  readonly home?: string;
  readonly session?: string;
  readonly json: boolean;
}

const APPROVE = ["all", "none", "ask"] as const;

async function buildPolicy(options: PolicyCheckOptions): Promise<CompiledPolicy> {
  if (!(APPROVE as readonly string[]).includes(options.approve)) {
    throw new UsageError(`--approve ${JSON.stringify(options.approve)}: use all, none or ask`);
  }
  const { manifest } = await loadManifest(options.manifest);
  const approvals: Approval[] =
    options.approve === "all"
      ? approveAll(manifest, "approved")
      : options.approve === "ask"
        ? approveAll(manifest, "ask")
        : [];
  const grants = options.grants
    ? parseGrants(await readDataFile(options.grants, "grants"), options.grants)
    : [];
  const serverRules = options.serverRules
    ? parseServerRules(await readDataFile(options.serverRules, "server rules"), options.serverRules)
    : undefined;
  return compilePolicy({
    manifest,
    approvals,
    grants,
    home: options.home ?? homedir(),
    ...(options.app === undefined ? {} : { installation: options.app }),
    ...(serverRules === undefined ? {} : { serverRules }),
  });
}

function requestFrom(kind: string, resource: readonly string[], session: string | undefined): PolicyRequest {
  const withSession = session === undefined ? {} : { session };
  if (kind === "run") {
    if (resource.length === 0)
      throw new UsageError("run needs the command and its arguments after --, e.g. run -- du -sh /tmp");
    return { kind, argv: resource, ...withSession };
  }
  if (resource.length !== 1) {
    throw new UsageError(
      `${kind} takes one resource (a path, host[:port] or URL, or a name), got ${resource.length}`,
    );
  }
  return { kind, resource: resource[0]!, ...withSession };
}

function human(d: Decision): string {
  const line = `${d.state}: ${d.reason}\n  rule: ${d.rule}`;
  return d.fix === "" ? `${line}\n` : `${line}\n  fix: ${d.fix}\n`;
}

const exitFor = (d: Decision) => (d.state === "granted" ? EXIT.ok : EXIT.no);

/** `locara policy check`: one request from the arguments, or many from a JSONL file. */
export async function policyCheck(
  io: Io,
  kind: string | undefined,
  resource: readonly string[],
  options: PolicyCheckOptions,
): Promise<number> {
  const policy = await buildPolicy(options);
  for (const warning of policy.warnings) io.err(`locara: warning: ${warning}\n`);
  const now = Date.now();
  if (options.requests !== undefined) {
    if (kind !== undefined) throw new UsageError("give either --requests FILE or KIND RESOURCE, not both");
    return checkMany(io, policy, options.requests, now, options.session);
  }
  if (kind === undefined)
    throw new UsageError("give KIND RESOURCE (e.g. net api.example.com) or --requests FILE.jsonl");
  const decision = decide(policy, requestFrom(kind, resource, options.session), now);
  io.out(options.json ? `${JSON.stringify(decision)}\n` : human(decision));
  return exitFor(decision);
}

/**
 * One JSON line out per line in: a decision, or `{"line":N,"error":{…}}` for a line that cannot
 * be decided. Exit 2 if any line was bad, else 1 if any was not granted, else 0.
 */
async function checkMany(
  io: Io,
  policy: CompiledPolicy,
  file: string,
  now: number,
  session: string | undefined,
): Promise<number> {
  const stream = file === "-" ? process.stdin : createReadStream(file, { encoding: "utf8" });
  const opened = new Promise<void>((resolve, reject) => {
    if (file === "-") resolve();
    else stream.once("open", () => resolve()).once("error", reject);
  });
  try {
    await opened;
  } catch (error) {
    throw new InvalidInputError(
      file,
      `cannot read the requests file (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  let worst: number = EXIT.ok;
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    line++;
    if (text.trim() === "") continue;
    try {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new InvalidInputError(`${file}:${line}`, `not a JSON object: ${(error as Error).message}`);
      }
      const request = parseRequest(value, `${file}:${line}`);
      const decision = decide(
        policy,
        session !== undefined && request.session === undefined ? { ...request, session } : request,
        now,
      );
      io.out(`${JSON.stringify(decision)}\n`);
      if (decision.state !== "granted" && worst === EXIT.ok) worst = EXIT.no;
    } catch (error) {
      if (!(error instanceof LocaraError)) throw error;
      io.out(`${JSON.stringify({ line, error: error.toJSON() })}\n`);
      worst = EXIT.badInput;
    }
  }
  return worst;
}
