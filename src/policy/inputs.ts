import { z } from "zod";
import { InvalidInputError } from "../errors.ts";
import { CAPABILITY_KINDS } from "../manifest/kinds.ts";
import type { Approval, Grant, PolicyRequest, ServerRules } from "./types.ts";

/**
 * Schemas for the policy's inputs as they arrive from files and the store: approvals, grants,
 * server rules and requests. Scopes inside them are checked when the policy compiles.
 */
const kind = z.enum(CAPABILITY_KINDS);

export const approvalSchema = z.strictObject({
  kind,
  scope: z.unknown(),
  state: z.enum(["approved", "rejected", "ask"]),
  pinned: z.string().startsWith("/").optional(),
});

export const grantSchema = z
  .strictObject({
    id: z.string().min(1).max(200),
    kind,
    scope: z.unknown(),
    effect: z.enum(["allow", "deny"]),
    term: z.enum(["once", "session", "until", "always"]),
    until: z.union([z.iso.datetime({ offset: true }), z.number().int()]).optional(),
    session: z.string().min(1).optional(),
    createdAt: z.string().optional(),
    by: z.string().optional(),
    reason: z.string().optional(),
  })
  .refine((g) => g.term !== "until" || g.until !== undefined, {
    message: 'a grant with term "until" needs until',
    path: ["until"],
  })
  .refine((g) => g.term !== "session" || g.session !== undefined, {
    message: 'a grant with term "session" needs session',
    path: ["session"],
  });

export const serverRulesSchema = z.strictObject({
  deny: z.partialRecord(kind, z.array(z.unknown())).optional(),
  net: z.strictObject({ allowPrivate: z.array(z.string()).optional() }).optional(),
});

export const requestSchema = z.strictObject({
  kind: z.string(),
  resource: z.string().optional(),
  argv: z.array(z.string()).min(1).optional(),
  program: z.string().optional(),
  address: z.string().optional(),
  session: z.string().optional(),
});

function parseWith<T>(schema: z.ZodType<T>, value: unknown, source: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`,
  );
  throw new InvalidInputError(source, problems.join("; "), {
    issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
  });
}

export const parseApprovals = (value: unknown, source = "approvals"): Approval[] =>
  parseWith(z.array(approvalSchema), value, source) as Approval[];
export const parseGrants = (value: unknown, source = "grants"): Grant[] =>
  parseWith(z.array(grantSchema), value, source) as Grant[];
export const parseServerRules = (value: unknown, source = "server rules"): ServerRules =>
  parseWith(serverRulesSchema, value, source) as ServerRules;
export const parseRequest = (value: unknown, source = "request"): PolicyRequest =>
  parseWith(requestSchema, value, source) as PolicyRequest;
