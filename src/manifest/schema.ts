import { z } from "zod";
import { CAPABILITY_KINDS, type CapabilityKind, DENIABLE_KINDS, isCapabilityKind } from "./kinds.ts";
import { entrySchema } from "./scopes/entry.ts";

/**
 * The shape of `locara.yaml` / `locara.json`, strict at every level (an unknown key is an error).
 * Scope syntax inside the entries is checked after the shape, by the scope parsers, so that each
 * problem gets a message written for its kind. This schema is also published as JSON Schema.
 */

const localizedText = z.union([
  z.string().min(1),
  z.record(z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]+)*$/), z.string().min(1)),
]);

export const ROUTE_ACCESS = ["public", "limited", "private", "keys"] as const;

const route = z
  .strictObject({
    path: z.string().regex(/^\/[^\s?#]*$/, 'a route path starts with "/" and has no spaces, "?" or "#"'),
    access: z
      .enum(ROUTE_ACCESS)
      .describe("public, limited (password), private (owner only) or keys (users holding keys)"),
    keys: z
      .array(z.string())
      .min(1)
      .optional()
      .describe("With access: keys, the app keys a user needs (any of them)."),
    strict: z.boolean().optional().describe("A strict route's access can never be changed after install."),
  })
  .describe("A route and who may reach it.");

const staticFiles = z
  .strictObject({
    path: z.string().regex(/^\/[^\s?#]*$/, 'a static path starts with "/" and has no spaces, "?" or "#"'),
    dir: z
      .string()
      .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\0]+$/, 'dir is a folder inside the app folder, e.g. "public"'),
  })
  .describe(
    "Files the host serves itself, without running the app: GET path/… is dir/… (route access applies).",
  );

const appKey = z.strictObject({
  key: z
    .string()
    .regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/, 'a key is dotted lower-case words, e.g. "config.write"'),
  name: localizedText.describe("What the key allows, for people; a string or { en: ..., de: ... }."),
  description: localizedText.optional(),
});

export const LIMIT_BOUNDS = {
  memoryMb: { min: 1, max: 4096, default: 64 },
  cpuMsPerRequest: { min: 1, max: 600_000, default: 1000 },
  wallMsPerRequest: { min: 1, max: 3_600_000, default: 30_000 },
} as const;

const limit = (name: keyof typeof LIMIT_BOUNDS, description: string) =>
  z
    .number()
    .int()
    .min(LIMIT_BOUNDS[name].min)
    .max(LIMIT_BOUNDS[name].max)
    .optional()
    .describe(`${description} (default ${LIMIT_BOUNDS[name].default})`);

const limits = z.strictObject({
  memoryMb: limit("memoryMb", "Memory the app's sandbox may use, in MiB"),
  cpuMsPerRequest: limit("cpuMsPerRequest", "CPU time per request or job, in ms"),
  wallMsPerRequest: limit("wallMsPerRequest", "Wall-clock time per request or job, in ms"),
});

function kindShape<K extends CapabilityKind>(kinds: readonly K[]) {
  return Object.fromEntries(
    kinds.map((kind) => [
      kind,
      kind === "db.create" ? entrySchema(kind).optional() : z.array(entrySchema(kind)).optional(),
    ]),
  ) as unknown as Record<K, z.ZodOptional<z.ZodType>>;
}

const deny = z
  .strictObject(kindShape(DENIABLE_KINDS))
  .describe("What the app must never do, whatever else allows it. Deny always wins.");

const permissions = z
  .strictObject({ ...kindShape(CAPABILITY_KINDS), deny: deny.optional() })
  .describe("What the app asks for, per capability kind. Nothing undeclared is ever allowed.");

export const manifestSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a name is lower-case letters, digits and "-", e.g. "disk-usage"'),
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/, 'a version is semver, e.g. "1.0.0"'),
    entry: z
      .string()
      .regex(
        /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\0]+$/,
        'the entry is a path inside the app folder, e.g. "src/app.ts"',
      ),
    routes: z.array(route).optional(),
    static: z.array(staticFiles).optional(),
    permissions: permissions.optional(),
    keys: z.array(appKey).optional().describe("App-defined user-level permissions."),
    limits: limits.optional(),
  })
  .describe("A Locara app manifest (locara.yaml or locara.json).");

export type RawManifest = z.output<typeof manifestSchema>;

/** Keys allowed at a place in the manifest, for "unknown key" messages. */
export function allowedKeysAt(path: readonly (string | number)[]): readonly string[] | undefined {
  const p = path.map((s) => (typeof s === "number" ? "#" : s)).join("/");
  if (p === "") return Object.keys(manifestSchema.shape);
  if (p === "permissions") return [...CAPABILITY_KINDS, "deny"];
  if (p === "permissions/deny") return DENIABLE_KINDS;
  if (p === "routes/#") return Object.keys(route.shape);
  if (p === "static/#") return Object.keys(staticFiles.shape);
  if (p === "keys/#") return Object.keys(appKey.shape);
  if (p === "limits") return Object.keys(limits.shape);
  const entry = /^permissions\/(?:deny\/)?([a-z.-]+)(?:\/#)?$/.exec(p);
  if (entry && isCapabilityKind(entry[1])) {
    const object = entrySchema(entry[1]).options.find((o) => o instanceof z.ZodObject);
    return object ? Object.keys(object.shape) : undefined;
  }
  return undefined;
}
