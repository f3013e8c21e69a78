import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createTlsServer, type Server as TlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseManifest } from "../manifest/parse.ts";
import { approveAll, compilePolicy } from "../policy/compile.ts";
import { runModule } from "../sandbox/run-module.ts";
import { EngineSlot } from "../sandbox/slot.ts";
import type { AuditEvent, PluginContext } from "./context.ts";
import { hostFetch, NET_DEFAULTS, type NetOptions, netModule } from "./net.ts";
import { FETCH_GLOBAL_MODULE, FETCH_GLOBAL_SOURCE } from "./net-guest.ts";

let server: Server;
let port = 0;
let tlsServer: TlsServer;
let tlsPort = 0;
const tls = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/tls/${name}`, import.meta.url), "utf8");
const seen: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];
const slot = new EngineSlot("/apps/web", {
  memoryMb: 64,
  cpuMsPerRequest: 1000,
  wallMsPerRequest: 5000,
  stackKb: 128,
});

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
    if (req.url === "/json") {
      res.writeHead(201, { "content-type": "application/json", "set-cookie": ["a=1", "b=2"] });
      res.end(JSON.stringify({ echo: body, type: req.headers["content-type"] }));
    } else if (req.url === "/big") res.end(Buffer.alloc(2 * 1024 * 1024, 120));
    else if (req.url === "/slow") setTimeout(() => res.end("late"), 2000);
    else if (req.url === "/see-other") {
      res.writeHead(303, { location: "/json" });
      res.end();
    } else res.end("hello");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  // A TLS server whose certificate names svc.test only, signed by a test CA.
  tlsServer = createTlsServer({ key: tls("svc.key"), cert: tls("svc.pem") }, (_req, res) =>
    res.end("secure"),
  );
  await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
  tlsPort = (tlsServer.address() as AddressInfo).port;
});
afterAll(async () => {
  await slot.dispose();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
});

function context(): PluginContext & { events: AuditEvent[] } {
  const manifest = parseManifest(
    `name: web\nversion: 1.0.0\nentry: a.ts\npermissions:\n  net: ["http://svc.test:${port}"]\n`,
  );
  const events: AuditEvent[] = [];
  return {
    installation: "/apps/web",
    // The loopback test server is allowed by the server config (an admin decision), never by the app.
    policy: compilePolicy({
      manifest,
      installation: "/apps/web",
      approvals: approveAll(manifest, "approved"),
      serverRules: { net: { allowPrivate: ["127.0.0.1/32"] } },
    }),
    audit: { write: (e) => void events.push(e) },
    now: () => 0,
    environment: {},
    events,
  };
}

const options = (extra: Partial<NetOptions> = {}): NetOptions => ({
  ...NET_DEFAULTS,
  resolve: async (name) => (name === "svc.test" ? [{ address: "127.0.0.1", family: 4 }] : []),
  onConnect: (address) => {
    if (address !== "127.0.0.1") throw new Error(`refused by the test: ${address}`);
  },
  ...extra,
});

async function guest(js: string, extra: Partial<NetOptions> = {}, ctx = context()) {
  return runModule(
    await slot.acquire(),
    `import "${FETCH_GLOBAL_MODULE}";\nimport { fetch as imported } from "locara:net";\nexport default await (async () => { ${js} })();`,
    [netModule(ctx, options(extra))],
    { output: { write: () => {} }, appModules: new Map([[FETCH_GLOBAL_MODULE, FETCH_GLOBAL_SOURCE]]) },
  );
}

describe("fetch over TLS to a pinned address", () => {
  it("verifies the certificate against the URL's name, not the address it connects to", async () => {
    const manifest = parseManifest(
      `name: web\nversion: 1.0.0\nentry: a.ts\npermissions:\n  net: ["svc.test:${tlsPort}", "impostor.test:${tlsPort}"]\n`,
    );
    const ctx: PluginContext = {
      installation: "/apps/web",
      policy: compilePolicy({
        manifest,
        installation: "/apps/web",
        approvals: approveAll(manifest, "approved"),
        serverRules: { net: { allowPrivate: ["127.0.0.1/32"] } },
      }),
      audit: { write: () => {} },
      now: () => 0,
      environment: {},
    };
    const opts: NetOptions = {
      ...options(),
      ca: tls("ca.pem"),
      resolve: async () => [{ address: "127.0.0.1", family: 4 }],
    };
    const ok = await hostFetch(ctx, opts, {
      url: `https://svc.test:${tlsPort}/`,
      method: "GET",
      headers: [],
      body: null,
      redirect: "follow",
    });
    expect(ok.body.toString()).toBe("secure");
    // Same address, another name: the certificate does not name it, so the connection is refused.
    await expect(
      hostFetch(ctx, opts, {
        url: `https://impostor.test:${tlsPort}/`,
        method: "GET",
        headers: [],
        body: null,
        redirect: "follow",
      }),
    ).rejects.toThrow(/ERR_TLS_CERT_ALTNAME_INVALID|altnames/);
  });
});

