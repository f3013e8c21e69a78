import { describe, expect, it } from "vitest";
import { InvalidInputError, InvalidResourceError } from "../../errors.ts";
import { parseManifest } from "../../manifest/parse.ts";
import { compilePolicy } from "../compile.ts";
import { decide, decisionError } from "../decide.ts";
import { APP, check, policyFor, stateOf } from "../test-helpers.ts";

const run = (...argv: string[]) => ({ kind: "run", argv });

describe("run argument patterns", () => {
  const policy = policyFor(`  run:
    - { command: du, args: ["-sh", "*"] }
    - { command: readlink, args: ["-f", "--", "*"] }
    - { command: git, args: ["log", "**"] }
    - { command: date }
    - { command: echo, args: ["\\\\*", "*"] }
    - { command: /opt/tool/bin/report, args: ["--format", "json"] }
`);

  it("literals must be equal and * is exactly one argument", () => {
    expect(stateOf(policy, run("du", "-sh", "/tmp"))).toBe("granted");
    expect(stateOf(policy, run("du", "-sh", ""))).toBe("granted");
    expect(stateOf(policy, run("du", "-a", "/tmp"))).toBe("denied");
    expect(stateOf(policy, run("du", "-sh"))).toBe("denied");
    expect(stateOf(policy, run("du", "-sh", "/tmp", "/var"))).toBe("denied");
  });

  it("** takes the rest, including nothing", () => {
    expect(stateOf(policy, run("git", "log"))).toBe("granted");
    expect(stateOf(policy, run("git", "log", "--oneline", "-n", "5"))).toBe("granted");
    expect(stateOf(policy, run("git", "push"))).toBe("denied");
  });

  it("no args in an allow rule means no arguments", () => {
    expect(stateOf(policy, run("date"))).toBe("granted");
    expect(stateOf(policy, run("date", "-s", "2020-01-01"))).toBe("denied");
  });

  it("\\* is a literal star", () => {
    expect(stateOf(policy, run("echo", "*", "hi"))).toBe("granted");
    expect(stateOf(policy, run("echo", "x", "hi"))).toBe("denied");
  });

  it("shell metacharacters are plain text in an argument", () => {
    const d = check(policy, run("du", "-sh", "/tmp; rm -rf / #"));
    expect(d.state).toBe("granted");
    expect(d.resource).toBe('du -sh "/tmp; rm -rf / #"');
    expect(stateOf(policy, run("du", "-sh", "$(reboot)"))).toBe("granted");
    // A "command" that is a shell line is refused outright: there is no shell to give it to.
    expect(() => decide(policy, run("du; rm -rf /", "-sh", "x"), 0)).toThrow(InvalidResourceError);
  });

  it("the program is matched exactly: a bare name is not any path that ends in it", () => {
    expect(stateOf(policy, run("/tmp/evil/du", "-sh", "/tmp"))).toBe("denied");
    expect(stateOf(policy, run("/usr/bin/du", "-sh", "/tmp"))).toBe("denied");
    expect(stateOf(policy, run("/opt/tool/bin/report", "--format", "json"))).toBe("granted");
    expect(stateOf(policy, run("/opt/tool/bin/../bin/report", "--format", "json"))).toBe("granted");
    expect(stateOf(policy, run("report", "--format", "json"))).toBe("denied");
  });

  it("refuses argv that cannot be checked", () => {
    expect(() => decide(policy, { kind: "run", argv: [] }, 0)).toThrow(InvalidResourceError);
    expect(() => decide(policy, run("./du", "-sh"), 0)).toThrow(InvalidResourceError);
    expect(() => decide(policy, run("du", "a\0b"), 0)).toThrow(InvalidResourceError);
    expect(() => decide(policy, run("du -sh"), 0)).toThrow(InvalidResourceError);
  });

  it("names the argument that failed, like Clace, and ends with the fix", () => {
    const other = check(policy, run("rm", "-f", "/x"));
    expect(other.reason).toBe(
      `app ${APP} is not permitted to run "rm -f /x": argument 0 is "rm", declared commands: du, readlink, git, date, echo, /opt/tool/bin/report`,
    );
    expect(other.fix).toBe(`update the app or run locara app approve ${APP}`);
    expect(check(policy, run("du", "-a", "/tmp")).reason).toContain('argument 1 is "-a", expected "-sh"');
    expect(check(policy, run("du", "-sh")).reason).toContain("argument 2 is missing, expected an argument");
    expect(check(policy, run("du", "-sh", "a", "b")).reason).toContain(
      'argument 3 is "b", expected no more arguments',
    );
  });

  it("gives exactly the disk-usage message of the design", () => {
    const p = policyFor(`  run:
    - { command: du, args: ["-sh", "*"] }
    - { command: readlink, args: ["-f", "*"] }
`);
    const d = check(p, run("rm"));
    expect(decisionError(d).message).toBe(
      'app /utils/disk_usage is not permitted to run "rm": argument 0 is "rm", declared commands: du, readlink: update the app or run locara app approve /utils/disk_usage',
    );
    expect(decisionError(d).code).toBe("LOCARA_E_NOT_DECLARED");
  });
});

