import { describe, expect, it } from "vitest";
import { PermissionError } from "../errors.ts";
import { parseManifest } from "../manifest/parse.ts";
import { compilePolicy } from "./compile.ts";
import { consumeGrant, decide, decisionError } from "./decide.ts";
import { APP, check, policyFor, stateOf } from "./test-helpers.ts";
import type { Grant } from "./types.ts";

const PERMS = `  net: [api.example.com]
  fs.read: ["/data"]
`;
const api = { kind: "net", resource: "api.example.com" };
const allow = (id: string, extra: Partial<Grant> = {}): Grant => ({
  id,
  kind: "net",
  scope: "api.example.com",
  effect: "allow",
  term: "always",
  ...extra,
});

describe("decision order (DESIGN.md)", () => {
  it("1. a disabled installation is denied whatever else holds", () => {
    const d = check(policyFor(PERMS, { disabled: true }), api);
    expect(d).toMatchObject({ state: "denied", code: "LOCARA_E_DISABLED", rule: "installation disabled" });
    expect(d.fix).toContain(`locara app enable ${APP}`);
  });

  it("2. any deny beats an approved allow: built-in, manifest, server, a saved answer", () => {
    const manifestDeny = policyFor(`${PERMS}  deny:\n    fs.read: ["/data/secret"]\n`);
    expect(check(manifestDeny, { kind: "fs.read", resource: "/data/secret/k" })).toMatchObject({
      state: "denied",
      code: "LOCARA_E_DENIED",
      rule: "permissions.deny.fs.read[0]: /data/secret",
    });
    const serverDeny = policyFor(PERMS, { serverRules: { deny: { net: ["api.example.com"] } } });
    expect(check(serverDeny, api)).toMatchObject({
      state: "denied",
      rule: "server.deny.net[0]: api.example.com",
    });
    const saved = policyFor(PERMS, { grants: [allow("d1", { effect: "deny" })] });
    expect(check(saved, api)).toMatchObject({ state: "denied", grant: "d1" });
    const builtin = policyFor('  net: ["169.254.169.254"]\n');
    expect(check(builtin, { kind: "net", resource: "169.254.169.254" }).rule).toBe(
      "builtin net 169.254.0.0/16",
    );
  });

  it("3. undeclared is denied, and says what is declared", () => {
    const d = check(policyFor(PERMS), { kind: "net", resource: "evil.com" });
    expect(d).toMatchObject({ state: "denied", code: "LOCARA_E_NOT_DECLARED", rule: "undeclared" });
    expect(d.reason).toBe(
      `app ${APP} is not permitted to connect to "https://evil.com": not declared (declared net: api.example.com)`,
    );
  });

  it("4. approved is granted, naming the rule", () => {
    const d = check(policyFor(PERMS), api);
    expect(d).toMatchObject({
      state: "granted",
      rule: "permissions.net[0]: api.example.com",
      fix: "",
      permission: "net api.example.com",
    });
    expect(d.code).toBeUndefined();
  });

  it("5. rejected and pending are denied with their own codes", () => {
    expect(check(policyFor(PERMS, { approve: "rejected" }), api)).toMatchObject({
      state: "denied",
      code: "LOCARA_E_REJECTED",
    });
    const pending = check(policyFor(PERMS, { approve: "none" }), api);
    expect(pending).toMatchObject({ state: "denied", code: "LOCARA_E_NOT_APPROVED" });
    expect(pending.fix).toBe(`review it and run locara app approve ${APP}`);
  });

  it("6. ask prompts unless a live allow grant covers the request", () => {
    const d = check(policyFor(PERMS, { approve: "ask" }), api);
    expect(d).toMatchObject({ state: "prompt", code: "LOCARA_E_PROMPT" });
    expect(d.fix).toContain(`locara grants add ${APP} net "https://api.example.com"`);
    expect(check(policyFor(PERMS, { approve: "ask", grants: [allow("g1")] }), api)).toMatchObject({
      state: "granted",
      grant: "g1",
    });
  });

  it("when several declared permissions match, approved wins over ask over rejected over pending", () => {
    const manifest = parseManifest(
      'name: a\nversion: 1.0.0\nentry: a.ts\npermissions:\n  fs.read: ["/data", "/data/sub"]\n',
    );
    const policy = compilePolicy({
      manifest,
      approvals: [
        { kind: "fs.read", scope: "/data", state: "rejected" },
        { kind: "fs.read", scope: "/data/sub", state: "ask" },
      ],
    });
    expect(stateOf(policy, { kind: "fs.read", resource: "/data/sub/x" })).toBe("prompt");
    expect(stateOf(policy, { kind: "fs.read", resource: "/data/other" })).toBe("denied");
  });
});

