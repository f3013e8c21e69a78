export { type Capability, type CapabilitySpec, type CompileContext, defineCapability } from "./capability.ts";
export { approveAll, type CompiledPolicy, compilePolicy } from "./compile.ts";
export { consumeGrant, decide, decisionError, grantScopeFor } from "./decide.ts";
export { parseApprovals, parseGrants, parseRequest, parseServerRules } from "./inputs.ts";
export { CAPABILITIES, capability } from "./registry.ts";
export type {
  Approval,
  ApprovalState,
  Decision,
  DecisionState,
  Grant,
  GrantTerm,
  PolicyInput,
  PolicyRequest,
  ServerRules,
} from "./types.ts";
export { type ManifestWarning, manifestWarnings } from "./warnings.ts";