describe("fetch in the sandbox", () => {
  it("is a web-standard fetch, global and importable: bodies, headers, status, set-cookie", async () => {
    const result = await guest(`
      const r = await fetch("http://svc.test:${port}/json", { method: "POST", body: JSON.stringify({ a: 1 }), headers: { "content-type": "application/json", "x-trace": "t1" } });
      return [fetch === imported, r.status, r.ok, r.headers.get("content-type"), r.headers.getSetCookie(), await r.json(), r.url, r.redirected];`);
    expect(result).toEqual({
      ok: true,
      value: [
        true,
        201,
        true,
        "application/json",
        ["a=1", "b=2"],
        { echo: '{"a":1}', type: "application/json" },
        `http://svc.test:${port}/json`,
        false,
      ],
    });
    const last = seen.at(-1)!;
    expect(last.method).toBe("POST");
    expect(last.headers.host).toBe(`svc.test:${port}`);
    expect(last.headers["x-trace"]).toBe("t1");
  });

  it("a 303 becomes a GET without a body, and the response says it was redirected", async () => {
    const result =
      await guest(`const r = await fetch("http://svc.test:${port}/see-other", { method: "POST", body: "x" });
      return [r.status, r.redirected, r.url, (await r.json()).echo];`);
    expect(result).toEqual({ ok: true, value: [201, true, `http://svc.test:${port}/json`, ""] });
    expect(seen.at(-1)!.method).toBe("GET");
  });

  it("redirect: manual returns the redirect itself", async () => {
    const result = await guest(
      `const r = await fetch("http://svc.test:${port}/see-other", { redirect: "manual" }); return [r.status, r.headers.get("location")];`,
    );
    expect(result).toEqual({ ok: true, value: [303, "/json"] });
  });

  it("an undeclared host is refused with the decision's code and message, and audited", async () => {
    const ctx = context();
    const result = await guest(
      `try { await fetch("https://example.com/"); } catch (e) { return [e.code, e.message]; }`,
      {},
      ctx,
    );
    expect(result).toEqual({
      ok: true,
      value: [
        "LOCARA_E_NOT_DECLARED",
        `app /apps/web is not permitted to connect to "https://example.com": not declared (declared net: http://svc.test:${port}): update the app or run locara app approve /apps/web`,
      ],
    });
    expect(ctx.events.map((e) => [e.call, e.resource, e.decision])).toEqual([
      ["locara:net.fetch", "https://example.com", "denied"],
    ]);
  });

  it("a response larger than the cap ends with a limit error", async () => {
    const result = await guest(
      `try { await fetch("http://svc.test:${port}/big"); } catch (e) { return [e.code, e.message]; }`,
      { maxResponseBytes: 1024 * 1024 },
    );
    expect(result.ok && (result.value as string[])[0]).toBe("LOCARA_E_LIMIT");
    expect(result.ok && (result.value as string[])[1]).toContain(
      "response limit (1048576 bytes per response)",
    );
  });

  it("a server slower than the time cap ends with a limit error", async () => {
    const result = await guest(
      `try { await fetch("http://svc.test:${port}/slow"); } catch (e) { return [e.code, e.message]; }`,
      { timeoutMs: 200 },
    );
    expect(result.ok && (result.value as string[])[0]).toBe("LOCARA_E_LIMIT");
    expect(result.ok && (result.value as string[])[1]).toContain("timeout limit (200 ms");
  });
});
