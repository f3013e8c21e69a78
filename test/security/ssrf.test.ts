import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocaraError } from "../../src/errors.ts";
import { parseManifest } from "../../src/manifest/parse.ts";
import type { AuditEvent, PluginContext } from "../../src/plugins/context.ts";
import { hostFetch, NET_DEFAULTS, type NetOptions, type ResolvedAddress } from "../../src/plugins/net.ts";
import { approveAll, compilePolicy } from "../../src/policy/compile.ts";

/*
 * Each entry of ssrf/cases.json is one attempt to turn an app's fetch against the host's own
 * network. Names resolve through a stub that gives the attacker's answers; the only server is on
 * 127.0.0.1, reachable only where the case's server config allows it. A connection hook records
 * every address the plugin connects to and refuses anything but loopback, so no case can ever
 * reach another machine, and a case that expects "connects" proves that the address connected to
 * is exactly the one that was checked.
 */
interface Case {
  name: string;
  url: string;
  expect: "denied" | "ok" | "connects" | "error";
  code?: string;
  why?: string;
  address?: string;
  declare?: string[];
  allowPrivate?: string[];
  dns?: Record<string, string[] | string[][]>;
  connections?: string[];
  lookups?: number;
  redirected?: boolean;
}

const cases: Case[] = JSON.parse(readFileSync(new URL("./ssrf/cases.json", import.meta.url), "utf8"));
const DECLARE = [
  "https://api.partner.com",
  "http://partner.example:{port}",
  "*.cdn.example",
  "http://rebind.example:{port}",
];
const DNS: Record<string, string[]> = {
  "partner.example": ["127.0.0.1"],
  "api.partner.com": ["93.184.216.34"],
  "a.b.cdn.example": ["93.184.216.35"],
};
const REFUSED = "TEST_REFUSED_CONNECT";
const isLoopback = (address: string) => address === "::1" || /^127\./.test(address);

let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/ok") res.end("ok");
    else if (url.pathname === "/redirect") {
      res.writeHead(302, {
        location: (url.searchParams.get("to") ?? "/").replaceAll("{port}", String(port)),
      });
      res.end();
    } else if (url.pathname === "/loop") {
      res.writeHead(302, { location: "/loop" });
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const fill = (text: string) => text.replaceAll("{port}", String(port));

function setup(c: Case) {
  const manifest = parseManifest(
    JSON.stringify({
      name: "fetcher",
      version: "1.0.0",
      entry: "a.ts",
      permissions: { net: (c.declare ?? DECLARE).map(fill) },
    }),
    { file: "locara.json" },
  );
  const events: AuditEvent[] = [];
  const ctx: PluginContext = {
    installation: "/apps/fetcher",
    policy: compilePolicy({
      manifest,
      installation: "/apps/fetcher",
      approvals: approveAll(manifest, "approved"),
      serverRules: { net: { allowPrivate: c.allowPrivate ?? [] } },
    }),
    audit: { write: (e) => void events.push(e) },
    now: () => 0,
    environment: {},
  };
  const connections: string[] = [];
  let lookups = 0;
  const calls = new Map<string, number>();
  const dns = { ...DNS, ...c.dns };
  const options: NetOptions = {
    ...NET_DEFAULTS,
    timeoutMs: 5000,
    resolve: async (hostname): Promise<ResolvedAddress[]> => {
      lookups++;
      const name = hostname.replace(/\.$/, "");
      const answer = dns[name];
      if (answer === undefined)
        throw Object.assign(new Error(`no stub answer for ${name}`), { code: "ENOTFOUND" });
      const n = calls.get(name) ?? 0;
      calls.set(name, n + 1);
      // A list of lists is a sequence of answers, one per lookup (rebinding).
      const list = (
        Array.isArray(answer[0]) ? (answer as string[][])[Math.min(n, answer.length - 1)] : answer
      ) as string[];
      return list.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
    },
    onConnect: (address) => {
      connections.push(address);
      if (!isLoopback(address)) throw new Error(`${REFUSED} ${address}`);
    },
  };
  return { ctx, options, events, connections, lookups: () => lookups };
}

describe("SSRF: an app's fetch cannot be turned against the host's network", () => {
  it("has at least 60 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const { ctx, options, events, connections, lookups } = setup(c);
    const call = hostFetch(ctx, options, {
      url: fill(c.url),
      method: "GET",
      headers: [],
      body: null,
      redirect: "follow",
    });
    if (c.expect === "ok") {
      const answer = await call;
      expect(answer.status).toBe(200);
      expect(answer.body.toString()).toBe("ok");
      if (c.redirected !== undefined) expect(answer.redirected).toBe(c.redirected);
    } else {
      const error = await call.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, "the call must fail").toBeInstanceOf(Error);
      if (c.expect === "connects") {
        expect((error as Error).message).toBe(`${REFUSED} ${c.address}`);
      } else {
        expect(error, String(error)).toBeInstanceOf(LocaraError);
        expect((error as LocaraError).code).toBe(c.code);
        if (c.why) expect((error as LocaraError).message).toContain(fill(c.why));
      }
    }
    // Denials connect nowhere (redirect cases: only to the allowed server first).
    const expected =
      c.connections ?? (c.expect === "connects" ? [c.address] : c.expect === "ok" ? undefined : []);
    if (expected) expect(connections).toEqual(expected);
    expect(connections.every((a) => isLoopback(a) || a === c.address)).toBe(true);
    if (c.lookups !== undefined) expect(lookups()).toBe(c.lookups);
    // Every hop was decided and audited.
    expect(events.length).toBeGreaterThan(0);
    if (c.expect === "denied") expect(events.at(-1)?.decision).toBe("denied");
  });
});
