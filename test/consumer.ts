// Type-checked by `npm run typecheck`: the package's exports map must give consumers full types.
import { type Decision, LocaraError, parseManifest } from "locara";
import { diffManifests, type Manifest } from "locara/manifest";
import { approveAll, compilePolicy, decide } from "locara/policy";

const manifest: Manifest = parseManifest(
  "name: a\nversion: 1.0.0\nentry: app.ts\npermissions:\n  env: [HOME]\n",
);
const policy = compilePolicy({ manifest, approvals: approveAll(manifest, "approved") });
const decision: Decision = decide(policy, { kind: "env", resource: "HOME" }, Date.now());
const state: "granted" | "denied" | "prompt" = decision.state;
export const used = [state, diffManifests(manifest, manifest).widens, LocaraError];
