import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CapabilityKind } from "../manifest/kinds.ts";
import { parseManifest } from "../manifest/parse.ts";
import { parseScopeEntry } from "../manifest/scopes/entry.ts";
import {
  type Approval,
  type ApprovalState,
  compilePolicy,
  consumeGrant,
  decide,
  type Grant,
  type PolicyRequest,
} from "./index.ts";
import { capability } from "./registry.ts";

/*
 * Random manifests over a small vocabulary, so that scopes and requests collide often: the
 * properties below are only meaningful when matches actually happen.
 */
const seg = fc.constantFrom("a", "b", "data", "database", ".git", "x");
const path = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join("/")}`);
const fsScope = fc.oneof(
  path,
  path.map((p) => `${p}/**`),
  path.map((p) => `${p}/*`),
);
const label = fc.constantFrom("a", "b", "api", "example", "partner");
const host = fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => `${l.join(".")}.com`);
const netScope = fc.oneof(
  host,
  host.map((h) => `*.${h}`),
  host.map((h) => `${h}:8443`),
  host.map((h) => `http://${h}`),
);
const envName = fc.constantFrom("A", "AB", "B", "HOME", "APP_X", "APP_Y");
const envScope = fc.oneof(envName, fc.constantFrom("A*", "APP_*"));
const command = fc.constantFrom("du", "ls", "/usr/bin/du");
const arg = fc.constantFrom("-a", "-sh", "x", "/tmp");
const runScope = fc.record({
  command,
  args: fc
    .array(fc.oneof(arg, fc.constant("*")), { maxLength: 3 })
    .chain((a) => fc.constantFrom(a, [...a, "**"])),
});

const entries = fc.record({
  "fs.read": fc.uniqueArray(fsScope, { maxLength: 4 }),
  net: fc.uniqueArray(netScope, { maxLength: 4 }),
  env: fc.uniqueArray(envScope, { maxLength: 3 }),
  run: fc.uniqueArray(runScope, { maxLength: 3, selector: (r) => JSON.stringify(r) }),
});

const request: fc.Arbitrary<PolicyRequest> = fc.oneof(
  path.map((resource) => ({ kind: "fs.read", resource })),
  fc
    .tuple(host, fc.constantFrom("", ":443", ":8443"), fc.constantFrom("https://", "http://", ""))
    .map(([h, port, scheme]) => ({
      kind: "net",
      resource: `${scheme}${h}${port}`,
    })),
  envName.map((resource) => ({ kind: "env", resource })),
  fc.tuple(command, fc.array(arg, { maxLength: 4 })).map(([c, a]) => ({ kind: "run", argv: [c, ...a] })),
);

type Entries = {
  "fs.read": string[];
  net: string[];
  env: string[];
  run: { command: string; args: string[] }[];
};

function manifestOf(allow: Entries, deny: Partial<Entries> = {}) {
  const doc = { name: "prop", version: "1.0.0", entry: "a.ts", permissions: { ...allow, deny } };
  return parseManifest(JSON.stringify(doc), { file: "locara.json" });
}

const state = fc.constantFrom<ApprovalState | "pending">("approved", "ask", "rejected", "pending");

function approvalsFor(
  manifest: ReturnType<typeof manifestOf>,
  states: readonly (ApprovalState | "pending")[],
): Approval[] {
  return manifest.permissions.flatMap((p, i) => {
    const s = states[i % Math.max(1, states.length)] ?? "pending";
    return s === "pending" ? [] : [{ kind: p.kind, scope: p.entry, state: s }];
  });
}

/** An allow grant covering exactly this request (what answering a prompt would record). */
function grantFor(req: PolicyRequest, id: string, term: Grant["term"] = "always"): Grant {
  const cap = capability(req.kind);
  const scope = cap.scopeFor(cap.normalize(req, { installation: "prop", allowPrivate: [] }));
  return { id, kind: cap.kind, scope, effect: "allow", term };
}

/** A deny rule (manifest syntax) covering this request. */
function denyFor(req: PolicyRequest): Partial<Entries> {
  if (req.kind === "run") return { run: [{ command: req.argv![0]!, args: ["**"] }] };
  if (req.kind === "net")
    return {
      net: [new URL(req.resource!.includes("://") ? req.resource! : `https://${req.resource}`).hostname],
    };
  return { [req.kind]: [req.resource!] } as Partial<Entries>;
}

const ask = (m: ReturnType<typeof manifestOf>) => approvalsFor(m, ["ask"]);
const runs = { numRuns: 400 };

