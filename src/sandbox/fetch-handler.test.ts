import { cp, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DisabledError, LimitError } from "../errors.ts";
import { bundleApp } from "./bundle.ts";
import { FetchService, type GuestRequest } from "./fetch-handler.ts";
import { EngineSlot } from "./slot.ts";

const HONO = fileURLToPath(new URL("../../node_modules/hono", import.meta.url));
const limits = { memoryMb: 64, cpuMsPerRequest: 200, wallMsPerRequest: 2000, stackKb: 128 };
const slots: EngineSlot[] = [];
afterAll(async () => {
  for (const slot of slots) await slot.dispose();
});

/** An app folder with this entry (and Hono in its node_modules), bundled and ready to serve. */
async function serve(
  entry: string,
  withHono = false,
): Promise<{ service: FetchService; slot: EngineSlot; err: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), "locara-fetch-"));
  if (withHono) await cp(HONO, join(dir, "node_modules", "hono"), { recursive: true });
  await writeFile(join(dir, "app.ts"), entry);
  const bundle = await bundleApp(dir, "app.ts", "/apps/web");
  const slot = new EngineSlot("/apps/web", limits);
  slots.push(slot);
  const err: string[] = [];
  const service = new FetchService(slot, bundle.code, [], {
    write: (stream, text) => {
      if (stream === "stderr") err.push(text);
    },
  });
  return { service, slot, err };
}

const get = (path: string, headers: [string, string][] = []): GuestRequest => ({
  method: "GET",
  url: `http://127.0.0.1:8000${path}`,
  headers,
  body: null,
});

async function text(service: FetchService, request: GuestRequest) {
  const outcome = await service.handle(request);
  if (!outcome.ok) return { error: outcome.error };
  return {
    status: outcome.response.status,
    headers: outcome.response.headers,
    body: outcome.response.body.toString(),
  };
}

describe("fetch(request) handlers", () => {
  it("a small Hono app runs unchanged: routes, params, query, JSON bodies, headers, 404", async () => {
    const { service } = await serve(
      `import { Hono } from "hono";
const app = new Hono();
app.get("/", (c) => c.text("hello " + (c.req.query("name") ?? "world")));
app.post("/items/:id", async (c) => {
  const body = await c.req.json();
  c.header("X-Item", c.req.param("id"));
  return c.json({ id: c.req.param("id"), body, agent: c.req.header("User-Agent") }, 201);
});
export default app;`,
      true,
    );
    expect(await text(service, get("/?name=ada"))).toMatchObject({ status: 200, body: "hello ada" });
    const posted = await service.handle({
      method: "POST",
      url: "http://127.0.0.1:8000/items/7",
      headers: [
        ["content-type", "application/json"],
        ["user-agent", "curl/8"],
      ],
      body: new TextEncoder().encode('{"n":1}'),
    });
    expect(posted.ok && posted.response.status).toBe(201);
    expect(posted.ok && JSON.parse(posted.response.body.toString())).toEqual({
      id: "7",
      body: { n: 1 },
      agent: "curl/8",
    });
    expect(posted.ok && posted.response.headers).toContainEqual(["x-item", "7"]);
    expect(await text(service, get("/nope"))).toMatchObject({ status: 404, body: "404 Not Found" });
    await service.close();
  });

  it("the module is loaded once: its state lives across requests, as in Workers", async () => {
    const { service } = await serve(`let n = 0; export default { fetch: () => new Response(String(++n)) };`);
    expect((await text(service, get("/"))).body).toBe("1");
    expect((await text(service, get("/"))).body).toBe("2");
    await service.close();
  });

  it("an app's error fails that request only; the next one is served", async () => {
    const { service } = await serve(`export default { fetch(req) {
      if (req.url.endsWith("/boom")) throw new Error("boom");
      return new Response("fine");
    } };`);
    expect(await text(service, get("/boom"))).toEqual({ error: { name: "Error", message: "boom" } });
    expect((await text(service, get("/"))).body).toBe("fine");
    await service.close();
  });

  it("a handler that returns something other than a Response is a clear error", async () => {
    const { service } = await serve(`export default { fetch: () => "just text" };`);
    expect(await text(service, get("/"))).toEqual({
      error: { name: "TypeError", message: "the app's fetch handler must return a Response, not string" },
    });
    await service.close();
  });

  it("an entry without a fetch handler says what it must export", async () => {
    const { service } = await serve(`export default { get: () => 1 };`);
    expect(await text(service, get("/"))).toEqual({
      error: { name: "TypeError", message: "the app's entry must export default { fetch(request) }" },
    });
    await service.close();
  });

  it("the host re-checks the answer: a forged Response cannot split headers or use a bad status", async () => {
    // The app replaces the global Response so that the guest's own checks never run.
    const forged = (headers: string, status: number) =>
      serve(`class Fake { constructor() { this.status = ${status}; this.statusText = ""; this.headers = ${headers}; }
        async arrayBuffer() { return new ArrayBuffer(1); } }
      globalThis.Response = Fake;
      export default { fetch: () => new Fake() };`);
    for (const [headers, status, reason] of [
      [`[["x", "1\\r\\nSet-Cookie: stolen=1"]]`, 200, "the value of x contains NUL, CR or LF"],
      [`[["bad name", "1"]]`, 200, '"bad name" is not a header name'],
      [`[]`, 99, "the status 99 is not between 200 and 599"],
      [`[]`, 700, "the status 700 is not between 200 and 599"],
    ] as const) {
      const { service } = await forged(headers, status);
      const outcome = await service.handle(get("/"));
      expect(outcome).toEqual({
        ok: false,
        error: { name: "TypeError", message: `the app's response was refused: ${reason}` },
      });
      await service.close();
    }
  });

  it("a request that hits the CPU limit ends with the limit; the app is loaded afresh for the next", async () => {
    const { service, slot } = await serve(`let n = 0; export default { fetch(req) {
      n++;
      if (req.url.endsWith("/spin")) for (;;) {}
      return new Response("requests seen by this engine: " + n);
    } };`);
    expect((await text(service, get("/"))).body).toBe("requests seen by this engine: 1");
    await expect(service.handle(get("/spin"))).rejects.toBeInstanceOf(LimitError);
    expect((await text(service, get("/"))).body).toBe("requests seen by this engine: 1");
    expect(slot.restarts).toBe(1);
    await service.close();
  });

  it("abort ends the request in progress (waiting on the host) with the reason, and refuses later ones", async () => {
    // A request busy in guest code holds the host's thread until its CPU limit: nothing can run
    // abort() meanwhile. One waiting on a host call (here a timer) is ended at once.
    for (const body of ["await new Promise((r) => setTimeout(r, 1500));"]) {
      const { service } = await serve(
        `export default { async fetch() { ${body} return new Response("late"); } };`,
      );
      const reason = new DisabledError("/apps/web", "incident 42");
      const pending = service.handle(get("/"));
      setTimeout(() => service.abort(reason), 50);
      // The disable, not a limit: CPU (200 ms) and wall (2 s) limits would end it later and differently.
      await expect(pending).rejects.toBe(reason);
      await expect(service.handle(get("/"))).rejects.toBe(reason);
      await service.close();
    }
  });

  it("requests are handled one at a time, each with its own budget", async () => {
    const { service } = await serve(`let active = 0, most = 0;
      export default { async fetch() {
        active++; most = Math.max(most, active);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        return new Response(String(most));
      } };`);
    const answers = await Promise.all([1, 2, 3, 4].map(() => text(service, get("/"))));
    expect(answers.map((a) => a.body)).toEqual(["1", "1", "1", "1"]);
    await service.close();
  });
});