describe("run pinned at approval", () => {
  const manifest = parseManifest(
    'name: a\nversion: 1.0.0\nentry: a.ts\npermissions:\n  run: [{ command: du, args: ["-sh", "*"] }]\n',
  );
  const approvals = [
    {
      kind: "run" as const,
      scope: { command: "du", args: ["-sh", "*"] },
      state: "approved" as const,
      pinned: "/usr/bin/du",
    },
  ];
  const policy = compilePolicy({ manifest, installation: APP, approvals });

  it("only the pinned absolute path may run", () => {
    expect(stateOf(policy, run("/usr/bin/du", "-sh", "/tmp"))).toBe("granted");
    expect(stateOf(policy, run("/tmp/bin/du", "-sh", "/tmp"))).toBe("denied");
    expect(stateOf(policy, run("du", "-sh", "/tmp"))).toBe("denied");
    expect(check(policy, run("/bin/du", "-sh", "/x")).reason).toContain(
      'argument 0 is "/bin/du", declared commands: du (du was pinned to /usr/bin/du at approval; this is /bin/du)',
    );
  });

  it("the program the host resolved is what is matched; messages show the name the app used", () => {
    const resolved = (program: string, ...argv: string[]) => ({ kind: "run", argv, program });
    expect(stateOf(policy, resolved("/usr/bin/du", "du", "-sh", "/tmp"))).toBe("granted");
    // A directory earlier on PATH, or a link named du: it resolves elsewhere and is refused.
    const swapped = check(policy, resolved("/tmp/evil/du", "du", "-sh", "/tmp"));
    expect(swapped.state).toBe("denied");
    expect(swapped.reason).toContain(
      'argument 0 is "du", declared commands: du (du was pinned to /usr/bin/du at approval; this is /tmp/evil/du)',
    );
    expect(check(policy, resolved("/usr/bin/rm", "rm", "-rf", "/")).reason).toBe(
      'app /utils/disk_usage is not permitted to run "rm -rf /": argument 0 is "rm", declared commands: du',
    );
    expect(() => check(policy, resolved("usr/bin/du", "du"))).toThrow(InvalidResourceError);
  });

  it("a deny matches the name the app used as well as the program it resolved to", () => {
    const denying = policyFor(`  run: [{ command: ls, args: ["**"] }]
  deny:
    run: [rm]
`);
    // A multi-call binary: "rm" resolving to busybox is still rm.
    expect(stateOf(denying, { kind: "run", argv: ["rm", "-rf", "/"], program: "/bin/busybox" })).toBe(
      "denied",
    );
  });

  it("a multi-call binary pinned for one name does not run under another", () => {
    const busybox = compilePolicy({
      manifest: parseManifest(
        'name: a\nversion: 1.0.0\nentry: a.ts\npermissions:\n  run: [{ command: ls, args: ["**"] }]\n',
      ),
      installation: APP,
      approvals: [
        { kind: "run", scope: { command: "ls", args: ["**"] }, state: "approved", pinned: "/bin/busybox" },
      ],
    });
    expect(stateOf(busybox, { kind: "run", argv: ["ls", "/"], program: "/bin/busybox" })).toBe("granted");
    expect(stateOf(busybox, { kind: "run", argv: ["rm", "-rf", "/"], program: "/bin/busybox" })).toBe(
      "denied",
    );
  });

  it("refuses a pin that is not a canonical absolute path", () => {
    for (const pinned of ["du", "/usr/bin/../bin/du", "/usr//bin/du"]) {
      expect(() => compilePolicy({ manifest, approvals: [{ ...approvals[0]!, pinned }] })).toThrow(
        InvalidInputError,
      );
    }
  });
});

describe("run deny rules", () => {
  const policy = policyFor(`  run:
    - { command: rm, args: ["-f", "*"] }
    - { command: /usr/bin/env, args: ["**"] }
    - { command: git, args: ["**"] }
  deny:
    run: [rm, { command: git, args: ["push", "**"] }]
`);

  it("with no args, deny the program with any arguments, wherever it lives", () => {
    expect(stateOf(policy, run("rm", "-f", "/x"))).toBe("denied");
    expect(stateOf(policy, run("/usr/bin/rm", "-f", "/x"))).toBe("denied");
    expect(stateOf(policy, run("/tmp/x/rm"))).toBe("denied");
  });

  it("with args, deny only those argument lists", () => {
    expect(stateOf(policy, run("git", "push", "origin"))).toBe("denied");
    expect(stateOf(policy, run("git", "pull"))).toBe("granted");
  });
});