describe("grants", () => {
  const ask = (grants: Grant[]) => policyFor(PERMS, { approve: "ask", grants });

  it("once: good for exactly one consumed decision, then the prompt comes back", () => {
    const policy = ask([allow("o1", { term: "once" })]);
    const first = decide(policy, api, 0);
    expect(first).toMatchObject({ state: "granted", grant: "o1" });
    expect(consumeGrant(policy, "o1")).toBe(true);
    expect(consumeGrant(policy, "o1")).toBe(false);
    expect(stateOf(policy, api)).toBe("prompt");
  });

  it("session: only for requests of that session", () => {
    const policy = ask([allow("s1", { term: "session", session: "tty-1" })]);
    expect(stateOf(policy, { ...api, session: "tty-1" })).toBe("granted");
    expect(stateOf(policy, { ...api, session: "tty-2" })).toBe("prompt");
    expect(stateOf(policy, api)).toBe("prompt");
  });

  it("until: live before its end, not at or after it", () => {
    const until = Date.parse("2026-12-23T00:00:00Z");
    const policy = ask([allow("u1", { term: "until", until: "2026-12-23T00:00:00Z" })]);
    expect(stateOf(policy, api, until - 1)).toBe("granted");
    expect(stateOf(policy, api, until)).toBe("prompt");
    expect(check(policy, api, until - 1).rule).toBe(
      "grant u1 (allow until 2026-12-23T00:00:00.000Z): api.example.com",
    );
  });

  it("always: no end", () => {
    expect(stateOf(ask([allow("a1")]), api, Number.MAX_SAFE_INTEGER)).toBe("granted");
  });

  it("deny grants deny, even an approved permission, until they lapse", () => {
    const policy = policyFor(PERMS, {
      grants: [allow("d1", { effect: "deny", term: "until", until: 1000 })],
    });
    expect(stateOf(policy, api, 999)).toBe("denied");
    expect(stateOf(policy, api, 1000)).toBe("granted");
    expect(check(policy, api, 0).fix).toBe(
      `revoke the answer to be asked again: locara grants revoke ${APP} d1`,
    );
  });

  it("allow grants never widen: not for undeclared, pending or rejected permissions", () => {
    const anything = (scope: string, kind: Grant["kind"] = "net"): Grant => ({
      id: scope,
      kind,
      scope,
      effect: "allow",
      term: "always",
    });
    const grants = [anything("evil.com"), anything("api.example.com"), anything("/etc", "fs.read")];
    expect(stateOf(policyFor(PERMS, { approve: "ask", grants }), { kind: "net", resource: "evil.com" })).toBe(
      "denied",
    );
    expect(
      stateOf(policyFor(PERMS, { approve: "ask", grants }), { kind: "fs.read", resource: "/etc/passwd" }),
    ).toBe("denied");
    expect(stateOf(policyFor(PERMS, { approve: "none", grants }), api)).toBe("denied");
    expect(stateOf(policyFor(PERMS, { approve: "rejected", grants }), api)).toBe("denied");
  });

  it("refuses malformed grants", () => {
    expect(() => ask([allow("x"), allow("x")])).toThrow("used twice");
    expect(() => ask([allow("x", { term: "until", until: "next week" })])).toThrow("is not a time");
    expect(() => ask([allow("x", { scope: "http://*" })])).toThrow("is not a host pattern");
  });
});

describe("approvals", () => {
  it("an approval for something the manifest does not declare is ignored, with a warning", () => {
    const manifest = parseManifest(
      "name: a\nversion: 1.0.0\nentry: a.ts\npermissions:\n  net: [api.example.com]\n",
    );
    const policy = compilePolicy({
      manifest,
      approvals: [
        { kind: "net", scope: "evil.com", state: "approved" },
        { kind: "net", scope: "API.example.com.", state: "approved" },
      ],
    });
    expect(stateOf(policy, { kind: "net", resource: "evil.com" })).toBe("denied");
    expect(stateOf(policy, api)).toBe("granted");
    expect(policy.warnings).toEqual(["approval for net evil.com ignored: the manifest does not declare it"]);
  });
});

describe("decisions as data", () => {
  it("carry kind, resource, rule, reason and fix, and serialise to plain JSON", () => {
    const d = check(policyFor(PERMS, { approve: "none" }), api);
    expect(JSON.parse(JSON.stringify(d))).toEqual({
      state: "denied",
      kind: "net",
      resource: "https://api.example.com",
      rule: "permissions.net[0]: api.example.com",
      reason: `app ${APP} may not yet connect to "https://api.example.com": net "api.example.com" is declared but needs approval`,
      fix: `review it and run locara app approve ${APP}`,
      code: "LOCARA_E_NOT_APPROVED",
      permission: "net api.example.com",
    });
  });

  it("decisionError turns a decision into the error a plugin raises: reason, then fix", () => {
    const d = check(policyFor(PERMS), { kind: "net", resource: "evil.com" });
    const error = decisionError(d);
    expect(error).toBeInstanceOf(PermissionError);
    expect(error.code).toBe("LOCARA_E_NOT_DECLARED");
    expect(error.message).toBe(`${d.reason}: ${d.fix}`);
    expect(error.data).toEqual({
      kind: "net",
      resource: "https://evil.com",
      rule: "undeclared",
      state: "denied",
    });
  });
});
