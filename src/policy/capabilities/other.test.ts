import { describe, expect, it } from "vitest";
import { InvalidResourceError, UnknownKindError } from "../../errors.ts";
import { decide } from "../decide.ts";
import { capability } from "../registry.ts";
import { policyFor, stateOf } from "../test-helpers.ts";

describe("env", () => {
  const policy = policyFor('  env: [HOME, "APP_*"]\n');

  it("matches exact names and trailing-* prefixes, case-sensitively", () => {
    expect(stateOf(policy, { kind: "env", resource: "HOME" })).toBe("granted");
    expect(stateOf(policy, { kind: "env", resource: "home" })).toBe("denied");
    expect(stateOf(policy, { kind: "env", resource: "HOMEPATH" })).toBe("denied");
    expect(stateOf(policy, { kind: "env", resource: "APP_TOKEN" })).toBe("granted");
    expect(stateOf(policy, { kind: "env", resource: "app_token" })).toBe("denied");
    expect(stateOf(policy, { kind: "env", resource: "MY_APP_TOKEN" })).toBe("denied");
  });

  it("refuses names that are not names", () => {
    expect(() => decide(policy, { kind: "env", resource: "A=B" }, 0)).toThrow(InvalidResourceError);
    expect(() => decide(policy, { kind: "env", resource: "" }, 0)).toThrow(InvalidResourceError);
  });
});

describe("sys, tables, secrets, ui, fs.user-selected", () => {
  const policy = policyFor(`  sys: [hostname, memory]
  db.read: [clients, chats]
  db.write: [chats]
  secrets: [OPENAI_KEY, { name: STRIPE_KEY, required: false }]
  ui: [navigation]
  fs.user-selected: [read]
`);

  it("matches exact names", () => {
    expect(stateOf(policy, { kind: "sys", resource: "hostname" })).toBe("granted");
    expect(stateOf(policy, { kind: "sys", resource: "uptime" })).toBe("denied");
    expect(stateOf(policy, { kind: "db.read", resource: "clients" })).toBe("granted");
    expect(stateOf(policy, { kind: "db.write", resource: "clients" })).toBe("denied");
    expect(stateOf(policy, { kind: "db.write", resource: "chats" })).toBe("granted");
    expect(stateOf(policy, { kind: "secrets", resource: "STRIPE_KEY" })).toBe("granted");
    expect(stateOf(policy, { kind: "secrets", resource: "AWS_KEY" })).toBe("denied");
    expect(stateOf(policy, { kind: "ui", resource: "navigation" })).toBe("granted");
    expect(stateOf(policy, { kind: "ui", resource: "widgets" })).toBe("denied");
    expect(stateOf(policy, { kind: "fs.user-selected", resource: "read" })).toBe("granted");
    expect(stateOf(policy, { kind: "fs.user-selected", resource: "write" })).toBe("denied");
  });

  it("refuses resources outside the kind's vocabulary", () => {
    expect(() => decide(policy, { kind: "sys", resource: "kernelSecrets" }, 0)).toThrow(InvalidResourceError);
    expect(() => decide(policy, { kind: "db.read", resource: "Clients; DROP TABLE x" }, 0)).toThrow(
      InvalidResourceError,
    );
    expect(() => decide(policy, { kind: "ui", resource: "everything" }, 0)).toThrow(InvalidResourceError);
  });
});

describe("db.create", () => {
  it("covers only tables named app_<installation>_*", () => {
    const policy = policyFor("  db.create: true\n");
    expect(stateOf(policy, { kind: "db.create", resource: "app_utils_disk_usage_runs" })).toBe("granted");
    expect(stateOf(policy, { kind: "db.create", resource: "app_utils_disk_usage_" })).toBe("denied");
    expect(stateOf(policy, { kind: "db.create", resource: "app_other_runs" })).toBe("denied");
    expect(stateOf(policy, { kind: "db.create", resource: "users" })).toBe("denied");
  });

  it("is denied when not declared", () => {
    expect(
      stateOf(policyFor("  env: [HOME]\n"), { kind: "db.create", resource: "app_utils_disk_usage_runs" }),
    ).toBe("denied");
  });
});

describe("events", () => {
  const policy = policyFor(`  events.publish: [orders.created, "orders.*.shipped"]
  events.subscribe: ["chat.*", billing.invoice.paid]
`);

  it("* stands for exactly one segment", () => {
    expect(stateOf(policy, { kind: "events.publish", resource: "orders.created" })).toBe("granted");
    expect(stateOf(policy, { kind: "events.publish", resource: "orders.42.shipped" })).toBe("granted");
    expect(stateOf(policy, { kind: "events.publish", resource: "orders.42.7.shipped" })).toBe("denied");
    expect(stateOf(policy, { kind: "events.publish", resource: "orders.created.late" })).toBe("denied");
    expect(stateOf(policy, { kind: "events.subscribe", resource: "chat.message" })).toBe("granted");
    expect(stateOf(policy, { kind: "events.subscribe", resource: "chat" })).toBe("denied");
  });

  it("a subscription pattern is covered only by * in the same place", () => {
    expect(stateOf(policy, { kind: "events.subscribe", resource: "chat.*" })).toBe("granted");
    expect(stateOf(policy, { kind: "events.subscribe", resource: "billing.invoice.*" })).toBe("denied");
    expect(stateOf(policy, { kind: "events.subscribe", resource: "*.invoice.paid" })).toBe("denied");
  });

  it("publishing needs a concrete topic", () => {
    expect(() => decide(policy, { kind: "events.publish", resource: "orders.*" }, 0)).toThrow(
      InvalidResourceError,
    );
    expect(() => decide(policy, { kind: "events.publish", resource: "orders..created" }, 0)).toThrow(
      InvalidResourceError,
    );
  });
});

describe("the capability registry", () => {
  it("has one frozen spec per kind and throws for an unknown kind", () => {
    expect(Object.isFrozen(capability("net"))).toBe(true);
    expect(() => capability("files")).toThrow(UnknownKindError);
    expect(() => capability("__proto__")).toThrow(UnknownKindError);
    expect(() => decide(policyFor("  env: [HOME]\n"), { kind: "camera", resource: "front" }, 0)).toThrow(
      'unknown capability kind "camera"',
    );
  });
});
