export { diffManifests, type ManifestDiff, type PermissionChange } from "./diff.ts";
export { manifestJsonSchema } from "./json-schema.ts";
export {
  CAPABILITY_KINDS,
  type CapabilityKind,
  DENIABLE_KINDS,
  isCapabilityKind,
  SYS_NAMES,
  UI_FEATURES,
  USER_SELECTED_MODES,
} from "./kinds.ts";
export {
  MANIFEST_FILES,
  MAX_MANIFEST_BYTES,
  type ParseManifestOptions,
  parseManifest,
  validateManifest,
} from "./parse.ts";
export { type ParsedEntry, parseScopeEntry } from "./scopes/entry.ts";
export { type CanonicalHost, canonicalHost, canonicalIp } from "./scopes/host.ts";
export type {
  ArgPattern,
  EnvScope,
  FsScope,
  HostPattern,
  NameScope,
  NetScope,
  RunScope,
  Scope,
  ScopeMode,
  SwitchScope,
  TopicScope,
} from "./scopes/types.ts";
export type { AppKey, DeclaredPermission, Limits, LocalizedText, Manifest, Route } from "./types.ts";
