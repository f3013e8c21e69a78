import { parseManifest } from "../manifest/parse.ts";
import { approveAll, type CompiledPolicy, compilePolicy } from "./compile.ts";
import { decide } from "./decide.ts";
import type { ApprovalState, Decision, Grant, PolicyRequest, ServerRules } from "./types.ts";

export const HOME = "/home/u";
export const APP = "/utils/disk_usage";

export interface PolicyOptions {
  readonly approve?: ApprovalState | "none";
  readonly grants?: readonly Grant[];
  readonly serverRules?: ServerRules;
  readonly disabled?: boolean;
}

/** A policy built the way a user builds one: manifest text → parse → approve → compile. */
export function policyFor(permissionsYaml: string, options: PolicyOptions = {}): CompiledPolicy {
  const manifest = parseManifest(
    `name: test-app\nversion: 1.0.0\nentry: app.ts\npermissions:\n${permissionsYaml}`,
  );
  const approve = options.approve ?? "approved";
  return compilePolicy({
    manifest,
    installation: APP,
    home: HOME,
    approvals: approve === "none" ? [] : approveAll(manifest, approve),
    ...(options.grants ? { grants: options.grants } : {}),
    ...(options.serverRules ? { serverRules: options.serverRules } : {}),
    ...(options.disabled ? { disabled: true } : {}),
  });
}

export function check(policy: CompiledPolicy, request: PolicyRequest, now = 0): Decision {
  return decide(policy, request, now);
}

export function stateOf(policy: CompiledPolicy, request: PolicyRequest, now = 0): Decision["state"] {
  return decide(policy, request, now).state;
}
