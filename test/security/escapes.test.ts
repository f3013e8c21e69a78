import { readdirSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { LimitError, PermissionError } from "../../src/errors.ts";
import type { HostModule } from "../../src/sandbox/host-calls.ts";
import { runModule } from "../../src/sandbox/run-module.ts";
import { EngineSlot } from "../../src/sandbox/slot.ts";

/*
 * Each file in escapes/ is a guest module trying to reach the host's authority. It exports
 * "ESCAPED: …" if it got anything of the host's. A probe passes when it did not, when it ended
 * in a guest error or a limit (never any other host exception), when the next request of the
 * same installation sees none of its changes, and when the host itself is unchanged.
 */
const dir = new URL("./escapes/", import.meta.url);
const probes = readdirSync(dir)
  .filter((f) => f.endsWith(".js"))
  .sort();

const hostJsonParse = JSON.parse;
const host: HostModule = {
  name: "locara:test",
  functions: {
    echo: (args) => args,
    deny: () => {
      throw new PermissionError(
        "LOCARA_E_NOT_DECLARED",
        'app /apps/probe is not permitted to read "/etc/passwd": update the app',
        {},
      );
    },
    crash: () => {
      throw new Error("secret host detail");
    },
  },
};
const slot = new EngineSlot("/apps/probe", {
  memoryMb: 64,
  cpuMsPerRequest: 300,
  wallMsPerRequest: 2000,
  stackKb: 128,
});
afterAll(() => slot.dispose());

describe("sandbox escape probes", () => {
  it("has at least 40 probes", () => {
    expect(probes.length).toBeGreaterThanOrEqual(40);
  });

  it.each(probes)("%s reaches nothing of the host's", async (file) => {
    const code = readFileSync(new URL(file, dir), "utf8");
    let outcome: unknown;
    try {
      outcome = await runModule(await slot.acquire(), code, [host], {
        limits: { maxPendingCalls: 16, maxResultBytes: 1024 * 1024 },
        output: { write: () => {} }, // the guest runtime too: console, timers, web globals
      });
    } catch (error) {
      expect(error, `${file} ended in a host exception`).toBeInstanceOf(LimitError);
      outcome = { limit: (error as LimitError).data.limit };
    }
    expect(JSON.stringify(outcome)).not.toContain("ESCAPED");

    // The next request of the same installation starts clean.
    const canary = await runModule(
      await slot.acquire(),
      "export default [({}).pwned, [].pwned, JSON.pwned, typeof JSON.parse('1')];",
      [host],
    );
    expect(canary).toEqual({ ok: true, value: [null, null, null, "number"] });

    // The host is untouched.
    expect(({} as Record<string, unknown>).pwned).toBeUndefined();
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
    expect(JSON.parse).toBe(hostJsonParse);
  });
});
