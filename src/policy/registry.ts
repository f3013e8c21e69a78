import { UnknownKindError } from "../errors.ts";
import { CAPABILITY_KINDS, type CapabilityKind, isCapabilityKind } from "../manifest/kinds.ts";
import { env } from "./capabilities/env.ts";
import { eventsPublish, eventsSubscribe } from "./capabilities/events.ts";
import { fsRead, fsWrite } from "./capabilities/fs.ts";
import { dbCreate, dbRead, dbWrite, fsUserSelected, secrets, sys, ui } from "./capabilities/names.ts";
import { net } from "./capabilities/net.ts";
import { run } from "./capabilities/run.ts";
import type { Capability } from "./capability.ts";

/** Every capability kind, each with exactly one frozen spec. */
export const CAPABILITIES: Readonly<Record<CapabilityKind, Capability>> = Object.freeze({
  "fs.read": fsRead,
  "fs.write": fsWrite,
  net,
  env,
  run,
  sys,
  "db.read": dbRead,
  "db.write": dbWrite,
  "db.create": dbCreate,
  "events.publish": eventsPublish,
  "events.subscribe": eventsSubscribe,
  secrets,
  ui,
  "fs.user-selected": fsUserSelected,
});

/** The spec of a kind. An unknown kind throws: nothing unknown is ever allowed. */
export function capability(kind: string): Capability {
  if (!isCapabilityKind(kind)) throw new UnknownKindError(kind, CAPABILITY_KINDS);
  return CAPABILITIES[kind];
}