describe("properties of decide()", () => {
  it("deny always wins: a deny covering the request denies it, whatever the approvals and grants", () => {
    fc.assert(
      fc.property(entries, request, fc.array(state, { minLength: 1, maxLength: 6 }), (allow, req, states) => {
        const manifest = manifestOf(allow, denyFor(req));
        const policy = compilePolicy({
          manifest,
          approvals: approvalsFor(manifest, states),
          grants: [grantFor(req, "g")],
        });
        expect(decide(policy, req, 0).state).toBe("denied");
      }),
      runs,
    );
  });

  it("undeclared is never granted: a grant is always backed by a declared permission", () => {
    fc.assert(
      fc.property(entries, request, fc.array(state, { minLength: 1, maxLength: 6 }), (allow, req, states) => {
        const manifest = manifestOf(allow);
        const policy = compilePolicy({
          manifest,
          approvals: approvalsFor(manifest, states),
          grants: [grantFor(req, "g")],
        });
        const d = decide(policy, req, 0);
        if (d.state === "granted") expect(manifest.permissions.map((p) => p.key)).toContain(d.permission);
        const empty = manifestOf({ "fs.read": [], net: [], env: [], run: [] });
        expect(decide(compilePolicy({ manifest: empty, grants: [grantFor(req, "g")] }), req, 0).state).toBe(
          "denied",
        );
      }),
      runs,
    );
  });

  it("adding an allow grant never turns granted into denied; removing one never turns denied into granted", () => {
    fc.assert(
      fc.property(
        entries,
        request,
        request,
        fc.array(state, { minLength: 1, maxLength: 6 }),
        (allow, req, other, states) => {
          const manifest = manifestOf(allow);
          const approvals = approvalsFor(manifest, states);
          const without = decide(compilePolicy({ manifest, approvals }), req, 0).state;
          const withGrant = decide(
            compilePolicy({ manifest, approvals, grants: [grantFor(other, "g")] }),
            req,
            0,
          ).state;
          if (without === "granted") expect(withGrant).toBe("granted");
          if (withGrant === "denied") expect(without).toBe("denied");
        },
      ),
      runs,
    );
  });

  it("a once grant is consumed exactly once", () => {
    fc.assert(
      fc.property(entries, request, fc.array(request, { maxLength: 8 }), (allow, req, others) => {
        const manifest = manifestOf(allow);
        const policy = compilePolicy({
          manifest,
          approvals: ask(manifest),
          grants: [grantFor(req, "once-1", "once")],
        });
        // Decisions taken concurrently (before any is acted on) may all name the grant; only
        // one of them may claim it.
        const decisions = [req, req, ...others, req].map((r) => decide(policy, r, 0));
        let used = 0;
        for (const d of decisions) if (d.grant === "once-1" && consumeGrant(policy, "once-1")) used++;
        for (const r of [req, ...others]) expect(decide(policy, r, 0).grant).not.toBe("once-1");
        // At most once; and exactly once when some request the grant covers would otherwise
        // prompt (fast-check found that a grant for /data/.git also covers /data/.git/a).
        const withoutGrant = compilePolicy({ manifest, approvals: ask(manifest) });
        const wouldUse = [req, ...others].some((r) => {
          if (decide(withoutGrant, r, 0).state !== "prompt") return false;
          const fresh = compilePolicy({
            manifest,
            approvals: ask(manifest),
            grants: [grantFor(req, "once-1", "once")],
          });
          return decide(fresh, r, 0).grant === "once-1";
        });
        expect(used).toBeLessThanOrEqual(1);
        expect(used).toBe(wouldUse ? 1 : 0);
      }),
      runs,
    );
  });
});

describe("normalisation is idempotent", () => {
  const ctx = { installation: "prop", allowPrivate: [], home: "/home/u" };
  const messyPath = fc
    .array(fc.constantFrom("a", "b", ".", "..", "", "data"), { minLength: 1, maxLength: 6 })
    .map((s) => `/${s.join("/")}`);
  const messyHost = fc
    .tuple(host, fc.constantFrom("", "."), fc.boolean(), fc.constantFrom("", ":443", ":8443", "/x?y"))
    .map(([h, dot, upper, tail]) => `https://${upper ? h.toUpperCase() : h}${dot}${tail}`);

  it("for requests: normalising the canonical resource gives it back", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          messyPath.map((resource) => ({ kind: "fs.read" as CapabilityKind, resource })),
          messyHost.map((resource) => ({ kind: "net" as CapabilityKind, resource })),
          envName.map((resource) => ({ kind: "env" as CapabilityKind, resource })),
        ),
        (req) => {
          const cap = capability(req.kind);
          const once = cap.describe(cap.normalize(req, ctx));
          expect(cap.describe(cap.normalize({ kind: req.kind, resource: once }, ctx))).toBe(once);
        },
      ),
      runs,
    );
  });

  it("for scopes: the canonical text of a scope parses to itself", () => {
    const messyScope = fc.oneof(
      messyPath
        .filter((p) => !p.split("/").includes(".."))
        .map((s) => ({ kind: "fs.read" as CapabilityKind, entry: `${s}/` as unknown })),
      netScope.map((s) => ({ kind: "net" as CapabilityKind, entry: s.toUpperCase() as unknown })),
      runScope.map((s) => ({ kind: "run" as CapabilityKind, entry: s as unknown })),
      envScope.map((s) => ({ kind: "env" as CapabilityKind, entry: s as unknown })),
    );
    fc.assert(
      fc.property(messyScope, ({ kind, entry }) => {
        const first = parseScopeEntry(kind, entry, "allow");
        if (!("text" in first)) return;
        const second = parseScopeEntry(kind, first.entry, "allow");
        expect("text" in second && second.text).toBe(first.text);
      }),
      runs,
    );
  });
});
